"""Console fixtures: the console on 127.0.0.1:<free port> (uvicorn in a thread) over a tmp SQLite
store, users of every role, and real Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from dxrpa.config import Settings, load_settings
from dxrpa.console import create_app
from dxrpa.console.auth import hash_password
from dxrpa.store import Store, console_repo
from tests.conftest import CHROMIUM, require_chromium
from tests.engine.conftest import robot_env, sample_app  # noqa: F401  (fixtures used by the console tests)

PASSWORD = "correct horse 1"
USERS = {"viewer1": "viewer", "author1": "author", "operator1": "operator", "admin1": "admin"}
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Console:
    url: str
    settings: Settings
    store: Store
    app: object

    def wait_runs(self) -> None:
        self.app.state.console.launcher.wait_all(timeout=120)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@contextmanager
def start_console(
    password_hash: str,
    monkeypatch: pytest.MonkeyPatch | None = None,
    trust_header_env: str | None = None,
    **app_options: Any,
) -> Iterator[Console]:
    """The console over the home in DXRPA_HOME; ``trust_header_env`` sets DXRPA_CONSOLE_TRUST_HEADER
    after the settings are read (dxrpa's settings loader refuses unknown DXRPA_* variables);
    ``app_options`` go to :func:`create_app` (e.g. ``host=`` the address it believes it listens on)."""
    settings = load_settings()
    store = Store(settings.db_url)
    store.upgrade()
    with store.session() as s:
        for name, role in USERS.items():
            if console_repo.get_user(s, name) is None:
                console_repo.add_user(s, name, role, password_hash, by="test")
    if trust_header_env and monkeypatch is not None:
        monkeypatch.setenv("DXRPA_CONSOLE_TRUST_HEADER", trust_header_env)
    app = create_app(settings, store, **app_options)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Console(f"http://127.0.0.1:{port}", settings, store, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.console.launcher.wait_all(timeout=60)
        store.dispose()


@pytest.fixture
def console(dx_home: Path, password_hash: str) -> Iterator[Console]:
    with start_console(password_hash) as c:
        yield c


@contextmanager
def launch_browser() -> Iterator[Browser]:
    """Headless Chromium through sync Playwright; its event loop lives until the block ends, so
    the fixtures using it are package- or module-scoped, never session-scoped."""
    require_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else None,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with launch_browser() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP", accept_downloads=True)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


def login(page: Page, console: Console, name: str, password: str = PASSWORD) -> None:
    page.goto(console.url + "/login")
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/robots")
