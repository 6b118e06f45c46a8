"""The one child launcher (scheduler.launcher) as the console uses it: real child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dxrpa.config import Settings
from dxrpa.console.jobs import Launcher
from dxrpa.errors import ExitCode
from dxrpa.store.base import Store

from .conftest import RegisterFn, wait_for
from .jobs import read_log

TARGET = f"{Path(__file__).parent / 'jobs.py'}:until_cancelled"


def test_a_console_run_gets_the_robots_time_limit_and_sigterm_becomes_a_cancel(
    sched_settings: Settings, store: Store, register_robot: RegisterFn
) -> None:
    register_robot("slow", extra="limits: {run_timeout_minutes: 0.1}\n")  # 6 s
    launcher = Launcher(sched_settings, store, target=TARGET, term_grace_s=20)
    assert launcher.time_limit("slow") == 0.1 * 60
    t0 = time.monotonic()
    run_id = launcher.start("slow", user="operator1")
    assert wait_for(lambda: not launcher.is_alive(run_id), 30)
    elapsed = time.monotonic() - t0
    events = [e["event"] for e in read_log(sched_settings.home) if e["run_id"] == run_id]
    assert events == ["start", "cancelled"]  # SIGTERM at the limit, the run stopped itself
    assert 5 < elapsed < 18  # not the 60 s the job would take, nor the 20 s SIGKILL grace
    log = (sched_settings.var_dir / "console" / "launch" / f"{run_id}.log").read_text()
    assert "stopped" in log


PARENT = """
import sys, time
from dxrpa.config import load_settings
from dxrpa.scheduler.launcher import child_command, run_child
cmd = child_command("slow", sys.argv[1], trigger="console", target=sys.argv[2])
run_child(load_settings(), cmd, time_limit_s=None)
"""


def test_a_child_dies_when_its_parent_is_killed(
    sched_settings: Settings, store: Store, register_robot: RegisterFn
) -> None:
    register_robot("slow")
    run_id = "20261203-000000-dead01"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, run_id, TARGET], cwd=sched_settings.home)
    assert wait_for(lambda: any(e["event"] == "start" for e in read_log(sched_settings.home)), 30)
    child_pid = read_log(sched_settings.home)[0]["pid"]
    assert read_log(sched_settings.home)[0]["ppid"] == parent.pid
    parent.send_signal(signal.SIGKILL)
    parent.wait()

    def gone() -> bool:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{child_pid}/stat").read_text().split()[2] == "Z"

    assert wait_for(gone, 10)
    assert int(ExitCode.STOPPED) == 14  # the child's public exit code, documented in the README
