"""`dxrpa robots register` shows the schedules it would start and asks first (issue 14).

Real CLI in a child process: without a terminal and without ``--yes`` the version is registered
and approved but its schedule stays paused; ``--yes`` starts it; on a terminal the answer decides.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dxrpa.config import load_settings
from dxrpa.store import Store, robots_repo
from tests.engine.test_bad_input import ROOT

ROBOT = "robots/juminhyo_entry.yaml"


def register(
    home: Path, *flags: str, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dxrpa", "--lang", "ja", "robots", "register", *flags, ROBOT],
        cwd=home,
        env=dict(os.environ, COLUMNS="250"),
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def paused(name: str = "juminhyo_entry") -> bool:
    store = Store(load_settings().db_url)
    try:
        with store.session() as s:
            return bool(robots_repo.get_robot(s, name).paused)
    finally:
        store.dispose()


def copy_robot(home: Path) -> None:
    (home / "robots").mkdir()
    shutil.copy(ROOT / ROBOT, home / "robots")


@pytest.mark.slow
def test_no_terminal_and_no_yes_registers_but_does_not_start_the_schedule(dx_home: Path) -> None:
    copy_robot(dx_home)
    result = register(dx_home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "この登録で始まる定期実行" in out and "cron '0 8 * * *'" in out, out
    assert "承認しました" in out  # runs work as before
    assert "まだ始まっていません" in out and "dxrpa schedule resume juminhyo_entry" in out, out
    assert paused()


@pytest.mark.slow
def test_yes_starts_the_schedule_and_an_unchanged_live_schedule_is_not_asked_again(dx_home: Path) -> None:
    copy_robot(dx_home)
    result = register(dx_home, "--yes")
    assert result.returncode == 0, result.stderr
    assert "cron '0 8 * * *'" in result.stdout and not paused()
    path = dx_home / ROBOT
    path.write_text(path.read_text(encoding="utf-8").replace("retries: 2", "retries: 1"), encoding="utf-8")
    again = register(dx_home)  # a new version of a robot whose schedule already runs
    assert again.returncode == 0 and "版 2" in again.stdout, again.stdout
    assert "この登録で始まる定期実行" not in again.stdout and not paused()


@pytest.mark.slow
def test_a_terminal_is_asked_and_the_answer_decides(dx_home: Path) -> None:
    copy_robot(dx_home)
    for answer, expect_paused in (("n", True), ("y", False)):
        if answer == "y":
            shutil.rmtree(dx_home / "var")
        master, slave = pty.openpty()
        try:
            os.write(master, f"{answer}\n".encode())
            result = register(dx_home, stdin=slave)
        finally:
            os.close(slave)
            os.close(master)
        assert result.returncode == 0, result.stderr
        assert "定期実行を始めますか?" in result.stdout, result.stdout
        assert paused() is expect_paused, (answer, result.stdout)
