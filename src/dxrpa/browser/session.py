"""One browser per run, one guarded context per worker/item.

* :func:`detect_executable` finds a browser in the order DESIGN.md fixes: setting/env → channel →
  system Edge/Chrome/Chromium → Playwright's own download, and says how to install one otherwise.
* :func:`launch` starts it headless with flags that keep a closed-network machine quiet.
* :class:`ContextHandle` wraps a ``BrowserContext``: requests to hosts outside ``allowed_domains``
  are aborted inside the browser (a regex route, so allowed traffic never round-trips to Python),
  a blocked main-frame navigation, a 5xx main document or a page crash is recorded for the step
  executor to turn into the right error, and tracing can be kept only for failed items.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import mimetypes
import os
import re
import shutil
import sys
import weakref
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Literal

from playwright.async_api import (
    Browser,
    BrowserContext,
    Error,
    Page,
    Playwright,
    Request,
    Response,
    Route,
    async_playwright,
)

from dxrpa.config import BrowserSettings
from dxrpa.errors import DependencyMissing
from dxrpa.i18n import tr
from dxrpa.log import logger

LAUNCH_ARGS = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
)
_SYSTEM_BROWSERS = (
    "msedge",
    "microsoft-edge",
    "microsoft-edge-stable",
    "google-chrome",
    "google-chrome-stable",
    "chromium",
    "chromium-browser",
)
_INSTALL_HINT = tr(
    "Debian/Ubuntu では `apt-get install chromium`、Windows では Microsoft Edge を入れるか、"
    "設定 browser.executable（環境変数 DXRPA_BROWSER__EXECUTABLE）にブラウザのパスを指定してください",
    "on Debian/Ubuntu run `apt-get install chromium`; on Windows install Microsoft Edge; or set "
    "browser.executable (env DXRPA_BROWSER__EXECUTABLE) to a browser's path",
)
CLOSE_SECONDS = 10.0  # closing a context or browser that was killed can wait forever
_ALWAYS_ALLOWED_SCHEMES = ("data", "blob", "about", "chrome-error", "javascript")

ProblemKind = Literal["blocked", "http", "crash"]


# --------------------------------------------------------------------------- executable


def _windows_candidates() -> list[Path]:
    bases = [os.environ.get(k) for k in ("ProgramFiles(x86)", "ProgramFiles", "LOCALAPPDATA")]
    rel = (r"Microsoft\Edge\Application\msedge.exe", r"Google\Chrome\Application\chrome.exe")
    return [Path(b) / r for r in rel for b in bases if b]


def _mac_candidates() -> list[Path]:
    return [
        Path("/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"),
        Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
        Path("/Applications/Chromium.app/Contents/MacOS/Chromium"),
    ]


def _playwright_browser_exists() -> bool:
    """True when Playwright's own Chromium build is present where Playwright looks for it."""
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured == "0":
        import playwright

        roots = [Path(playwright.__file__).parent / "driver" / "package" / ".local-browsers"]
    elif configured:
        roots = [Path(configured)]
    elif sys.platform.startswith("win"):
        roots = [Path(os.environ.get("LOCALAPPDATA", "~")).expanduser() / "ms-playwright"]
    elif sys.platform == "darwin":
        roots = [Path("~/Library/Caches/ms-playwright").expanduser()]
    else:
        roots = [Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "ms-playwright"]
    return any(glob.glob(str(root / "chromium*-*")) for root in roots)


def detect_executable(settings: BrowserSettings) -> tuple[str | None, str | None]:
    """Return ``(executable_path, channel)``; ``(None, None)`` means Playwright's own Chromium."""
    explicit = settings.executable or os.environ.get("DXRPA_BROWSER__EXECUTABLE")
    if explicit:
        found = explicit if Path(explicit).is_file() else shutil.which(explicit)
        if not found:
            raise DependencyMissing(
                tr(
                    f"設定されたブラウザ '{explicit}' が見つかりません (browser.executable)",
                    f"configured browser '{explicit}' not found (browser.executable)",
                ),
                hint=_INSTALL_HINT,
            )
        return found, None
    if settings.channel:
        return None, settings.channel
    for name in _SYSTEM_BROWSERS:
        path = shutil.which(name)
        if path:
            return path, None
    candidates = _windows_candidates() if sys.platform.startswith("win") else []
    if sys.platform == "darwin":
        candidates = _mac_candidates()
    for cand in candidates:
        if cand.is_file():
            return str(cand), None
    if _playwright_browser_exists():
        return None, None
    raise DependencyMissing(
        tr("ブラウザ (Edge/Chrome/Chromium) が見つかりません", "no browser (Edge/Chrome/Chromium) found"),
        hint=_INSTALL_HINT,
    )


