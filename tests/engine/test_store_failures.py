"""Database failures end as exit 8 (STORE) with one Japanese line: no SQL text, no traceback."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.errors import ExitCode
from dxrpa.store import Store
from dxrpa.store.tables import Run

LEAKS = ("SELECT", "INSERT", "UPDATE", "Traceback", "sqlalchemy", "sqlite3.", "内部エラー", "[SQL")


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DXRPA_")}
    env.update(DXRPA_HOME=str(home), DXRPA_LANG="ja", PYTHONIOENCODING="utf-8", COLUMNS="200", **extra)
    return env


def _dxrpa(
    home: Path, *args: str, env: dict[str, str] | None = None, **popen: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dxrpa", *args],
        cwd=home,
        env=env or _env(home),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
        **popen,
    )


def _db(home: Path) -> Path:
    """A migrated database (and its audit key) under ``home/var``."""
    path = home / "var" / "dxrpa.db"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    with store.session():
        pass
    store.dispose()
    return path


def _one_store_line(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == ExitCode.STORE, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("エラー: データベース"), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    for leak in LEAKS:
        assert leak not in proc.stderr, (leak, proc.stderr)


def test_read_only_database(tmp_path: Path) -> None:
    db = _db(tmp_path)
    env = _env(tmp_path, DXRPA_DATABASE_URL=f"sqlite:///file:{db}?mode=ro&uri=true")
    proc = _dxrpa(tmp_path, "targets", "set", "市民課", "2026", "1200h", "--force", env=env)
    _one_store_line(proc, "読み取り専用")
    assert not (tmp_path / "file:").exists()


def test_corrupt_database_file(tmp_path: Path) -> None:
    db = tmp_path / "var" / "dxrpa.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database\x00\xff" * 400)
    _one_store_line(_dxrpa(tmp_path, "runs", "list"), "壊れています")


def _small_files() -> None:  # in the child: files may not grow past 16 KiB ("disk full")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))


@pytest.mark.slow
def test_disk_full(tmp_path: Path) -> None:
    _db(tmp_path)
    proc = _dxrpa(tmp_path, "targets", "set", "市民課", "2026", "1200h", "--force", preexec_fn=_small_files)
    _one_store_line(proc, "ディスク")
    back = _dxrpa(tmp_path, "targets", "set", "市民課", "2026", "1200h", "--force")
    assert back.returncode == 0  # space is back


def test_a_run_cut_off_by_the_store_is_closed_by_the_next_run(robot_env: Path, sample_app: SampleApp) -> None:
    """The database stops taking writes mid-run (held locked): the run ends with exit 8 and one
    line; its run row does not stay `running` (the next run closes it) and nothing is entered twice."""
    rows = juminhyo_rows(3, seed=21)
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    env = {**os.environ, "DXRPA_LANG": "ja", "PYTHONIOENCODING": "utf-8"}
    assert _dxrpa(robot_env, "robots", "register", "robots/juminhyo_entry.yaml", env=env).returncode == 0
    run = subprocess.Popen(
        [sys.executable, "-m", "dxrpa", "run", "juminhyo_entry"],
        cwd=robot_env,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    deadline = time.monotonic() + 240
    while not sample_app.applications():
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.05)
    lock = sqlite3.connect(robot_env / "var" / "dxrpa.db", timeout=60, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # no writer gets in: the runner's next write times out
    try:
        _, err = run.communicate(timeout=300)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert run.returncode == ExitCode.STORE, err
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith("エラー: データベース") and "ロック" in last, err
    for leak in LEAKS:
        assert leak not in err, (leak, err)

    again = _dxrpa(robot_env, "run", "juminhyo_entry", env=env)
    assert again.returncode == 0, again.stderr
    store = Store(f"sqlite:///{robot_env / 'var' / 'dxrpa.db'}")
    with store.session() as s:
        statuses = sorted(r.status for r in s.scalars(select(Run)))
    store.dispose()
    assert statuses == ["crashed", "succeeded"]
    entered = [a["受付番号"] for a in sample_app.applications()]
    assert sorted(entered) == sorted(r["受付番号"] for r in rows), "an item was lost or entered twice"
