"""The organisation tree page (局/区 → 部 → 課): operators read it, admins edit it with the same
checked, atomic and audited functions as ``dxrpa org`` (:mod:`dxrpa.reports.org_admin`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.web import ConsoleState, db, flash, posted, redirect, render, require, state
from dxrpa.errors import DxrpaError
from dxrpa.i18n import tr
from dxrpa.orgedit import MAX_DEPTH, level_name
from dxrpa.orgtree import load_org
from dxrpa.reports.org_admin import org_add, org_move, org_path, org_remove, org_rename

ACTIONS = ("add", "rename", "move", "remove")


def _rows(st: ConsoleState) -> dict[str, Any]:
    tree = load_org(org_path(st.settings))  # a broken file raises DefinitionError: shown as an error
    units = tree.units if tree else []
    leaves = set(tree.departments) if tree else set()
    rows = [
        {"name": u.name, "depth": u.depth, "level": level_name(u.depth), "leaf": u.name in leaves}
        for u in units
    ]
    parents = [r for r in rows if int(str(r["depth"])) < MAX_DEPTH - 1]
    return {
        "rows": rows,
        "parents": parents,
        "source": str(org_path(st.settings)),
        "exists": tree is not None,
    }


async def org_page(request: Request) -> Response:
    user = await require(request, "operator")
    st = state(request)
    try:
        data = await db(request, _rows, st)
    except DxrpaError as exc:
        flash(request, str(exc), "error")
        data = {"rows": [], "parents": [], "source": str(org_path(st.settings)), "exists": True}
    return render(request, "org.html", user=user, **data)


def _apply(st: ConsoleState, actor: str, action: str, form: dict[str, str]) -> str:
    name, parent = form.get("name", "").strip(), form.get("under", "").strip() or None
    if action == "add":
        org_add(st.settings, st.store, name, parent, actor=actor)
        return tr(f"「{name}」を追加しました", f"added {name!r}")
    if action == "rename":
        new = form.get("new", "").strip()
        org_rename(st.settings, st.store, name, new, actor=actor)
        return tr(f"「{name}」を「{new}」に変更しました", f"renamed {name!r} to {new!r}")
    if action == "move":
        org_move(st.settings, st.store, name, parent, actor=actor)
        where = parent or tr("最上位", "the top")
        return tr(f"「{name}」を {where} の下へ移動しました", f"moved {name!r} under {where}")
    org_remove(st.settings, st.store, name, actor=actor)
    return tr(f"「{name}」を削除しました", f"removed {name!r}")


async def org_post(request: Request) -> Response:
    user, form = await posted(request, "admin")  # CSRF-checked; operators get 403
    action = str(request.path_params["action"])
    if action not in ACTIONS:
        return redirect("/org")
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        flash(request, await db(request, _apply, state(request), user.name, action, fields))
    except DxrpaError as exc:
        flash(request, str(exc), "error")
    return redirect("/org")
