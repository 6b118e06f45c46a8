"""Scale-out on a real PostgreSQL: procrastinate workers, per-robot lock, a killed worker's run retried."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from dxrpa.config import Settings, load_settings
from dxrpa.errors import LockHeld
from dxrpa.scheduler.executor import ProcrastinateExecutor, RunOrder, new_run_id
from dxrpa.scheduler.lock import SchedulerLock
from dxrpa.scheduler.queue import defer_run
from dxrpa.scheduler.service import SchedulerService
from dxrpa.store.base import Store
from dxrpa.store.schedule_repo import list_events

from .conftest import JOB_TARGET, pg_url, robot_yaml, wait_for
from .jobs import read_log

pytestmark = pytest.mark.postgres
CLI = [sys.executable, "-c", "from dxrpa.cli import run; run()"]


def _with_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@pytest.fixture
def pg_settings(dx_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    base = pg_url()
    db = f"dxrpa_sched_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {db}")
    url = _with_db(base, db)
    monkeypatch.setenv("DXRPA_DATABASE_URL", url)
    monkeypatch.setenv("DXRPA_SCHEDULER__EXECUTOR", "procrastinate")
    monkeypatch.setenv("DXRPA_SCHEDULER__LOCK_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("DXRPA_SCHEDULER__LOCK_STALE_SECONDS", "4")
    yield load_settings()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait()


def _start_worker(workers: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    p = subprocess.Popen([*CLI, "worker", "--concurrency", "2", "--job-target", JOB_TARGET])
    workers.append(p)
    return p


def _ends(home: Path) -> list[dict[str, Any]]:
    return [e for e in read_log(home) if e["event"] == "end"]


def test_workers_run_each_job_once_one_per_robot_and_retry_a_killed_workers_run(
    pg_settings: Settings, workers: list[subprocess.Popen[bytes]]
) -> None:
    home = pg_settings.home
    store = Store(pg_settings.db_url)
    store.upgrade()
    # one scheduler per database: the PostgreSQL advisory lock
    lock1, lock2 = SchedulerLock(store, pg_settings.scheduler), SchedulerLock(store, pg_settings.scheduler)
    lock1.acquire()
    with pytest.raises(LockHeld):
        lock2.acquire()
    lock1.release()

    (home / "sleep.json").write_text(json.dumps({"r0": 0.3, "r1": 0.3, "r2": 0.3, "victim": 4}))
    executor = ProcrastinateExecutor(pg_settings)
    orders = [RunOrder(f"r{i % 3}", new_run_id(), "now") for i in range(20)]
    for order in orders:
        assert defer_run(executor.app, order, queueing_lock=False) is not None
    # the scheduler's own deferrals use the queueing lock: no pile-up behind a waiting run
    assert executor.submit(RunOrder("r0", new_run_id())).outcome == "queued"
    assert executor.submit(RunOrder("r0", new_run_id())).outcome == "already_queued"

    w1, w2 = _start_worker(workers), _start_worker(workers)
    assert wait_for(lambda: len(_ends(home)) >= 21, 90), read_log(home)
    log = read_log(home)
    done = [e["run_id"] for e in _ends(home)]
    assert sorted(done) == sorted({*done}), "a run was executed twice"
    assert {o.run_id for o in orders} <= set(done)
    for robot in ("r0", "r1", "r2"):
        spans = sorted(
            (float(s["t"]), float(e["t"]))
            for s in log if s["robot"] == robot and s["event"] == "start"
            for e in log if e["event"] == "end" and e["run_id"] == s["run_id"]
        )  # fmt: skip
        for (_, end1), (start2, _) in itertools.pairwise(spans):
            assert start2 >= end1, f"two runs of {robot} at once: {spans}"

    # kill the worker running 'victim' mid-run: the other worker runs it again (same run_id)
    victim = RunOrder("victim", new_run_id(), "now")
    defer_run(executor.app, victim)
    assert wait_for(lambda: any(e["run_id"] == victim.run_id for e in read_log(home)), 30)
    first = next(e for e in read_log(home) if e["run_id"] == victim.run_id)
    killed = w1 if first["ppid"] == w1.pid else w2
    survivor = w2 if killed is w1 else w1
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert wait_for(lambda: any(e["run_id"] == victim.run_id for e in _ends(home)), 60), read_log(home)
    runs = [e for e in read_log(home) if e["run_id"] == victim.run_id]
    assert [e["event"] for e in runs] == ["start", "start", "end"]  # the killed child died with its worker
    assert runs[-1]["ppid"] == survivor.pid

    # the scheduler defers to the queue instead of running locally
    with store.session() as s:
        from dxrpa.store.robots_repo import register

        text = robot_yaml("tick", '  - cron: "* * * * * *"\n')
        register(
            s, name="tick", title="tick", department="x", owner="", text=text,
            content_hash="h", source_path="robots/tick.yaml", minutes_per_item=1, minutes_per_run=1,
            rework_minutes_per_failed_item=0, actor="test",
        )  # fmt: skip
    service = SchedulerService(pg_settings, store, executor, poll_seconds=0.5)
    service.start()
    assert wait_for(lambda: any(e["robot"] == "tick" for e in _ends(home)), 30)
    time.sleep(1)
    service.stop(grace_s=5)
    with store.session() as s:
        assert "queued" in {e.kind for e in list_events(s, robot="tick")}

    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(timeout=60) == 0
    store.dispose()
