"""The dashboard's rollup (kept by triggers) gives the same figures as the report's own aggregation,
on the hand-computed ledger written through ``record_run`` (inserts and a resumed-run update)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from dxrpa.console.ledger_view import dashboard_report
from dxrpa.reports import build_report
from dxrpa.reports.data import ReportData
from dxrpa.store import Store
from dxrpa.store.console_repo import ensure_rollup
from dxrpa.store.ledger_tables import LedgerEntry
from tests.ledger.pg import fresh_database
from tests.ledger.scenario import EXPECTED, build_ledger


def _figures(d: ReportData) -> dict[str, object]:
    def g(x: Any) -> tuple[object, ...]:
        return (
            x.key,
            x.runs,
            x.robots,
            x.succeeded,
            x.business_errors,
            x.system_errors,
            round(x.gross_minutes, 6),
            round(x.human_minutes, 6),
        )

    return {
        "totals": g(d.totals),
        "target": d.target_hours,
        "count": (d.details_count, d.human_count),
        "months": [
            (
                m.month,
                g(m.group),
                None if m.cumulative_minutes is None else round(m.cumulative_minutes, 6),
                m.target_cumulative_hours,
                None if m.targeted_cumulative_minutes is None else round(m.targeted_cumulative_minutes, 6),
                g(m.prev_group) if m.prev_group else None,
            )
            for m in d.months
        ],
        "departments": [(r.name, g(r.group), r.target_hours) for r in d.departments],
        "achievement": (d.achievement, d.coverage_label, round(d.targeted_saved_minutes, 6)),
        "last_year": g(d.prev_totals),
        "robots": [(g(r), r.title) for r in d.robots],
    }


def _compare(store: Store) -> None:
    assert ensure_rollup(store) is True
    assert ensure_rollup(store) is False  # once
    build_ledger(store)
    with store.session() as s:
        for fy in (2025, 2026, 2027):
            for dept in (None, "市民課", "税務課", "福祉課"):
                assert _figures(dashboard_report(s, fy, department=dept)) == _figures(
                    build_report(s, fy, department=dept)
                ), (fy, dept)
        d = dashboard_report(s, 2026)
        assert round(d.totals.saved_minutes, 6) == EXPECTED["fy2026"]["saved"]
        s.execute(delete(LedgerEntry).where(LedgerEntry.run_id == "b2"))  # deletes are subtracted too
        assert _figures(dashboard_report(s, 2026)) == _figures(build_report(s, 2026))


def test_rollup_matches_the_report_on_sqlite(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    store.upgrade()
    try:
        _compare(store)
        assert ensure_rollup(store) is False  # neither duplicates triggers nor refills the rollup
        with store.session() as s:
            assert _figures(dashboard_report(s, 2026)) == _figures(build_report(s, 2026))
    finally:
        store.dispose()


def test_rollup_backfills_entries_written_before_it_existed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(url)
    store.upgrade()
    build_ledger(store)  # an installation used before the console was first started
    assert ensure_rollup(store) is True
    try:
        with store.session() as s:
            assert _figures(dashboard_report(s, 2026)) == _figures(build_report(s, 2026))
    finally:
        store.dispose()


@pytest.mark.postgres
def test_rollup_matches_the_report_on_postgresql() -> None:
    with fresh_database("dxrpa_console") as url:
        store = Store(url)
        store.upgrade()
        try:
            _compare(store)
        finally:
            store.dispose()
