"""Ledger repository: write one entry per counted run, aggregate in SQL, keep department targets.

Aggregations are ``GROUP BY`` queries whose results are at most a few hundred rows (12 months,
departments, robots); the details are streamed in batches. Nothing here loads all ledger rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from dxrpa.ledger import (
    DEFAULT_TZ,
    FISCAL_MONTHS,
    Baseline,
    compute_saving,
    fiscal_year_of_date,
    local_date,
)
from dxrpa.log import logger
from dxrpa.store.base import utcnow
from dxrpa.store.ledger_tables import DepartmentTarget, LedgerEntry, LedgerHumanMinutes
from dxrpa.store.tables import Robot, RobotVersion, Run

# ---------------------------------------------------------------- writing


def record_run(
    session: Session,
    run: Run,
    version: RobotVersion,
    robot: Robot,
    *,
    extra_human_minutes: float = 0.0,
    tz: str = DEFAULT_TZ,
) -> LedgerEntry | None:
    """Write (or update, for a resumed run) the ledger entry of a finished run.

    Counts come from the Run row; the baseline, department and names are copied from the robot
    version / robot as they are now, so later edits never rewrite this entry. Dry runs and test
    runs are never counted (returns None). A shared robot's run for one 区 counts for the 課 the
    run names (``run.department``) and keeps the 区 (``unit``). The fiscal year and month are
    those of ``tz`` (settings.timezone). ``extra_human_minutes`` is the run's total of staff
    minutes recorded for it; calling again for the same run replaces the entry's figures.
    """
    if run.dry_run or run.test:
        return None
    finished = run.finished_at or utcnow()
    baseline = Baseline(
        minutes_per_item=version.minutes_per_item or 0.0,
        minutes_per_run=version.minutes_per_run or 0.0,
        rework_minutes_per_failed_item=version.rework_minutes_per_failed_item or 0.0,
    )
    succeeded = run.items_done or 0
    business = run.items_business_error or 0
    system = run.items_system_error or 0
    saving = compute_saving(
        baseline, succeeded=succeeded, failed=business + system, recorded_human_minutes=extra_human_minutes
    )
    day = local_date(finished, tz)
    entry = session.execute(select(LedgerEntry).where(LedgerEntry.run_id == run.id)).scalar_one_or_none()
    if entry is None:
        entry = LedgerEntry(run_id=run.id, recorded_at=utcnow())
        session.add(entry)
    entry.robot_name = robot.name
    entry.robot_title = robot.title or ""
    entry.department = run.department or robot.department or ""
    entry.unit = run.unit
    entry.robot_version = version.version
    entry.content_hash = version.content_hash or ""
    entry.minutes_per_item = baseline.minutes_per_item
    entry.minutes_per_run = baseline.minutes_per_run
    entry.rework_minutes_per_failed_item = baseline.rework_minutes_per_failed_item
    entry.items_succeeded = succeeded
    entry.items_business_error = business
    entry.items_system_error = system
    entry.gross_minutes = saving.gross_minutes
    entry.rework_minutes = saving.rework_minutes
    entry.recorded_human_minutes = saving.recorded_minutes
    entry.human_minutes = saving.human_minutes
    entry.saved_minutes = saving.saved_minutes
    entry.finished_at = finished
    entry.fiscal_year = fiscal_year_of_date(day)
    entry.month = day.month
    entry.updated_at = utcnow()
    session.flush()
    logger.debug("ledger: run {} of {} saved {:.1f} min", run.id, robot.name, saving.saved_minutes)
    return entry


def record_human_minutes(
    session: Session,
    *,
    department: str,
    robot_name: str | None,
    minutes: float,
    reason: str,
    source_ref: str,
    at: datetime,
    tz: str = DEFAULT_TZ,
) -> None:
    """Record staff minutes spent outside a run (e.g. OCR review) for a department / robot.

    They are subtracted in reports for that department, robot and month. Idempotent: the same
    (source_ref, reason, department, robot) recorded again replaces the minutes.
    """
    if minutes < 0:
        raise ValueError("human minutes must not be negative")
    day = local_date(at, tz)
    key = robot_name or ""
    row = session.execute(
        select(LedgerHumanMinutes).where(
            LedgerHumanMinutes.source_ref == source_ref,
            LedgerHumanMinutes.reason == reason,
            LedgerHumanMinutes.department == department,
            LedgerHumanMinutes.robot_key == key,
        )
    ).scalar_one_or_none()
    if row is None:
        row = LedgerHumanMinutes(
            department=department, robot_name=robot_name, robot_key=key, reason=reason, source_ref=source_ref
        )
        session.add(row)
    row.minutes = float(minutes)
    row.at = at
    row.fiscal_year = fiscal_year_of_date(day)
    row.month = day.month
    row.recorded_at = utcnow()
    session.flush()


# ---------------------------------------------------------------- aggregation


@dataclass
class Group:
    """Sums over a set of ledger entries plus staff minutes recorded outside runs."""

    key: tuple[Any, ...] = ()
    title: str = ""
    runs: int = 0
    robots: int = 0
    succeeded: int = 0
    business_errors: int = 0
    system_errors: int = 0
    gross_minutes: float = 0.0
    run_human_minutes: float = 0.0  # rework of failed items + minutes recorded with the run
    outside_human_minutes: float = 0.0  # e.g. OCR review recorded separately

    @property
    def failed(self) -> int:
        return self.business_errors + self.system_errors

    @property
    def items(self) -> int:
        return self.succeeded + self.failed

    @property
    def human_minutes(self) -> float:
        return self.run_human_minutes + self.outside_human_minutes

    @property
    def saved_minutes(self) -> float:
        return self.gross_minutes - self.human_minutes

    @property
    def saved_hours(self) -> float:
        return self.saved_minutes / 60.0

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.items if self.items else None

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.items if self.items else None


def _entry_sums() -> list[ColumnElement[Any]]:
    e = LedgerEntry
    return [
        func.count(e.id),
        func.count(func.distinct(e.robot_name)),
        func.coalesce(func.sum(e.items_succeeded), 0),
        func.coalesce(func.sum(e.items_business_error), 0),
        func.coalesce(func.sum(e.items_system_error), 0),
        func.coalesce(func.sum(e.gross_minutes), 0.0),
        func.coalesce(func.sum(e.human_minutes), 0.0),
    ]


def _filtered(stmt: Select[Any], table: Any, fy: int, department: str | None) -> Select[Any]:
    stmt = stmt.where(table.fiscal_year == fy)
    if department is not None:
        stmt = stmt.where(table.department == department)
    return stmt


def _grouped(
    session: Session,
    fy: int,
    department: str | None,
    entry_keys: Sequence[InstrumentedAttribute[Any]],
    human_keys: Sequence[InstrumentedAttribute[Any]],
    with_title: bool = False,
) -> dict[tuple[Any, ...], Group]:
    groups: dict[tuple[Any, ...], Group] = {}
    cols: list[Any] = [*entry_keys, *_entry_sums()]
    if with_title:
        cols.append(func.max(LedgerEntry.robot_title))
    stmt = _filtered(select(*cols), LedgerEntry, fy, department)
    if entry_keys:
        stmt = stmt.group_by(*entry_keys)
    n = len(entry_keys)
    for row in session.execute(stmt):
        key = tuple(row[:n])
        runs, robots, ok, be, se, gross, human = row[n : n + 7]
        if not entry_keys and not runs:
            continue
        groups[key] = Group(
            key=key,
            title=str(row[n + 7] or "") if with_title else "",
            runs=int(runs),
            robots=int(robots),
            succeeded=int(ok),
            business_errors=int(be),
            system_errors=int(se),
            gross_minutes=float(gross),
            run_human_minutes=float(human),
        )
    hstmt = _filtered(
        select(*human_keys, func.coalesce(func.sum(LedgerHumanMinutes.minutes), 0.0)),
        LedgerHumanMinutes,
        fy,
        department,
    )
    if human_keys:
        hstmt = hstmt.group_by(*human_keys)
    m = len(human_keys)
    for row in session.execute(hstmt):
        key = tuple(row[:m])
        minutes = float(row[m] or 0.0)
        if not minutes:
            continue
        groups.setdefault(key, Group(key=key)).outside_human_minutes += minutes
    return groups


def fy_totals(session: Session, fy: int, department: str | None = None) -> Group:
    """Totals of one fiscal year (optionally one department)."""
    return _grouped(session, fy, department, [], []).get((), Group())


def by_month(session: Session, fy: int, department: str | None = None) -> list[Group]:
    """Twelve groups in fiscal order (4月 … 3月), keyed by calendar month; empty months included."""
    groups = _grouped(session, fy, department, [LedgerEntry.month], [LedgerHumanMinutes.month])
    return [groups.get((m,), Group(key=(m,))) for m in FISCAL_MONTHS]


def by_department(session: Session, fy: int, department: str | None = None) -> list[Group]:
    """One group per department (課), sorted by name."""
    groups = _grouped(session, fy, department, [LedgerEntry.department], [LedgerHumanMinutes.department])
    return [groups[k] for k in sorted(groups, key=lambda k: str(k[0]))]


def by_department_month(
    session: Session, fy: int, department: str | None = None
) -> dict[tuple[str, int], Group]:
    """Groups keyed by (department, calendar month): for the targeted 課' pace, yen by the rate in
    effect that month, and the previous year's figures (robot counts are not additive here)."""
    groups = _grouped(
        session,
        fy,
        department,
        [LedgerEntry.department, LedgerEntry.month],
        [LedgerHumanMinutes.department, LedgerHumanMinutes.month],
    )
    return {(str(k[0] or ""), int(k[1])): g for k, g in groups.items()}


