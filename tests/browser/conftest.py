"""Fixtures: a tiny HTTP server on 127.0.0.1, one real Chromium per session, a fresh guarded
context per test, and :func:`run_item` to run a list of step dicts as a robot's item section."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

from dxrpa.browser.session import BrowserHandle, ContextHandle, launch
from dxrpa.config import BrowserSettings
from dxrpa.engine.steps import StepContext, run_steps
from dxrpa.model.robot import Robot

from . import pages

CHROMIUM = Path("/usr/bin/chromium")
T = TypeVar("T")


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes, dict[str, str]]]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        status, ctype, body, headers = self.routes.get(path, (404, "text/plain", b"not found", {}))
        headers = dict(headers)
        wanted = headers.pop("X-Basic", None)  # a page behind Basic authentication
        if wanted is not None:
            import base64

            given = self.headers.get("Authorization", "")
            if given != "Basic " + base64.b64encode(wanted.encode()).decode():
                status, body, headers = 401, b"auth required", {"WWW-Authenticate": 'Basic realm="x"'}
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Site:
    base: str
    port: int


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    html = "text/html; charset=utf-8"
    _Handler.routes = {
        "/form": (200, html, pages.FORM.encode(), {}),
        "/delayed": (200, html, pages.DELAYED.encode(), {}),
        "/fallback": (200, html, pages.FALLBACK.encode(), {}),
        "/frame-host": (200, html, pages.FRAME_HOST.encode(), {}),
        "/frame-inner": (200, html, pages.FRAME_INNER.encode(), {}),
        "/dialog": (200, html, pages.DIALOG.encode(), {}),
        "/download": (200, html, pages.DOWNLOAD.encode(), {}),
        "/files/report.csv": (
            200,
            "text/csv; charset=utf-8",
            "受付番号,氏名\nA-001,山田\n".encode(),
            {"Content-Disposition": 'attachment; filename="report.csv"'},
        ),
        "/validate": (200, html, pages.VALIDATE.encode(), {}),
        "/links": (200, html, pages.LINKS.replace("{port}", str(port)).encode(), {}),
        "/boom": (500, html, "<h1>内部エラー</h1>".encode(), {}),
        "/personal": (200, html, pages.PERSONAL.encode(), {}),
        "/busy": (200, html, pages.BUSY.encode(), {}),
        "/windows": (200, html, pages.WINDOWS.encode(), {}),
        "/popup-page": (200, html, pages.POPUP_PAGE.encode(), {}),
        "/dialog-chain": (200, html, pages.DIALOG_CHAIN.encode(), {}),
        "/aria-table": (200, html, pages.ARIA_TABLE.encode(), {}),
        "/span-table": (200, html, pages.SPAN_TABLE.encode(), {}),
        "/paged-table": (200, html, pages.PAGED_TABLE.encode(), {}),
        "/widgets": (200, html, pages.WIDGETS.encode(), {}),
        "/assets": (200, html, pages.ASSETS.encode(), {}),
        "/group": (200, html, pages.GROUP_LABEL.encode(), {}),
        "/gone": (404, html, "<h1>該当する住民はいません</h1>".encode(), {}),
        "/basic": (200, html, "<h1>庁内システム</h1>".encode(), {"X-Basic": "clerk:s3cret-pass"}),
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{port}", port)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    ev = asyncio.new_event_loop()
    yield ev
    ev.close()


@pytest.fixture(scope="package")
def browser(loop: asyncio.AbstractEventLoop) -> Iterator[BrowserHandle]:
    if not CHROMIUM.is_file():
        pytest.fail("Chromium not found at /usr/bin/chromium: install it with `apt-get install chromium`")
    handle = loop.run_until_complete(launch(BrowserSettings(executable=str(CHROMIUM)), headless=True))
    yield handle
    loop.run_until_complete(handle.close())


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    handle: ContextHandle
    site: Site
    run_folder: Path
    browser_handle: BrowserHandle

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def robot(self, steps: list[dict[str, Any]], **extra: Any) -> Robot:
        return make_robot(steps, **extra)

    def context(self, robot: Robot, **kw: Any) -> StepContext:
        defaults: dict[str, Any] = dict(
            page=self.handle.page,
            robot=robot,
            item={},
            variables={},
            env={"APP_URL": self.site.base},
            secrets={},
            run={"id": "test-run", "dry_run": False},
            run_folder=self.run_folder,
            dry_run=False,
            timeout_ms=3000,
            source="robots/test_robot.yaml",
        )
        defaults.update(kw)
        return StepContext(**defaults)

    def run_item(
        self, steps: list[dict[str, Any]], *, robot_extra: dict[str, Any] | None = None, **kw: Any
    ) -> StepContext:
        robot = make_robot(steps, **(robot_extra or {}))
        ctx = self.context(robot, **kw)
        self.run(run_steps(robot.item, ctx, "item"))
        return ctx

    def page_text(self, css: str) -> str:
        return self.run(self.handle.page.locator(css).inner_text())


def make_robot(steps: list[dict[str, Any]], **extra: Any) -> Robot:
    data: dict[str, Any] = {
        "name": "test_robot",
        "title": "テスト",
        "department": "情報政策課",
        "baseline": {"minutes_per_item": 1},
        "item": steps,
    }
    data.update(extra)
    return Robot.model_validate(data)


@pytest.fixture
def h(
    loop: asyncio.AbstractEventLoop, browser: BrowserHandle, site: Site, tmp_path: Path
) -> Iterator[Harness]:
    run_folder = tmp_path / "run"
    run_folder.mkdir()
    handle = loop.run_until_complete(
        browser.new_context(
            allowed_domains=["127.0.0.1", "localhost"],
            timeout_ms=3000,
            downloads_dir=run_folder / "downloads",
        )
    )
    yield Harness(loop, handle, site, run_folder, browser)
    loop.run_until_complete(handle.close())
