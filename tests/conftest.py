"""Shared fixtures: an isolated dxrpa home (settings, SQLite file) and the sample web app."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dxrpa.config import Settings, load_settings
from dxrpa.i18n import set_lang

CHROMIUM = "/usr/bin/chromium"


def require_chromium() -> None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.fail("Chromium is not installed: apt-get install chromium (or run scripts/setup.sh)")


@contextmanager
def serve_folder(root: Path) -> Iterator[str]:
    """A quiet static web server for ``root`` on 127.0.0.1; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _japanese_by_default() -> Iterator[None]:
    set_lang("ja")
    yield
    set_lang("ja")


@pytest.fixture
def dx_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh dxrpa home: settings from env only, SQLite under tmp/var, cwd = home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DXRPA_HOME", str(home))
    monkeypatch.setenv("DXRPA_CONFIG", str(home / "configs" / "dxrpa.toml"))
    monkeypatch.setenv("DXRPA_BROWSER__EXECUTABLE", CHROMIUM)
    monkeypatch.chdir(home)
    return home


@pytest.fixture
def settings(dx_home: Path) -> Settings:
    return load_settings()


# A test is slow when it drives Chromium, starts the console or a sample system, reads scans with the
# OCR model or needs PostgreSQL: the fixtures say so, so a new test is classified without a list.
_SLOW_FIXTURES = frozenset(
    {"browser", "page", "h", "console", "app", "sample_app", "site", "ui", "logged_in", "robot_env", "scans"}
    | {"reader", "ocr_home", "smtp"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow tests (``-m "not slow"`` is the few-minute subset in the README)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _SLOW_FIXTURES or item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.slow)
