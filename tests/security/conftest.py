"""Fixtures for the security tests: an isolated DXRPA_HOME and a way to run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from dxrpa.i18n import get_lang, set_lang
from dxrpa.store import Store
from tests.console.conftest import launch_browser

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for modules that borrow the console's fixtures: module-scoped, because a live sync
    Playwright keeps its event loop running and every later sync Playwright would refuse to start."""
    with launch_browser() as b:
        yield b


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    (path / "var").mkdir(parents=True)
    return path


@pytest.fixture
def cli_env(home: Path) -> dict[str, str]:
    """The parent environment without any DXRPA_* setting, pointed at ``home``, messages in English."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXRPA_")}
    env.update(DXRPA_HOME=str(home), DXRPA_LANG="en", PYTHONIOENCODING="utf-8", COLUMNS="200")
    return env


@pytest.fixture
def cli(cli_env: dict[str, str], home: Path) -> CliRunner:
    """Run ``dxrpa ARGS`` in a fresh process (cwd = home so no repo configs are read)."""

    def run(
        *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from dxrpa.cli import main; sys.exit(main(sys.argv[1:]))",
                *args,
            ],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**cli_env, **(env or {})},
            cwd=home,
            timeout=120,
        )

    return run


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    """The SQLite store the CLI uses for this ``home`` (settings.db_url)."""
    s = Store(f"sqlite:///{(home / 'var' / 'dxrpa.db').resolve()}")
    s.upgrade()
    yield s
    s.dispose()


@pytest.fixture
def english() -> Iterator[None]:
    before = get_lang()
    set_lang("en")
    yield
    set_lang(before)
