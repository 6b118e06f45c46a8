"""Fault drills for the durability promise: kill the runner at random moments and run it again
until the robot reports nothing left, as a night operator would. Used by tests and
``bench/crash_resume.py``; the verdict always comes from the sample app's own records."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class DrillResult:
    kills: int
    runs: int
    seconds: float
    last_exit: int


def run_cli(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> int:
    """``dxrpa ARGS`` in a child process; returns its exit code."""
    proc = subprocess.run(
        [sys.executable, "-m", "dxrpa", *args],
        cwd=cwd,
        env=env,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return proc.returncode


def kill_drill(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    kills: int,
    seed: int,
    min_delay: float = 2.0,
    max_delay: float = 8.0,
    max_final_runs: int = 5,
) -> DrillResult:
    """Start ``dxrpa ARGS`` and SIGKILL it after a random delay, ``kills`` times; then run it to
    completion (repeating while it exits non-zero, at most ``max_final_runs`` times)."""
    rng = random.Random(seed)
    started = time.monotonic()
    done_kills = runs = 0
    for _ in range(kills):
        proc = subprocess.Popen(
            [sys.executable, "-m", "dxrpa", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        runs += 1
        try:
            proc.wait(timeout=rng.uniform(min_delay, max_delay))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            done_kills += 1
    code = 1
    for _ in range(max_final_runs):
        code = run_cli(args, cwd=cwd, env=env)
        runs += 1
        if code == 0:
            break
    return DrillResult(done_kills, runs, time.monotonic() - started, code)


def entry_counts(applications: list[dict[str, Any]]) -> Counter[str]:
    return Counter(str(a["受付番号"]) for a in applications)