def by_robot(session: Session, fy: int, department: str | None = None) -> list[Group]:
    """One group per (robot name, department); staff minutes not tied to a robot get name None."""
    groups = _grouped(
        session,
        fy,
        department,
        [LedgerEntry.robot_name, LedgerEntry.department],
        [LedgerHumanMinutes.robot_name, LedgerHumanMinutes.department],
        with_title=True,
    )
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0] is None, str(k[1]), str(k[0] or "")))]


def count_entries(session: Session, fy: int, department: str | None = None) -> int:
    stmt = _filtered(select(func.count(LedgerEntry.id)), LedgerEntry, fy, department)
    return int(session.execute(stmt).scalar_one())


def count_human_minutes(session: Session, fy: int, department: str | None = None) -> int:
    stmt = _filtered(select(func.count(LedgerHumanMinutes.id)), LedgerHumanMinutes, fy, department)
    return int(session.execute(stmt).scalar_one())


DETAIL_COLUMNS: tuple[str, ...] = (
    "finished_at",
    "run_id",
    "department",
    "robot_name",
    "robot_title",
    "robot_version",
    "content_hash",
    "items_succeeded",
    "items_business_error",
    "items_system_error",
    "minutes_per_item",
    "minutes_per_run",
    "rework_minutes_per_failed_item",
    "gross_minutes",
    "human_minutes",
    "saved_minutes",
)


