"""Fixtures for running real robots against the sample app in real Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dxrpa.demo.webapp import SampleApp, start_app
from tests.conftest import require_chromium

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sample_app(tmp_path: Path) -> Iterator[SampleApp]:
    app = start_app(tmp_path / "app.sqlite", allow_duplicates=True)
    yield app
    app.stop()


@pytest.fixture
def robot_env(dx_home: Path, sample_app: SampleApp, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home with the example robot copied in, the app URL and the app's login as secrets."""
    require_chromium()
    (dx_home / "robots").mkdir()
    shutil.copy(ROOT / "robots" / "juminhyo_entry.yaml", dx_home / "robots")
    monkeypatch.setenv("APP_URL", sample_app.url)
    monkeypatch.setenv("APP_USER", "staff01")
    monkeypatch.setenv("APP_PASSWORD", "demo-pass")
    return dx_home