# --------------------------------------------------------------------------- allowed domains


def _clean_domain(domain: str) -> str:
    d = domain.strip().lower()
    d = d.split("://", 1)[-1].split("/", 1)[0]
    if d.startswith("*."):
        d = d[2:]
    if d.count(":") == 1:  # host:port (not IPv6)
        d = d.split(":", 1)[0]
    return d.strip("[]")


def blocked_url_pattern(allowed_domains: list[str]) -> re.Pattern[str]:
    """A regex matching URLs *outside* the allowed hosts (exact host or a subdomain).

    Written in the subset JavaScript shares with Python, so Playwright matches it inside the
    browser driver and only blocked requests ever reach Python.
    """
    schemes = "|".join(_ALWAYS_ALLOWED_SCHEMES)
    hosts = "|".join(re.escape(d).replace(r"\-", "-") for d in map(_clean_domain, allowed_domains) if d)
    allowed_host = (
        rf"(?!(?:https?|wss?|ftp)://(?:[^/?#@]*@)?(?:[^/?#:@]*\.)?(?:{hosts})(?::\d+)?(?:[/?#]|$))"
        if hosts
        else ""
    )
    return re.compile(rf"^(?!(?:{schemes}):){allowed_host}", re.IGNORECASE)


def host_of(url: str) -> str:
    rest = url.split("://", 1)[-1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


# --------------------------------------------------------------------------- context


_GUARDS: weakref.WeakKeyDictionary[BrowserContext, ContextHandle] = weakref.WeakKeyDictionary()


def guard_for(page: Page) -> ContextHandle | None:
    """The :class:`ContextHandle` that created ``page``'s context (None for a bare Playwright page)."""
    return _GUARDS.get(page.context)


class ContextHandle:
    """A guarded ``BrowserContext`` with its first page; records problems the step executor raises."""

    def __init__(
        self,
        context: BrowserContext,
        page: Page,
        *,
        allowed_domains: list[str],
        downloads_dir: Path,
        timeout_ms: int,
        trace: bool,
        assets: dict[str, Path] | None = None,
        blocked: dict[str, int] | None = None,
    ) -> None:
        self.context = context
        self.page = page
        self.allowed_domains = list(allowed_domains)
        self.downloads_dir = downloads_dir
        self.timeout_ms = timeout_ms
        self.tracing = trace
        self.blocked_url: str | None = None  # a main-frame navigation we aborted
        self.http_error: str | None = None  # the URL of a main document that answered 5xx
        self.http_error_status = 0  # its status
        self.last_status: int | None = None  # the latest main document's HTTP status
        self.crashed = False
        self._page_handed_out = False
        self._block_re = blocked_url_pattern(self.allowed_domains)
        self.in_flight = 0  # requests sent and not yet finished (a stalled navigation counts)
        self.assets = dict(assets or {})  # URL pattern → local file served in its place
        self.blocked = blocked if blocked is not None else {}  # host → requests blocked (per run)
        _GUARDS[context] = self

    async def _install(self) -> None:
        self.context.on("response", self._on_response)
        self.context.on("request", self._on_request)
        self.context.on("requestfinished", self._on_request_done)
        self.context.on("requestfailed", self._on_request_done)
        self.context.on("page", self._watch_page)
        self._watch_page(self.page)
        await self.context.route(self._block_re, self._on_blocked)
        for pattern, path in self.assets.items():  # routed after the block: matched before it
            await self.context.route(pattern, _serve_file(path))

    def _on_request(self, _request: object) -> None:
        self.in_flight += 1

    def _on_request_done(self, _request: object) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def _watch_page(self, page: Page) -> None:
        page.on("crash", self._on_crash)

    def _on_crash(self, _page: Page) -> None:
        self.crashed = True

    def is_allowed(self, url: str) -> bool:
        return self._block_re.match(url) is None

    async def _on_blocked(self, route: Route) -> None:
        request: Request = route.request
        url = request.url
        if self.is_allowed(url):  # belt and braces: the driver's regex and ours agree
            await route.continue_()
            return
        if request.is_navigation_request():
            with contextlib.suppress(Error):
                if request.frame.parent_frame is None:
                    self.blocked_url = url
        host = host_of(url)
        self.blocked[host] = self.blocked.get(host, 0) + 1
        if self.blocked[host] == 1:  # once per host per run; the run's end sums them up
            logger.warning(
                tr(
                    f"許可されていない接続先を遮断しました: {host} (browser.allowed_domains にない。"
                    "庁内にある写しを使うなら browser.assets: に書いてください)",
                    f"blocked: {host} (not in browser.allowed_domains; to serve a local copy of a file,"
                    " declare it under browser.assets:)",
                )
            )
        with contextlib.suppress(Error):
            await route.abort("blockedbyclient")

    def _on_response(self, response: Response) -> None:
        request = response.request
        if request.resource_type != "document" or not request.is_navigation_request():
            return
        with contextlib.suppress(Error):
            if response.frame.parent_frame is None:
                self.last_status = response.status
                if response.status >= 500:
                    self.http_error = response.url
                    self.http_error_status = response.status

    def take_problem(self) -> tuple[ProblemKind, str] | None:
        """Return and clear what went wrong behind the page's back (blocked, 5xx, crash)."""
        if self.blocked_url is not None:
            url, self.blocked_url = self.blocked_url, None
            return "blocked", url
        if self.crashed:
            return "crash", tr("ページがクラッシュしました", "the page crashed")
        if self.http_error is not None:
            msg, self.http_error = self.http_error, None
            return "http", msg
        return None

    @property
    def has_problem(self) -> bool:
        return self.blocked_url is not None or self.http_error is not None or self.crashed

    async def start_trace(self, *, snapshots: bool = False) -> None:
        # No screencast frames (they would keep typed personal data as images) and no sources.
        # Playwright has no switch to leave request bodies or typed values out of a trace, so a
        # kept trace is rewritten by engine.evidence.scrub_trace (values, bodies, every encoding)
        # before it is stored; a discarded one never reaches the disk. DOM snapshots only when
        # asked (settings browser.trace_snapshots): they slow every action down.
        await self.context.tracing.start(screenshots=False, snapshots=snapshots, sources=False)
        self.tracing = True

    async def stop_trace(self, path: Path | None) -> Path | None:
        """Stop tracing; keep the zip at ``path`` (a failed item) or discard it (``None``)."""
        if not self.tracing:
            return None
        self.tracing = False
        if path is None:
            await self.context.tracing.stop()
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.context.tracing.stop(path=str(path))
        return path

    async def new_page(self) -> Page:
        """The context's first page on the first call (it already exists), then a new one."""
        if not self._page_handed_out and not self.page.is_closed():
            self._page_handed_out = True
            return self.page
        return await self.context.new_page()

    async def close(self) -> None:
        if self.tracing:
            await _close_quietly(self.stop_trace(None))
        await _close_quietly(self.context.close())


def _serve_file(path: Path) -> Callable[[Route], Awaitable[None]]:
    """A route handler answering with ``path``'s bytes (read on each request: files are small)."""
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"

    async def serve(route: Route) -> None:
        with contextlib.suppress(Error):
            await route.fulfill(status=200, body=path.read_bytes(), headers={"Content-Type": content_type})

    return serve


async def _close_quietly(closing: Awaitable[object]) -> None:
    """Await a closing call, ignoring errors, for at most ``CLOSE_SECONDS``: calls into a browser
    that was killed can wait forever."""
    with contextlib.suppress(Error, TimeoutError):
        async with asyncio.timeout(CLOSE_SECONDS):
            await closing


class BrowserHandle:
    """One launched browser; ``async with`` closes it and the Playwright driver."""

    def __init__(self, playwright: Playwright, browser: Browser, description: str) -> None:
        self._pw = playwright
        self.browser = browser
        self.description = description
        self._closing = False
        self._crashed = False
        self._watchers: list[Callable[[], None]] = []
        self.blocked: dict[str, int] = {}  # host → requests blocked, over every context of the run
        browser.on("disconnected", self._on_disconnected)

    def _on_disconnected(self, _browser: Browser) -> None:
        if not self._closing:
            self._crashed = True
            logger.warning(tr("ブラウザが終了しました", "the browser went away"))
            for watcher in list(self._watchers):
                watcher()

    @contextlib.contextmanager
    def watch(self, on_gone: Callable[[], None]) -> Iterator[None]:
        """Call ``on_gone`` if the browser dies meanwhile (at once if it already has).

        Calls in flight into a killed browser do not always fail: some wait forever. The runner
        uses this to cut such an attempt short instead of waiting for its time limit.
        """
        if self._crashed:
            on_gone()
        self._watchers.append(on_gone)
        try:
            yield
        finally:
            self._watchers.remove(on_gone)

    @property
    def crashed(self) -> bool:
        return self._crashed

    @property
    def is_connected(self) -> bool:
        return self.browser.is_connected()

    async def new_context(
        self,
        *,
        allowed_domains: list[str],
        viewport: tuple[int, int] = (1280, 900),
        locale: str = "ja-JP",
        timeout_ms: int = 15_000,
        downloads_dir: Path,
        trace: bool = False,
        trace_snapshots: bool = False,
        assets: dict[str, Path] | None = None,
        http_credentials: tuple[str, str] | None = None,
    ) -> ContextHandle:
        context = await self.browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale=locale,
            accept_downloads=True,
            service_workers="block",  # a service worker would bypass the domain guard
            http_credentials=(
                {"username": http_credentials[0], "password": http_credentials[1]}
                if http_credentials
                else None
            ),
        )
        context.set_default_timeout(timeout_ms)
        context.set_default_navigation_timeout(timeout_ms)
        try:
            page = await context.new_page()
            handle = ContextHandle(
                context,
                page,
                allowed_domains=allowed_domains,
                downloads_dir=downloads_dir,
                timeout_ms=timeout_ms,
                trace=False,
                assets=assets,
                blocked=self.blocked,
            )
            await handle._install()
            if trace:
                await handle.start_trace(snapshots=trace_snapshots)
        except BaseException:
            with contextlib.suppress(Error):
                await context.close()
            raise
        return handle

    def blocked_summary(self) -> str | None:
        """``cdn.example (12), fonts.example (3)``: what the run's pages tried to reach and could not."""
        if not self.blocked:
            return None
        return ", ".join(f"{host} ({n})" for host, n in sorted(self.blocked.items(), key=lambda kv: -kv[1]))

    async def close(self) -> None:
        self._closing = True
        summary = self.blocked_summary()
        if summary:
            logger.info(tr(f"遮断した接続 (接続先と件数): {summary}", f"blocked requests by host: {summary}"))
            self.blocked.clear()
        await _close_quietly(self.browser.close())
        await _close_quietly(self._pw.stop())

    async def __aenter__(self) -> BrowserHandle:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def launch_args() -> list[str]:
    args = list(LAUNCH_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
    return args


async def launch(
    settings: BrowserSettings, *, headless: bool | None = None, extra_args: tuple[str, ...] = ()
) -> BrowserHandle:
    """Start one browser for a run (detects the executable; DependencyMissing says what to install)."""
    executable, channel = detect_executable(settings)
    pw = await async_playwright().start()
    try:
        browser = await pw.chromium.launch(
            executable_path=executable,
            channel=channel,
            headless=settings.headless if headless is None else headless,
            args=[*launch_args(), *extra_args],
            # Ctrl+C in a terminal, or systemd stopping the service, signals every process: dxrpa
            # decides what that means (finish the item, then stop) and closes the browser itself.
            handle_sigint=False,
            handle_sigterm=False,
        )
    except Error as exc:
        await pw.stop()
        first = str(exc.message).strip().splitlines()[0] if exc.message else type(exc).__name__
        raise DependencyMissing(
            tr(
                f"ブラウザを起動できません ({executable or channel or 'Playwright Chromium'}): {first}",
                f"cannot start the browser ({executable or channel or 'Playwright Chromium'}): {first}",
            ),
            hint=_INSTALL_HINT,
        ) from exc
    return BrowserHandle(pw, browser, executable or channel or "playwright-chromium")
