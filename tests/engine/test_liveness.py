"""Runner liveness by PID plus process start time: a zombie or a reused PID is not a live runner,
and a run's summary accounts for every item of its batch, including those another run holds."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.engine import liveness
from dxrpa.engine.runner import run_robot
from dxrpa.store import Store, robots_repo, runs_repo, utcnow
from dxrpa.store.tables import Run, WorkItem


def _state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rfind(")") + 2 :].split()[0]


@pytest.fixture
def zombie() -> Iterator[int]:
    """A child that exited and was not reaped: ``kill(pid, 0)`` still succeeds for it."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while _state(proc.pid) != "Z":
        assert time.monotonic() < deadline, "child did not exit"
        time.sleep(0.05)
    yield proc.pid
    proc.wait()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_zombie_is_dead(zombie: int) -> None:
    os.kill(zombie, 0)  # the bare check the runner used to trust says "alive"
    assert liveness.alive(zombie) is False
    assert liveness.alive(zombie, liveness.start_token(zombie)) is False


def test_a_reused_pid_is_dead(sleeper: subprocess.Popen[bytes]) -> None:
    token = liveness.start_token(sleeper.pid)
    assert token is not None
    assert liveness.alive(sleeper.pid, token) is True
    # the pid now belongs to a process started at another time than the recorded runner
    assert liveness.alive(sleeper.pid, token + "0") is False
    assert liveness.alive(os.getpid(), liveness.start_token(os.getpid())) is True
    sleeper.kill()
    sleeper.wait()
    assert liveness.alive(sleeper.pid, token) is False


def _hold(store: Store, key: str, pid: int, token: str | None) -> str:
    """A run of another runner on this host, fresh heartbeat, holding ``key`` in progress."""
    with store.session() as s:
        robot = robots_repo.get_robot(s, "juminhyo_entry")
        version = robots_repo.current_version(s, robot)
        assert version is not None
        run = runs_repo.create_run(
            s,
            robot=robot,
            version=version,
            status="running",
            host=socket.gethostname(),
            pid=pid,
            pid_started=token,
            started_at=utcnow(),
            heartbeat_at=utcnow(),
        )
        item = runs_repo.ensure_items(s, robot.id, [key])[key]
        assert runs_repo.claim(s, item.id, run.id)
        return run.id


def test_run_recovers_a_zombies_item_and_reports_a_live_runners_item(
    robot_env: Path, sample_app: SampleApp, zombie: int, sleeper: subprocess.Popen[bytes]
) -> None:
    rows = juminhyo_rows(3, seed=12)
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert main(["robots", "register", "robots/juminhyo_entry.yaml"]) == 0
    settings = load_settings()
    store = Store(settings.db_url)
    dead_run = _hold(store, rows[0]["受付番号"], zombie, liveness.start_token(zombie))
    live_run = _hold(store, rows[1]["受付番号"], sleeper.pid, liveness.start_token(sleeper.pid))

    summary = run_robot(settings, "juminhyo_entry", store=store)

    entered = sorted(a["受付番号"] for a in sample_app.applications())
    assert entered == sorted([rows[0]["受付番号"], rows[2]["受付番号"]])  # the zombie's item was redone
    assert summary.items_done == 2 and summary.not_taken == {"in_progress": 1}
    assert "別の実行が処理中 1 件" in summary.not_taken_text()
    with store.session() as s:
        runs = {r.id: r.status for r in s.scalars(select(Run))}
        held = s.scalar(select(WorkItem).where(WorkItem.key == rows[1]["受付番号"]))
        assert held is not None
        assert (held.status, held.claimed_by) == ("in_progress", live_run)
    assert runs[dead_run] == "crashed" and runs[live_run] == "running"
    store.dispose()
