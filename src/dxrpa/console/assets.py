"""Assets page: per-environment values (本番 / 検証) of robots' env: names. Operators see them;
admins set and delete them (audited without the values). Secrets stay in the secret store."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.web import ConsoleState, db, flash, posted, redirect, render, require, state
from dxrpa.engine.assets import ENVIRONMENTS, check_asset, environment_of, environment_text
from dxrpa.errors import DxrpaError
from dxrpa.i18n import tr
from dxrpa.store import assets_repo


def _rows(st: ConsoleState) -> list[dict[str, Any]]:
    with st.reader.session() as s:
        return [
            {
                "name": a.name,
                "environment": a.environment,
                "value": a.value,
                "updated_by": a.updated_by,
                "updated_at": a.updated_at,
            }
            for a in assets_repo.list_assets(s)
        ]


async def assets_page(request: Request) -> Response:
    user = await require(request, "operator")
    st = state(request)
    rows = await db(request, _rows, st)
    return render(
        request,
        "assets.html",
        user=user,
        assets=rows,
        environments=ENVIRONMENTS,
        current=st.settings.environment,
        environment_text=environment_text,
    )


async def assets_post(request: Request) -> Response:
    user, form = await posted(request, "admin")
    st = state(request)
    name = str(form.get("name") or "").strip()
    value = str(form.get("value") or "").strip()
    delete = form.get("delete") == "1"
    try:
        environment = environment_of(str(form.get("environment") or ""))
        if not delete:
            check_asset(name, value)
    except DxrpaError as exc:
        flash(request, str(exc), "error")
        return redirect(str(request.url_for("assets")))

    def write() -> bool:
        with st.store.session() as s:
            if delete:
                return assets_repo.remove(s, name, environment, actor=user.name, via="console")
            return assets_repo.put(s, name, environment, value, actor=user.name, via="console")

    await db(request, write)
    where = f"{name} ({environment_text(environment)})"
    flash(
        request,
        tr(f"削除しました: {where}", f"deleted {where}")
        if delete
        else tr(f"保存しました: {where}", f"saved {where}"),
    )
    return redirect(str(request.url_for("assets")))
