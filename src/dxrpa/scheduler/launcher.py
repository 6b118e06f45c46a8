"""The one way to start a run in a child process (scheduler, console, ``dxrpa run --now``).

Every run executes in :mod:`dxrpa.scheduler.child` with the settings passed as JSON in
:data:`SETTINGS_ENV`, a hard time limit (SIGTERM first: the engine finishes its item; SIGKILL after
a grace period), and dies with its parent (``PR_SET_PDEATHSIG``). PDEATHSIG fires when the
*thread* that started the child ends, so :func:`run_child` spawns and waits in the same thread:
callers run it in a thread that lives as long as the run (never a request-pool thread).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import yaml

from dxrpa.config import Settings
from dxrpa.errors import ExitCode
from dxrpa.model.status import RunStatus

SETTINGS_ENV = "DXRPA_CHILD_SETTINGS"
DEFAULT_TARGET = "dxrpa.engine.runner:run_robot"
TERM_GRACE_SECONDS = 30.0


def child_command(
    robot: str,
    run_id: str,
    *,
    trigger: str,
    target: str = DEFAULT_TARGET,
    unit: str | None = None,
    by: str = "",
    dry_run: bool = False,
    allow_no_submit: bool = False,
    reprocess: Iterable[str] = (),
    err_file: Path | None = None,
) -> list[str]:
    cmd = [sys.executable, "-m", "dxrpa.scheduler.child", "--robot", robot, "--run-id", run_id]
    cmd += ["--trigger", trigger, "--target", target]
    if unit:
        cmd += ["--unit", unit]
    if by:
        cmd += ["--by", by]
    if dry_run:
        cmd.append("--dry-run")
    if allow_no_submit:
        cmd.append("--no-submit-steps-ok")
    for key in reprocess:
        cmd += ["--reprocess", key]
    if err_file is not None:
        cmd += ["--err-file", str(err_file)]
    return cmd


def stop(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM (the child turns it into a cancel after the current item), SIGKILL after ``grace_s``."""
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except ProcessLookupError:
        pass


def run_child(
    settings: Settings,
    cmd: list[str],
    *,
    time_limit_s: float | None,
    grace_s: float = TERM_GRACE_SECONDS,
    stdout: IO[bytes] | None = None,
    cwd: Path | None = None,
    drop_env: Iterable[str] = (),
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> tuple[int, bool]:
    """Start ``cmd`` and wait for it in this thread; returns (exit code, hit the time limit)."""
    dropped = set(drop_env)
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env[SETTINGS_ENV] = settings.model_dump_json()
    proc = subprocess.Popen(
        cmd,
        env=env,
        start_new_session=True,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
        stdin=subprocess.DEVNULL,
        cwd=str(cwd) if cwd else None,
    )
    if on_start is not None:
        on_start(proc)
    try:
        return proc.wait(timeout=time_limit_s), False
    except subprocess.TimeoutExpired:
        stop(proc, grace_s)
        return proc.returncode, True


def exit_code_for(status: str) -> ExitCode:
    """A finished run's status → the child's exit code."""
    if status == RunStatus.SUCCEEDED:
        return ExitCode.OK
    if status in (RunStatus.STOPPED, RunStatus.CANCELLED):
        return ExitCode.STOPPED
    return ExitCode.ITEMS_FAILED


def time_limit_of(yaml_text: str) -> float | None:
    """``limits.run_timeout_minutes`` of a robot file in seconds (the same limit the scheduler uses)."""
    from pydantic import ValidationError

    from dxrpa.model.schedule import ScheduleSection

    try:
        data = yaml.safe_load(yaml_text) or {}
        data.setdefault("name", "robot")
        return ScheduleSection.model_validate(data).limits.run_timeout_minutes * 60
    except (yaml.YAMLError, ValidationError, AttributeError, TypeError):
        return None
