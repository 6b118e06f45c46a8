"""Issue 3: a browser crash takes down the item, not the run — the runner relaunches and goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dxrpa.demo.chaos import entry_counts
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp


def _children(pid: int) -> dict[int, int]:
    """pid → parent pid for every process (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    return parents


def _browser_pids(root: int) -> list[int]:
    """Chromium main processes (no --type=) started below ``root``."""
    parents = _children(root)
    found = []
    for pid in parents:
        p = pid
        while p in parents and p != root:
            p = parents[p]
        if p != root:
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and b"chrom" in cmd[0] and not any(a.startswith(b"--type=") for a in cmd):
            found.append(pid)
    return found


def test_browser_killed_mid_run_is_relaunched(robot_env: Path, sample_app: SampleApp) -> None:
    rows = juminhyo_rows(8, seed=4)
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    env = dict(os.environ)
    assert (
        subprocess.run(
            [sys.executable, "-m", "dxrpa", "robots", "register", "robots/juminhyo_entry.yaml"],
            cwd=robot_env,
            env=env,
            check=False,
        ).returncode
        == 0
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "dxrpa", "run", "juminhyo_entry"],
        cwd=robot_env,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    killed, entered = 0, -1
    deadline = time.monotonic() + 120
    while killed < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(4)
        done = len(sample_app.applications())
        if done <= entered:  # the relaunched browser has entered nothing yet: a second kill now would
            continue  # hit the same item twice, which is a system error by design (retries spent)
        for pid in _browser_pids(proc.pid):
            os.kill(pid, signal.SIGKILL)
            killed += 1
            entered = done
            break
    try:
        out, _ = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError("the run hung after the browser was killed:\n" + out) from None
    assert killed >= 1, "the browser must have been killed during the run"
    assert proc.returncode == 0, out
    counts = entry_counts(sample_app.applications())
    assert set(counts) == {r["受付番号"] for r in rows}
    assert max(counts.values()) == 1
