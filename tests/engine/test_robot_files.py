"""Every robot shipped in robots/ validates, and the data-less morning robot really runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.store import Store
from dxrpa.store.tables import WorkItem

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_robot_validates() -> None:
    files = sorted((ROOT / "robots").glob("*.yaml"))
    assert len(files) >= 3
    assert main(["robots", "validate", *map(str, files)]) == 0


def test_daily_check_uses_iframe_download_table_and_runs_every_time(
    robot_env: Path, sample_app: SampleApp
) -> None:
    shutil.copy(ROOT / "robots" / "daily_check.yaml", robot_env / "robots")
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(3, seed=5))
    assert main(["robots", "register", "robots/juminhyo_entry.yaml", "robots/daily_check.yaml"]) == 0
    assert main(["run", "juminhyo_entry"]) == 0
    assert main(["run", "daily_check"]) == 0
    assert main(["run", "daily_check"]) == 0  # no data: a fresh item every run, never "already done"

    with Store(load_settings().db_url).session() as s:
        checks = [wi for wi in s.scalars(select(WorkItem)) if wi.key.startswith("run:")]
    assert len(checks) == 2 and all(wi.status == "done" for wi in checks)
    out = checks[-1].outputs
    assert out["count_text"].startswith("3件")
    assert out["latest"] in {a["受付番号"] for a in sample_app.applications()}
    csv_path = Path(out["csv_path"])
    assert csv_path.is_file() and (robot_env / "var" / "runs") in csv_path.parents
    assert "受付番号" in csv_path.read_text(encoding="utf-8-sig")