def iter_details(
    session: Session, fy: int, department: str | None = None, *, limit: int | None = None, batch: int = 1000
) -> Iterator[tuple[Any, ...]]:
    """Stream ledger entries of a year as tuples in :data:`DETAIL_COLUMNS` order (oldest first)."""
    cols = [getattr(LedgerEntry, c) for c in DETAIL_COLUMNS]
    stmt = _filtered(select(*cols), LedgerEntry, fy, department).order_by(
        LedgerEntry.finished_at, LedgerEntry.id
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    result = session.execute(stmt.execution_options(yield_per=batch, stream_results=True))
    for row in result:
        yield tuple(row)


HUMAN_COLUMNS: tuple[str, ...] = ("at", "department", "robot_name", "reason", "source_ref", "minutes")


def iter_human_minutes(
    session: Session, fy: int, department: str | None = None, *, limit: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """Stream staff-minute records of a year as tuples in :data:`HUMAN_COLUMNS` order."""
    cols = [getattr(LedgerHumanMinutes, c) for c in HUMAN_COLUMNS]
    stmt = _filtered(select(*cols), LedgerHumanMinutes, fy, department).order_by(
        LedgerHumanMinutes.at, LedgerHumanMinutes.id
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    for row in session.execute(stmt.execution_options(yield_per=2000, stream_results=True)):
        yield tuple(row)


def known_departments(
    session: Session, counted: InstrumentedAttribute[str] = LedgerEntry.department
) -> list[str]:
    """Every department name seen in the ledger, targets, registered robots or staff minutes.

    ``counted`` is where counted runs are read from: the ledger itself, or a rollup of it.
    """
    names: set[str] = set()
    for col in (
        counted,
        DepartmentTarget.department,
        Robot.department,
        LedgerHumanMinutes.department,
    ):
        names.update(str(v) for v in session.execute(select(col).distinct()).scalars() if v)
    return sorted(names)


def fiscal_years(session: Session) -> list[int]:
    """Fiscal years that have ledger entries."""
    stmt = select(LedgerEntry.fiscal_year).distinct().order_by(LedgerEntry.fiscal_year)
    return [int(v) for v in session.execute(stmt).scalars()]


# ---------------------------------------------------------------- targets


def set_target(session: Session, department: str, fy: int, target_hours: float, *, set_by: str = "") -> None:
    """Set (or replace) a department's target hours for a fiscal year."""
    if target_hours < 0:
        raise ValueError("target hours must not be negative")
    row = session.execute(
        select(DepartmentTarget).where(
            DepartmentTarget.department == department, DepartmentTarget.fiscal_year == fy
        )
    ).scalar_one_or_none()
    if row is None:
        row = DepartmentTarget(department=department, fiscal_year=fy)
        session.add(row)
    row.target_hours = float(target_hours)
    row.set_by = set_by
    row.updated_at = utcnow()
    session.flush()


def targets(session: Session, fy: int | None = None) -> dict[tuple[str, int], float]:
    """Targets as {(department, fiscal year): hours}, optionally for one year."""
    stmt = select(DepartmentTarget.department, DepartmentTarget.fiscal_year, DepartmentTarget.target_hours)
    if fy is not None:
        stmt = stmt.where(DepartmentTarget.fiscal_year == fy)
    return {(str(d), int(y)): float(h) for d, y, h in session.execute(stmt)}


def target_hours(session: Session, fy: int, department: str | None = None) -> float | None:
    """A department's target for a year, or the sum over departments; None if none is set."""
    stmt = select(func.sum(DepartmentTarget.target_hours), func.count(DepartmentTarget.id)).where(
        DepartmentTarget.fiscal_year == fy
    )
    if department is not None:
        stmt = stmt.where(DepartmentTarget.department == department)
    total, n = session.execute(stmt).one()
    return float(total) if n else None
