"""Shared plumbing of the console pages: state, the session user, CSRF checks, rendering."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from dxrpa.config import Settings
from dxrpa.console.auth import Forbidden, NotLoggedIn, User, csrf_ok, csrf_token, role_label
from dxrpa.console.jobs import Launcher
from dxrpa.console.reader import Reader
from dxrpa.console.sessions import SessionPolicy, current
from dxrpa.engine.lifecycle import state_text
from dxrpa.i18n import get_lang, tr
from dxrpa.model.status import status_text
from dxrpa.store import console_repo
from dxrpa.store.base import Store

T = TypeVar("T")
HERE = Path(__file__).parent
RUN_ID = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


class CsrfRefused(Exception):
    """A change was posted without the session's CSRF token."""


@dataclass
class ConsoleState:
    settings: Settings
    store: Store
    launcher: Launcher
    env: Environment
    reader: Reader
    trust_header: str | None = None
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    secure: bool = False  # Secure cookies and HSTS


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(tr=tr, status_text=status_text, role_label=role_label, state_text=state_text)
    return env


def state(request: Request) -> ConsoleState:
    st: ConsoleState = request.app.state.console
    return st


async def db(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run blocking store work in the thread pool (never on the event loop)."""
    return await run_in_threadpool(fn, *args)


def _lookup(st: ConsoleState, name: str) -> User | None:
    with st.reader.session() as s:
        row = console_repo.get_user(s, name)
        if row is None or row.disabled:
            return None
        return User(row.name, row.role, tuple(row.departments or ()))


async def current_user(request: Request) -> User:
    """The user of this request. With a trusted proxy header, that header alone decides (it is
    never stored in the cookie); otherwise the cookie's token must name a live session row."""
    st = state(request)
    if st.trust_header:
        name = request.headers.get(st.trust_header, "").strip()
        if not name:
            raise NotLoggedIn()
        user = await db(request, _lookup, st, name)
        if user is None:
            raise Forbidden(
                tr(
                    f"ユーザー '{name}' は登録されていないか無効です",
                    f"user '{name}' is not registered or disabled",
                )
            )
        return user
    token = request.session.get("sid")
    if not isinstance(token, str) or not token:
        raise NotLoggedIn()
    found = await db(request, current, st.store, st.reader, st.policy, token)
    if found is None:
        request.session.clear()
        raise NotLoggedIn()
    return found


async def require(request: Request, role: str = "viewer") -> User:
    user = await current_user(request)
    if not user.can(role):
        raise Forbidden(
            tr(
                f"この操作には「{role_label(role)}」以上の役割が必要です",
                f"this needs the {role_label(role)} role or higher",
            )
        )
    return user


async def posted(request: Request, role: str) -> tuple[User, FormData]:
    """The user (with ``role`` or higher) and the form of a POST whose CSRF token is valid."""
    user = await require(request, role)
    form = await request.form()
    sent = request.headers.get("x-csrf-token") or form.get("csrf")
    if not csrf_ok(request, sent if isinstance(sent, str) else None):
        raise CsrfRefused()
    return user, form


def flash(request: Request, message: str, kind: str = "info") -> None:
    messages = list(request.session.get("flash", []))
    messages.append([kind, message])
    request.session["flash"] = messages[-5:]


def local_time(st: ConsoleState, at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return at.astimezone(ZoneInfo(st.settings.timezone)).strftime(fmt) if at else "-"


def render(
    request: Request, template: str, status_code: int = 200, *, user: User | None = None, **ctx: Any
) -> HTMLResponse:
    st = state(request)
    messages = request.session.pop("flash", []) if "flash" in request.session else []
    html = st.env.get_template(template).render(
        request=request,
        user=user,
        csrf=csrf_token(request),
        lang=get_lang(),
        messages=messages,
        local=lambda at, fmt="%Y-%m-%d %H:%M": local_time(st, at, fmt),
        **ctx,
    )
    return HTMLResponse(html, status_code=status_code, headers=NO_STORE)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


NO_STORE = {"Cache-Control": "no-store"}
