"""User management, shared by ``dxrpa users …`` and the admins' users page: add, new password, role,
departments, enable, disable, delete. Each change is audited in the same transaction; changes that
alter what a user may do end the user's sessions (see :mod:`dxrpa.store.console_repo`), and the
last enabled admin can be neither deleted, disabled nor demoted."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.auth import hash_password
from dxrpa.console.web import ConsoleState, db, flash, posted, redirect, render, require, state
from dxrpa.errors import DxrpaError, UsageError
from dxrpa.i18n import tr
from dxrpa.store import audit_repo, console_repo
from dxrpa.store.base import Store
from dxrpa.store.console_tables import ROLES

MIN_PASSWORD = 8
Action = Literal["passwd", "role", "departments", "enable", "disable", "delete"]
ACTIONS: tuple[Action, ...] = ("passwd", "role", "departments", "enable", "disable", "delete")


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsageError(
            tr(
                f"パスワードは {MIN_PASSWORD} 文字以上にしてください",
                f"passwords need at least {MIN_PASSWORD} characters",
            )
        )
    return password


def split_departments(text: str) -> list[str]:
    """``"市民課, 税務課"`` → ``["市民課", "税務課"]`` (commas, 、 or new lines separate)."""
    return [p for p in text.replace("、", ",").replace("\n", ",").split(",") if p.strip()]


def add(store: Store, actor: str, name: str, role: str, password: str, departments: list[str]) -> None:
    password_hash = hash_password(check_password(password))
    with store.session() as s:
        user = console_repo.add_user(s, name, role, password_hash, by=actor, departments=departments)
        detail = {"role": role, "departments": list(user.departments)}
        audit_repo.append(s, actor, "console.user_add", user.name, detail)


def change(store: Store, actor: str, name: str, action: Action, value: str = "") -> str:
    """Apply one change to user ``name`` and audit it; returns a one-line message for the actor."""
    password_hash = hash_password(check_password(value)) if action == "passwd" else ""
    with store.session() as s:
        detail: dict[str, object] = {}
        if action == "passwd":
            console_repo.set_password_hash(s, name, password_hash)
            done = tr(f"{name} のパスワードを変更しました", f"password of {name} changed")
        elif action == "role":
            old = console_repo.set_role(s, name, value)
            detail = {"from": old, "to": value}
            done = tr(f"{name} の役割を {value} にしました", f"{name} is now {value}")
        elif action == "departments":
            kept = console_repo.set_departments(s, name, split_departments(value))
            detail = {"departments": kept}
            shown = "、".join(kept) or tr("すべて", "all")
            done = tr(f"{name} の担当課: {shown}", f"departments of {name}: {shown}")
        elif action in ("enable", "disable"):
            console_repo.set_disabled(s, name, action == "disable")
            done = (
                tr(f"{name} を無効にしました", f"user {name} disabled")
                if action == "disable"
                else tr(f"{name} を有効にしました", f"user {name} enabled")
            )
        elif action == "delete":
            console_repo.delete_user(s, name)
            done = tr(f"{name} を削除しました", f"user {name} deleted")
        else:  # pragma: no cover - the routes and the CLI pass known actions only
            raise UsageError(tr(f"操作 '{action}' はありません", f"unknown action '{action}'"))
        audit_repo.append(s, actor, f"console.user_{action}", name, detail)
    return done


def _rows(st: ConsoleState) -> list[dict[str, object]]:
    with st.reader.session() as s:
        return [
            {
                "name": u.name,
                "role": u.role,
                "disabled": u.disabled,
                "departments": list(u.departments or []),
                "last_login_at": u.last_login_at,
            }
            for u in console_repo.list_users(s)
        ]


async def users_page(request: Request) -> Response:
    user = await require(request, "admin")
    rows = await db(request, _rows, state(request))
    return render(request, "users.html", user=user, users=rows, roles=ROLES)


async def user_add(request: Request) -> Response:
    user, form = await posted(request, "admin")
    name = str(form.get("name") or "").strip()
    try:
        await db(
            request,
            add,
            state(request).store,
            user.name,
            name,
            str(form.get("role") or "viewer"),
            str(form.get("password") or ""),
            split_departments(str(form.get("departments") or "")),
        )
        flash(request, tr(f"利用者 {name} を追加しました", f"user {name} added"))
    except DxrpaError as exc:
        flash(request, str(exc), "error")
    return redirect("/users")


async def user_change(request: Request) -> Response:
    user, form = await posted(request, "admin")
    action = str(request.path_params["action"])
    if action not in ACTIONS:
        return redirect("/users")
    name = str(request.path_params["name"])
    value = str(form.get("value") or "")
    try:
        message = await db(request, change, state(request).store, user.name, name, action, value)
        flash(request, message)
    except DxrpaError as exc:
        flash(request, str(exc), "error")
    return redirect("/users")
