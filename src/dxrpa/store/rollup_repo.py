"""Read queries over the console's ledger rollup (``console_ledger_rollup``) and the staff-minutes
table, behind the dashboard's figures."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dxrpa.store import ledger_repo
from dxrpa.store.console_tables import LedgerRollup
from dxrpa.store.ledger_tables import LedgerHumanMinutes


def rollup_rows(session: Session, fy: int, department: str | None = None) -> list[LedgerRollup]:
    """The rollup rows of one fiscal year that counted runs, of one department when given."""
    q = select(LedgerRollup).where(LedgerRollup.fiscal_year == fy, LedgerRollup.runs > 0)
    if department is not None:
        q = q.where(LedgerRollup.department == department)
    return list(session.scalars(q))


def human_minutes(
    session: Session, fy: int, department: str | None = None
) -> list[tuple[int, str, str | None, float | None]]:
    """Staff minutes outside runs of one fiscal year: (month, department, robot, summed minutes)."""
    h = select(
        LedgerHumanMinutes.month,
        LedgerHumanMinutes.department,
        LedgerHumanMinutes.robot_name,
        func.sum(LedgerHumanMinutes.minutes),
    ).where(LedgerHumanMinutes.fiscal_year == fy)
    if department is not None:
        h = h.where(LedgerHumanMinutes.department == department)
    rows = session.execute(
        h.group_by(LedgerHumanMinutes.month, LedgerHumanMinutes.department, LedgerHumanMinutes.robot_name)
    )
    return [(m, d, r, n) for m, d, r, n in rows]


def fiscal_years(session: Session) -> list[int]:
    """Fiscal years with counted runs in the rollup, ascending."""
    q = select(LedgerRollup.fiscal_year).where(LedgerRollup.runs > 0).distinct()
    return sorted(int(y) for y in session.scalars(q))


def known_departments(session: Session) -> list[str]:
    """Departments seen in the rollup, targets, robots or staff minutes (the small tables only)."""
    return ledger_repo.known_departments(session, LedgerRollup.department)
