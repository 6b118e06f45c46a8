"""Fixtures for the authoring tests: the real CLI in an isolated home, the sample app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dxrpa.demo.webapp import SampleApp, start_app
from tests.conftest import CHROMIUM, require_chromium
from tests.security.conftest import cli, cli_env, home

__all__ = ["cli", "cli_env", "home"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SampleApp]:
    require_chromium()
    a = start_app(tmp_path / "app.sqlite")
    yield a
    a.stop()


@pytest.fixture
def browser_env(cli_env: dict[str, str]) -> dict[str, str]:
    cli_env["DXRPA_BROWSER__EXECUTABLE"] = CHROMIUM
    return cli_env
