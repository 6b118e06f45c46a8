"""Every status the runner writes to the store is a typed status enum member (real run, real SQLite)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from dxrpa.cli import main
from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.errors import ExitCode
from dxrpa.model.status import STATUS_JA, AttemptStatus, ItemStatus, RunStatus
from dxrpa.store import Store


def _column(store: Store, table: str) -> set[str]:
    with store.session() as s:
        return {row[0] for row in s.execute(text(f"SELECT DISTINCT status FROM {table}"))}


def test_statuses_written_by_a_dry_run_and_a_run_are_enum_members(
    robot_env: Path, sample_app: SampleApp
) -> None:
    rows = juminhyo_rows(3, seed=11)
    rows[2]["フリガナ"] = "やまだ"  # hiragana: the app refuses it, a business error
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert main(["robots", "register", "robots/juminhyo_entry.yaml"]) == 0
    assert main(["run", "juminhyo_entry", "--dry-run", "--limit", "2"]) == 0
    assert main(["run", "juminhyo_entry"]) == ExitCode.ITEMS_FAILED

    store = Store(load_settings().db_url)
    runs, items, attempts = (_column(store, t) for t in ("runs", "work_items", "item_attempts"))
    store.dispose()
    # what this run is known to write (so the membership checks below cannot pass on empty columns)
    assert {"succeeded", "partial"} <= runs
    assert {"done", "business_error"} <= items
    assert {"skipped", "done", "business_error"} <= attempts
    assert runs <= set(RunStatus)
    assert items <= set(ItemStatus)
    assert attempts <= set(AttemptStatus)


def test_every_status_has_a_label_and_compares_equal_to_its_stored_text() -> None:
    for status in (*RunStatus, *ItemStatus, *AttemptStatus):
        assert status in STATUS_JA
        assert status == status.value and f"{status}" == status.value
