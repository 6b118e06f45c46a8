"""Builds the Starlette application: routes, session cookie, error pages, static files."""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dxrpa.config import Settings
from dxrpa.console import (
    assets,
    dashboard,
    notifications,
    ocr_page,
    ocr_review,
    org_page,
    robot_lifecycle,
    robots,
    runs,
    schedules,
    sessions,
    users,
)
from dxrpa.console.auth import Forbidden, NotLoggedIn, User, csrf_ok
from dxrpa.console.headers import SecurityHeaders
from dxrpa.console.jobs import Launcher
from dxrpa.console.reader import Reader
from dxrpa.console.web import (
    HERE,
    ConsoleState,
    CsrfRefused,
    current_user,
    db,
    make_env,
    posted,
    redirect,
    render,
    state,
)
from dxrpa.errors import DxrpaError, NotRegistered
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.store import console_repo
from dxrpa.store.base import Store

TRUST_HEADER_ENV = "DXRPA_CONSOLE_TRUST_HEADER"
SESSION_HOURS = 8
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def is_loopback(host: str) -> bool:
    """True when ``host`` (what the console listens on) is reachable from this machine only."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _session_key(settings: Settings) -> str:
    """A per-installation signing key kept in var/console/session.key (created 0600)."""
    path = settings.var_dir / "console" / "session.key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key)
    return key


def _safe_next(raw: str | None) -> str:
    if not raw:
        return "/robots"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not raw.startswith("/") or raw.startswith("//"):
        return "/robots"
    return raw


async def login_page(request: Request) -> Response:
    return render(request, "login.html", next=_safe_next(request.query_params.get("next")), error=None)


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


async def login_post(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf") or "")):
        raise CsrfRefused()
    st = state(request)
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    if st.trust_header:  # the proxy's header alone decides who is logged in
        message = tr(
            "このコンソールはリバースプロキシの認証でログインします", "this console logs in through the proxy"
        )
        return render(request, "login.html", 403, next=target, error=message)
    result = await db(
        request, sessions.login, st.store, st.reader, st.policy, name, password, _client(request)
    )
    if result.token is None:
        return render(request, "login.html", 401, next=target, error=result.error)
    request.session.clear()  # a fresh CSRF token too: nothing from before the login carries over
    request.session["sid"] = result.token
    return redirect(target)


async def logout(request: Request) -> Response:
    user, _form = await posted(request, "viewer")
    token = request.session.get("sid")
    if isinstance(token, str) and token:
        await db(request, sessions.logout, state(request).store, token, user.name)
    request.session.clear()
    return redirect("/login")


async def home(request: Request) -> Response:
    await current_user(request)
    return redirect("/robots")


def _wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json") or "application/json" in request.headers.get("accept", "")


async def _not_logged_in(request: Request, exc: Exception) -> Response:
    if _wants_json(request) or request.method != "GET":
        return JSONResponse({"error": "login required"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    from urllib.parse import quote

    return redirect(f"/login?next={quote(target)}")


async def _viewer(request: Request) -> User | None:
    """The logged-in user of a request that failed, so its error page keeps the navigation."""
    try:
        return await current_user(request)
    except Exception:  # noqa: BLE001 — not logged in, or the store is what failed: a page without navigation
        return None


async def _forbidden(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, Forbidden) else str(exc)
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=403)
    user = await _viewer(request)
    title = tr("権限がありません", "not allowed")
    return render(request, "error.html", 403, user=user, title=title, message=message)


async def _csrf(request: Request, exc: Exception) -> Response:
    message = tr(
        "フォームの確認用トークンがないか古くなっています。ページを開き直してください",
        "the form's CSRF token is missing or stale; reload the page",
    )
    if _wants_json(request) or request.headers.get("x-requested-with"):
        return JSONResponse({"error": message}, status_code=403)
    user = await _viewer(request)
    title = tr("送信を拒否しました", "request refused")
    return render(request, "error.html", 403, user=user, title=title, message=message)


async def _dxrpa_error(request: Request, exc: Exception) -> Response:
    missing = isinstance(exc, NotRegistered)  # /robots/nope: a page that is not there, not a bad request
    code = 404 if missing else 400
    if _wants_json(request):
        return JSONResponse({"error": str(exc)}, status_code=code)
    title = tr("見つかりません", "not found") if missing else tr("エラー", "error")
    user = await _viewer(request)
    return render(request, "error.html", code, user=user, title=title, message=str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    if _wants_json(request):
        return JSONResponse({"error": detail}, status_code=code)
    title = tr("見つかりません", "not found") if code == 404 else tr("エラー", "error")
    user = await _viewer(request)
    return render(request, "error.html", code, user=user, title=title, message=detail if code != 404 else "")


def create_app(
    settings: Settings,
    store: Store,
    *,
    secure_cookies: bool | None = None,
    trust_header: str | None = None,
    host: str = "127.0.0.1",
    idle_minutes: float = 60,
) -> Starlette:
    """The console as an ASGI app over one store (``dxrpa serve`` runs it with uvicorn).

    ``host`` is the address the server listens on: cookies are ``Secure`` (and HSTS is sent)
    unless it is a loopback address; ``secure_cookies`` overrides that either way.
    """
    header = trust_header if trust_header is not None else os.environ.get(TRUST_HEADER_ENV) or None
    if header:
        logger.warning("console: trusting the reverse-proxy user header {}", header)
    secure = secure_cookies if secure_cookies is not None else not is_loopback(host)
    policy = sessions.SessionPolicy(
        idle=timedelta(minutes=idle_minutes), absolute=timedelta(hours=SESSION_HOURS)
    )
    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"], name="login"),
        Route("/login", login_post, methods=["POST"]),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Route("/robots", robots.robots_list, name="robots"),
        Route("/robots/new", robots.editor, name="robot_new"),
        Route("/robots/editor", robots.editor_post, methods=["POST"], name="robot_editor_post"),
        Route("/robots/{name}", robots.robot_detail, name="robot_detail"),
        Route("/robots/{name}/edit", robots.editor, name="robot_edit"),
        Route("/robots/{name}/approve", robots.approve, methods=["POST"], name="robot_approve"),
        Route("/robots/{name}/state", robot_lifecycle.robot_state, methods=["POST"], name="robot_state"),
        Route("/robots/{name}/{mode:str}", robots.run_now, methods=["POST"], name="robot_run"),
        Route("/runs", runs.runs_list, name="runs"),
        Route("/runs/{run_id}", runs.run_detail, name="run_detail"),
        Route("/runs/{run_id}/status.json", runs.run_status, name="run_status"),
        Route("/runs/{run_id}/cancel", runs.run_cancel, methods=["POST"], name="run_cancel"),
        Route("/runs/{run_id}/reprocess", runs.run_reprocess, methods=["POST"], name="run_reprocess"),
        Route("/runs/{run_id}/attempts/{attempt_id:int}/{kind}", runs.evidence, name="evidence"),
        Route("/schedules", schedules.schedules, name="schedules"),
        Route("/schedules/{name}/{action:str}", schedules.pause, methods=["POST"], name="schedule_pause"),
        Route("/calendar/closures", schedules.closure_add, methods=["POST"], name="closure_add"),
        Route(
            "/calendar/closures/{day}/delete",
            schedules.closure_remove,
            methods=["POST"],
            name="closure_remove",
        ),
        Route("/assets", assets.assets_page, name="assets"),
        Route("/notifications", notifications.notifications_page, name="notifications"),
        Route("/assets", assets.assets_post, methods=["POST"], name="assets_post"),
        Route("/ocr", ocr_review.ocr_queue, name="ocr_queue"),
        Route("/ocr/batches/{batch_id}", ocr_review.ocr_review, name="ocr_review"),
        Route("/ocr/batches/{batch_id}/apply", ocr_review.ocr_apply, methods=["POST"], name="ocr_apply"),
        Route("/ocr/crops/{field_id:int}", ocr_review.ocr_crop, name="ocr_crop"),
        Route("/ocr/pages/{field_id:int}", ocr_page.ocr_page, name="ocr_page"),
        Route("/dashboard", dashboard.dashboard, name="dashboard"),
        Route("/dashboard/report.xlsx", dashboard.report_xlsx, name="report_xlsx"),
        Route("/org", org_page.org_page, name="org"),
        Route("/org/{action:str}", org_page.org_post, methods=["POST"], name="org_post"),
        Route("/users", users.users_page, name="users"),
        Route("/users/add", users.user_add, methods=["POST"], name="user_add"),
        Route("/users/{name}/{action:str}", users.user_change, methods=["POST"], name="user_change"),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders, hsts=secure),
        Middleware(
            SessionMiddleware,
            secret_key=_session_key(settings),
            session_cookie="dxrpa_session",
            max_age=SESSION_HOURS * 3600,
            same_site="lax",
            https_only=secure,
        ),
    ]
    handlers = {
        NotLoggedIn: _not_logged_in,
        Forbidden: _forbidden,
        CsrfRefused: _csrf,
        DxrpaError: _dxrpa_error,
        HTTPException: _http_error,
    }
    console_repo.ensure_rollup(store)
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.console = ConsoleState(
        settings=settings,
        store=store,
        launcher=Launcher(settings, store),
        env=make_env(),
        reader=Reader(store),
        trust_header=header,
        policy=policy,
        secure=secure,
    )
    return app


__all__ = ["create_app"]
