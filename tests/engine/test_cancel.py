"""Issue 17: SIGINT (Ctrl-C) cancels a run: after the current item, or after the robot's
``limits.cancel_grace_seconds`` for a step that hangs. The run is closed as ``cancelled``, the CLI
exits 130, nothing is half-entered and the items not done stay pending for the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import Faults, SampleApp
from dxrpa.errors import ExitCode
from dxrpa.store import Store
from dxrpa.store.tables import Run, WorkItem
from tests.engine.test_bad_input import dx, robot_text, write_robot


def _start_run(home: Path, items: int, grace: float) -> tuple[subprocess.Popen[str], Store]:
    write_robot(home, robot_text(**{"retries: 2": f"retries: 2\nlimits: {{cancel_grace_seconds: {grace}}}"}))
    write_xlsx(home / "data" / "juminhyo.xlsx", juminhyo_rows(items))
    registered = dx(home, "robots", "register", "robots/juminhyo_entry.yaml")
    assert registered.returncode == 0, registered.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "dxrpa", "run", "juminhyo_entry"],
        cwd=home,
        env=dict(os.environ, DXRPA_LANG="en", COLUMNS="250"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a command typed in a terminal
    )
    return proc, Store(load_settings().db_url)


def _wait_in_progress(store: Store, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with store.session() as s:
            if s.scalar(select(WorkItem.id).where(WorkItem.status == "in_progress")) is not None:
                return
        time.sleep(0.1)
    raise AssertionError("no item started")


def _statuses(store: Store) -> tuple[str, dict[str, str]]:
    with store.session() as s:
        run = s.scalars(select(Run)).one()
        return run.status, {wi.key: wi.status for wi in s.scalars(select(WorkItem))}


def test_sigint_during_a_hanging_step_cancels_after_the_grace(robot_env: Path, sample_app: SampleApp) -> None:
    sample_app.set_faults(Faults(stall_rate=1.0, stall_seconds=60, seed=1))  # every page hangs
    proc, store = _start_run(robot_env, items=3, grace=2)
    try:
        _wait_in_progress(store, proc)
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - sent
        assert proc.returncode == ExitCode.INTERRUPTED, out + err
        assert "Traceback" not in out + err
        assert elapsed < 30, elapsed  # the grace (2 s) and cleanup, not the 60 s stall or 15 s timeouts
        status, items = _statuses(store)
        assert status == "cancelled"
        assert set(items.values()) == {"pending"}, items  # the interrupted one is given back too
        assert sample_app.applications() == []
    finally:
        if proc.poll() is None:
            proc.kill()
        store.dispose()


def test_sigint_finishes_the_current_item_then_cancels(robot_env: Path, sample_app: SampleApp) -> None:
    proc, store = _start_run(robot_env, items=4, grace=90)
    try:
        _wait_in_progress(store, proc)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C in a terminal: every process of the group
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == ExitCode.INTERRUPTED, out + err
        assert "Traceback" not in out + err
        status, items = _statuses(store)
        assert status == "cancelled"
        done = [k for k, v in items.items() if v == "done"]
        assert len(done) == 1 and set(items.values()) == {"done", "pending"}, items
        assert len(sample_app.applications()) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
        store.dispose()
