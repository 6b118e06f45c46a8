"""Two ``dxrpa scheduler run`` processes on one SQLite database: only one fires."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from dxrpa.config import Settings
from dxrpa.errors import ExitCode
from dxrpa.store.base import Store
from dxrpa.store.schedule_repo import list_events, lock_holder

from .conftest import JOB_TARGET, RegisterFn, wait_for
from .jobs import read_log

CLI = [sys.executable, "-c", "from dxrpa.cli import run; run()"]


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait()


def start(procs: list[subprocess.Popen[str]], *extra: str) -> subprocess.Popen[str]:
    p = subprocess.Popen(
        [*CLI, "scheduler", "run", "--job-target", JOB_TARGET, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    procs.append(p)
    return p


def holder_pid(store: Store) -> int | None:
    with store.session() as s:
        row = lock_holder(s, "scheduler")
    return int(row.holder.split(":")[1]) if row else None


@pytest.mark.slow
def test_second_scheduler_refuses_standby_takes_over(
    sched_settings: Settings, store: Store, register_robot: RegisterFn, procs: list[subprocess.Popen[str]]
) -> None:
    register_robot("tick", '  - cron: "* * * * * *"\n')
    first = start(procs)
    assert wait_for(lambda: holder_pid(store) == first.pid, 30)
    second = start(procs)
    _, err = second.communicate(timeout=60)
    assert second.returncode == ExitCode.LOCKED, err
    assert "--standby" in err and "スケジューラは既に動いています" in err
    standby = start(procs, "--standby")
    assert wait_for(lambda: sum(e["event"] == "end" for e in read_log(sched_settings.home)) >= 3, 30)
    assert {e["ppid"] for e in read_log(sched_settings.home)} == {first.pid}  # only the lock holder fired
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    assert standby.poll() is None
    assert wait_for(lambda: holder_pid(store) == standby.pid, 30)
    assert wait_for(lambda: any(e["ppid"] == standby.pid for e in read_log(sched_settings.home)), 30)
    first_done = max(float(e["t"]) for e in read_log(sched_settings.home) if e["ppid"] == first.pid)
    assert all(float(e["t"]) > first_done for e in read_log(sched_settings.home) if e["ppid"] == standby.pid)
    standby.send_signal(signal.SIGTERM)
    assert standby.wait(timeout=60) == 0


@pytest.mark.slow
def test_standby_takes_over_a_killed_scheduler(
    sched_settings: Settings, store: Store, register_robot: RegisterFn, procs: list[subprocess.Popen[str]]
) -> None:
    register_robot("tick", '  - cron: "* * * * * *"\n')
    first = start(procs)
    assert wait_for(lambda: holder_pid(store) == first.pid, 30)
    standby = start(procs, "--standby")
    first.kill()  # no release: the standby waits for the heartbeat to go stale (4 s here)
    first.wait()
    assert wait_for(lambda: holder_pid(store) == standby.pid, 30)
    assert wait_for(lambda: any(e["ppid"] == standby.pid for e in read_log(sched_settings.home)), 30)
    standby.send_signal(signal.SIGTERM)
    assert standby.wait(timeout=60) == 0


@pytest.mark.slow
def test_sigterm_lets_the_running_robot_finish(
    sched_settings: Settings, store: Store, register_robot: RegisterFn, procs: list[subprocess.Popen[str]]
) -> None:
    register_robot("long", '  - cron: "* * * * * *"\n')
    (sched_settings.home / "sleep.json").write_text('{"long": 3}')
    sched = start(procs)
    assert wait_for(lambda: any(e["event"] == "start" for e in read_log(sched_settings.home)), 30)
    sched.send_signal(signal.SIGTERM)  # the child gets SIGTERM too and may finish its current item
    assert sched.wait(timeout=60) == 0
    log = read_log(sched_settings.home)
    assert [e["event"] for e in log] == ["start", "end"]
    assert float(log[1]["t"]) - float(log[0]["t"]) >= 2.9
    with store.session() as s:
        kinds = [e.kind for e in list_events(s, robot="long")]
    assert kinds.count("run_finished") == 1
