"""Fixtures for ledger tests: a real SQLite file store and the hand-computed ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dxrpa.i18n import set_lang
from dxrpa.store import Store

from .scenario import Ledger, build_ledger


@pytest.fixture(autouse=True)
def _japanese_by_default() -> Iterator[None]:
    set_lang("ja")
    yield
    set_lang("ja")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/x.db")
    s.upgrade()
    yield s
    s.dispose()


@pytest.fixture
def ledger(store: Store) -> Ledger:
    return build_ledger(store)
