"""Scheduler fixtures: a dxrpa home with fast lock timings, registering robots, the job double."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dxrpa.config import Settings, load_settings
from dxrpa.store.base import Store
from dxrpa.store.robots_repo import register

JOB_TARGET = f"{Path(__file__).parent / 'jobs.py'}:record"


@pytest.fixture
def sched_settings(dx_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DXRPA_SCHEDULER__LOCK_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("DXRPA_SCHEDULER__LOCK_STALE_SECONDS", "4")
    return load_settings()


@pytest.fixture
def store(sched_settings: Settings) -> Iterator[Store]:
    st = Store(sched_settings.db_url)
    st.upgrade()
    yield st
    st.dispose()


def robot_yaml(name: str, schedule: str = "", extra: str = "") -> str:
    text = (
        f"name: {name}\ntitle: テスト {name}\ndepartment: 市民課\n"
        "baseline: {minutes_per_item: 5, minutes_per_run: 10}\n"
        "item:\n  - goto: http://127.0.0.1/\n" + extra
    )
    if schedule:
        text += "schedule:\n" + schedule
    return text


RegisterFn = Callable[..., None]


@pytest.fixture
def register_robot(store: Store) -> RegisterFn:
    def _register(name: str, schedule: str = "", extra: str = "", approve: bool = True) -> None:
        text = robot_yaml(name, schedule, extra)
        with store.session() as s:
            register(
                s, name=name, title=name, department="市民課", owner="", text=text,
                content_hash=uuid.uuid4().hex, source_path=f"robots/{name}.yaml", minutes_per_item=5,
                minutes_per_run=10, rework_minutes_per_failed_item=0, actor="test", approve=approve,
            )  # fmt: skip

    return _register


def wait_for(cond: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def pg_url() -> str:
    url = os.environ.get("DXRPA_TEST_PG_URL")
    if not url:
        pytest.fail(
            "DXRPA_TEST_PG_URL is not set. Start PostgreSQL 15 and point the tests at it:\n"
            "  pg_ctlcluster 15 main start\n"
            "  su postgres -c \"psql -c 'create role root superuser login'\"\n"
            "  createdb dxrpa_test\n"
            "  export DXRPA_TEST_PG_URL='postgresql://root@/dxrpa_test?host=/var/run/postgresql'\n"
            "(elsewhere: apt-get install postgresql)"
        )
    return url
