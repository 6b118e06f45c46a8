"""A staff member's path: validate, register, dry-run, run — real Chromium, real app, real SQLite."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.errors import ExitCode
from dxrpa.store import Store
from dxrpa.store.tables import Run, WorkItem


def test_register_dry_run_then_run_enters_each_item_once(robot_env: Path, sample_app: SampleApp) -> None:
    rows = juminhyo_rows(4, seed=7)
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert main(["robots", "validate", "robots/juminhyo_entry.yaml"]) == 0
    assert main(["robots", "register", "robots/juminhyo_entry.yaml"]) == 0

    assert main(["run", "juminhyo_entry", "--dry-run", "--limit", "2"]) == 0
    assert sample_app.applications() == []  # the submit step was skipped

    assert main(["run", "juminhyo_entry", "--workers", "2"]) == 0
    entered = sample_app.applications()
    assert sorted(a["受付番号"] for a in entered) == sorted(r["受付番号"] for r in rows)
    by_no = {a["受付番号"]: a for a in entered}
    for r in rows:
        assert by_no[r["受付番号"]]["氏名"] == r["氏名"]
        assert by_no[r["受付番号"]]["生年月日"] == r["生年月日"].isoformat()

    # a second run finds every item done and enters nothing again
    assert main(["run", "juminhyo_entry"]) == 0
    assert len(sample_app.applications()) == len(rows)

    store = Store(load_settings().db_url)
    with store.session() as s:
        items = s.scalars(select(WorkItem)).all()
        assert {wi.status for wi in items} == {"done"}
        receipts = {wi.key: wi.outputs["receipt_no"] for wi in items}
    assert receipts == {a["受付番号"]: a["交付番号"] for a in entered}
    assert (robot_env / "results" / "juminhyo_entry.xlsx").is_file()


def test_business_error_is_not_retried_and_exit_code_says_items_failed(
    robot_env: Path, sample_app: SampleApp
) -> None:
    rows = juminhyo_rows(2, seed=3)
    rows[1]["フリガナ"] = "やまだ"  # hiragana: the app refuses it
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert main(["robots", "register", "robots/juminhyo_entry.yaml"]) == 0
    assert main(["run", "juminhyo_entry"]) == ExitCode.ITEMS_FAILED
    assert [a["受付番号"] for a in sample_app.applications()] == [rows[0]["受付番号"]]
    store = Store(load_settings().db_url)
    with store.session() as s:
        bad = s.scalar(select(WorkItem).where(WorkItem.key == rows[1]["受付番号"]))
        assert bad is not None
        assert bad.status == "business_error" and bad.attempts == 1
        assert "申請者の入力に誤りがあります" in (bad.error_message or "")


def test_dry_run_log_says_skipped_like_its_summary(robot_env: Path, sample_app: SampleApp) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(2, seed=5))
    assert main(["robots", "register", "robots/juminhyo_entry.yaml"]) == 0
    assert main(["--lang", "en", "run", "juminhyo_entry", "--dry-run"]) == 0
    store = Store(load_settings().db_url)
    with store.session() as s:
        run = s.scalars(select(Run)).one()
        folder, skipped = Path(run.folder), run.items_skipped
    store.dispose()
    log = (folder / "run.log").read_text(encoding="utf-8")
    assert skipped == 2
    assert log.count("skipped (dry run)") == 2, log
    assert " done" not in log.replace("(done 0", ""), log
    assert "/ skipped 2)" in log, log
