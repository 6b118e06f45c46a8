"""The same hand-computed ledger on PostgreSQL: same SQL, same figures, same workbook."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dxrpa.reports import build_report, export_report
from dxrpa.store import Store
from dxrpa.store import ledger_repo as repo

from .pg import fresh_database
from .scenario import EXPECTED, build_ledger


@pytest.mark.postgres
def test_ledger_on_postgres(tmp_path: Path) -> None:
    with fresh_database() as url:
        store = Store(url)
        try:
            store.upgrade()
            build_ledger(store)
            with store.session() as s:
                t = repo.fy_totals(s, 2026)
                assert (t.saved_minutes, t.runs, t.robots, t.items) == (245.0, 7, 3, 126)
                assert {g.key[0]: g.saved_minutes for g in repo.by_month(s, 2026)} == EXPECTED["months"]
                robots = {g.key[0]: g.saved_minutes for g in repo.by_robot(s, 2026)}
                assert robots == {
                    "jumin_idou": 315.0,
                    "shinkoku_nyuryoku": 204.0,
                    "teate_genkyo": -259.0,
                    None: -15.0,
                }
                assert [r[1] for r in repo.iter_details(s, 2026, batch=2)] == [
                    "s1",
                    "b1",
                    "b3",
                    "b6",
                    "b2",
                    "b4",
                    "b5",
                ]
                export_report(
                    build_report(s, 2026, now=datetime(2027, 1, 5, tzinfo=UTC)), "xlsx", tmp_path / "pg.xlsx"
                )
            ws = load_workbook(tmp_path / "pg.xlsx")["明細"]
            assert ws["A2"].value == datetime(2026, 4, 1, 0, 30)
        finally:
            store.dispose()
