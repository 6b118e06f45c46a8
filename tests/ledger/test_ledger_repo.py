"""record_run / record_human_minutes against a real SQLite file, and SQL-side aggregation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dxrpa.store import Store
from dxrpa.store import ledger_repo as repo
from dxrpa.store.ledger_tables import LedgerEntry, LedgerHumanMinutes
from dxrpa.store.tables import Run

from .scenario import EXPECTED, Ledger, utc


def test_one_entry_per_counted_run_with_exact_figures(ledger: Ledger) -> None:
    with ledger.store.session() as s:
        rows = {e.run_id: e for e in s.execute(select(LedgerEntry)).scalars()}
        assert set(rows) == set(EXPECTED["runs"])  # dry and test runs never counted
        for run_id, (saved, human, gross) in EXPECTED["runs"].items():
            e = rows[run_id]
            assert (e.saved_minutes, e.human_minutes, e.gross_minutes) == (saved, human, gross), run_id


def test_straddling_run_counts_in_the_fiscal_year_it_finished(ledger: Ledger) -> None:
    with ledger.store.session() as s:
        s1 = s.execute(select(LedgerEntry).where(LedgerEntry.run_id == "s1")).scalar_one()
        a2 = s.execute(select(LedgerEntry).where(LedgerEntry.run_id == "a2")).scalar_one()
        assert (s1.fiscal_year, s1.month) == (2026, 4)
        assert (a2.fiscal_year, a2.month) == (2025, 3)


def test_resumed_run_updates_its_entry(ledger: Ledger) -> None:
    with ledger.store.session() as s:
        n = s.execute(select(func.count()).where(LedgerEntry.run_id == "b6")).scalar_one()
        e = s.execute(select(LedgerEntry).where(LedgerEntry.run_id == "b6")).scalar_one()
        assert n == 1
        assert (e.items_succeeded, e.items_system_error, e.finished_at) == (9, 1, utc(2026, 8, 3, 4))


def test_baseline_copied_so_edits_never_rewrite_history(ledger: Ledger) -> None:
    with ledger.store.session() as s:
        before = repo.fy_totals(s, 2026).saved_minutes
        b1 = s.execute(select(LedgerEntry).where(LedgerEntry.run_id == "b1")).scalar_one()
        b2 = s.execute(select(LedgerEntry).where(LedgerEntry.run_id == "b2")).scalar_one()
        assert (b1.robot_version, b1.minutes_per_item, b1.minutes_per_run) == (1, 6.0, 10.0)
        assert (b2.robot_version, b2.minutes_per_item, b2.minutes_per_run) == (2, 5.0, 0.0)
        assert b2.content_hash.startswith("jumin_idou-v2")
    with ledger.store.session() as s:  # someone edits the robot and its old version afterwards
        r1 = s.merge(ledger.r1)
        r1.department, r1.title = "総務課", "changed"
        v1 = s.merge(ledger.r1v1)
        v1.minutes_per_item = 999
    with ledger.store.session() as s:
        assert repo.fy_totals(s, 2026).saved_minutes == before
        assert {g.key[0] for g in repo.by_department(s, 2026)} == {"市民課", "税務課", "福祉課"}


def test_fy_totals(ledger: Ledger) -> None:
    exp = EXPECTED["fy2026"]
    with ledger.store.session() as s:
        t = repo.fy_totals(s, 2026)
        assert t.saved_minutes == exp["saved"]
        assert t.gross_minutes == exp["gross"]
        assert t.human_minutes == exp["human"]
        assert (t.runs, t.robots, t.succeeded, t.business_errors, t.system_errors, t.items) == (
            exp["runs"],
            exp["robots"],
            exp["succeeded"],
            exp["business"],
            exp["system"],
            exp["items"],
        )
        assert repo.target_hours(s, 2026) == exp["target_hours"]
        t25 = repo.fy_totals(s, 2025)
        assert (t25.saved_minutes, t25.runs, t25.items) == (105.0, 2, 16)
        assert repo.fiscal_years(s) == [2025, 2026]


def test_months_in_fiscal_order(ledger: Ledger) -> None:
    with ledger.store.session() as s:
        months = repo.by_month(s, 2026)
    assert [g.key[0] for g in months] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    assert {g.key[0]: g.saved_minutes for g in months} == EXPECTED["months"]
    assert {g.key[0]: g.runs for g in months} == EXPECTED["month_runs"]


def test_departments_and_robots(ledger: Ledger) -> None:
    with ledger.store.session() as s:
        depts = {g.key[0]: g for g in repo.by_department(s, 2026)}
        robots = {g.key[0]: g for g in repo.by_robot(s, 2026)}
        only = repo.by_robot(s, 2026, "福祉課")
    for name, (nrob, runs, items, ok, saved, human, _t) in EXPECTED["departments"].items():
        g = depts[name]
        assert (g.robots, g.runs, g.items, g.succeeded, g.saved_minutes, g.human_minutes) == (
            nrob,
            runs,
            items,
            ok,
            saved,
            human,
        ), name
    for name, (dept, runs, items, ok, failed, saved, human) in EXPECTED["robots"].items():
        g = robots[name]
        assert (g.key[1], g.runs, g.items, g.succeeded, g.failed, g.saved_minutes, g.human_minutes) == (
            dept,
            runs,
            items,
            ok,
            failed,
            saved,
            human,
        ), name
    assert robots[None].saved_minutes == -15.0  # staff minutes of 福祉課 not tied to a robot
    assert [g.key[0] for g in only] == ["teate_genkyo", None]


def test_human_minutes_are_idempotent_per_source(store: Store) -> None:
    with store.session() as s:
        for minutes in (10, 25):
            repo.record_human_minutes(
                s,
                department="市民課",
                robot_name=None,
                minutes=minutes,
                reason="ocr_review",
                source_ref="batch-7",
                at=utc(2026, 6, 1),
            )
        rows = s.execute(select(LedgerHumanMinutes)).scalars().all()
        assert [(r.minutes, r.fiscal_year, r.month) for r in rows] == [(25.0, 2026, 6)]
        with pytest.raises(ValueError):
            repo.record_human_minutes(
                s,
                department="市民課",
                robot_name=None,
                minutes=-1,
                reason="x",
                source_ref="y",
                at=utc(2026, 6, 1),
            )


def test_details_stream_in_order(ledger: Ledger) -> None:
    with ledger.store.session() as s:
        ids = [row[1] for row in repo.iter_details(s, 2026, batch=2)]
        assert ids == ["s1", "b1", "b3", "b6", "b2", "b4", "b5"]
        assert [row[1] for row in repo.iter_details(s, 2026, limit=3)] == ["s1", "b1", "b3"]
        assert repo.count_entries(s, 2026, "税務課") == 3


def test_unfinished_run_row_is_still_counted_at_now(store: Store) -> None:
    from .scenario import Factory

    with store.session() as s:
        f = Factory(s)
        r = f.robot("x", "X", "市民課")
        v = f.version(r, 1, 1, 0, 0)
        run = f.run("late", r, v, utc(2026, 5, 1), ok=3)
        run.finished_at = None
        e = repo.record_run(s, run, v, r)
        assert e is not None and e.saved_minutes == 3.0 and e.finished_at is not None
        assert isinstance(s.get(Run, "late"), Run)
