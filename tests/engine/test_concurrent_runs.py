"""Issue 3: two runs of one robot at the same time never process the same item (atomic claim on
SQLite, FOR UPDATE SKIP LOCKED on PostgreSQL); each item is entered exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dxrpa.demo.chaos import entry_counts, run_cli
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from tests.ledger.pg import fresh_database


def _two_runs_at_once(home: Path, app: SampleApp, db_url: str | None) -> None:
    rows = juminhyo_rows(16, seed=8)
    write_xlsx(home / "data" / "juminhyo.xlsx", rows)
    env = dict(os.environ)
    if db_url:
        env["DXRPA_DATABASE_URL"] = db_url
    assert run_cli(["robots", "register", "robots/juminhyo_entry.yaml"], cwd=home, env=env) == 0
    cmd = [sys.executable, "-m", "dxrpa", "run", "juminhyo_entry", "--workers", "2"]
    procs = [
        subprocess.Popen(cmd, cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    counts = entry_counts(app.applications())
    assert set(counts) == {r["受付番号"] for r in rows}
    assert max(counts.values()) == 1, "an item was entered twice"


def test_two_runs_share_the_items_on_sqlite(robot_env: Path, sample_app: SampleApp) -> None:
    _two_runs_at_once(robot_env, sample_app, None)


@pytest.mark.postgres
def test_two_runs_share_the_items_on_postgres(robot_env: Path, sample_app: SampleApp) -> None:
    with fresh_database("dxrpa_claims") as url:
        _two_runs_at_once(robot_env, sample_app, url)
