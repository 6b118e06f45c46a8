"""Read queries behind the console's run pages: a run with its robot, the last attempt per key,
evidence-bearing attempts, and the checks behind reprocess and cancel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from dxrpa.model.status import ItemStatus
from dxrpa.store.runs_repo import last_attempt_per_key
from dxrpa.store.tables import ItemAttempt, Robot, Run


def run_with_robot(session: Session, run_id: str) -> tuple[Run, str] | None:
    """The run and its robot's name, or None when there is no such run."""
    row = session.execute(
        select(Run, Robot.name).join(Robot, Robot.id == Run.robot_id).where(Run.id == run_id)
    ).first()
    return None if row is None else (row[0], row[1])


def run_with_department(session: Session, run_id: str) -> tuple[Run, str | None] | None:
    """The run and its robot's department, or None when there is no such run."""
    row = session.execute(
        select(Run, Robot.department).join(Robot, Robot.id == Run.robot_id).where(Run.id == run_id)
    ).first()
    return None if row is None else (row[0], row[1])


def department_of_run(session: Session, run_id: str) -> str | None:
    """The department of the run's robot (None for no run or no department)."""
    q = select(Robot.department).join(Run, Run.robot_id == Robot.id).where(Run.id == run_id)
    return session.scalar(q)


def last_attempts(session: Session, run_id: str, limit: int) -> list[tuple[ItemAttempt, int]]:
    """Each key's newest attempt with its number of attempts, in item order, at most ``limit``."""
    tries = last_attempt_per_key(run_id)
    rows = session.execute(
        select(ItemAttempt, tries.c.n)
        .join(tries, and_(ItemAttempt.id == tries.c.last_id))
        .order_by(ItemAttempt.seq, ItemAttempt.id)
        .limit(limit)
    ).all()
    return [(a, n) for a, n in rows]


def attempts_with_evidence(session: Session, run_id: str) -> list[ItemAttempt]:
    """Every attempt of the run that kept a screenshot or a trace, oldest first."""
    return list(
        session.scalars(
            select(ItemAttempt)
            .where(
                ItemAttempt.run_id == run_id,
                or_(ItemAttempt.screenshot.is_not(None), ItemAttempt.trace.is_not(None)),
            )
            .order_by(ItemAttempt.id)
        )
    )


def has_business_error(session: Session, run_id: str, key: str) -> bool:
    """Whether any attempt of ``key`` in the run ended in a business error."""
    found = session.scalar(
        select(ItemAttempt.id)
        .where(
            ItemAttempt.run_id == run_id,
            ItemAttempt.key == key,
            ItemAttempt.status == ItemStatus.BUSINESS_ERROR,
        )
        .limit(1)
    )
    return found is not None


def request_cancel(session: Session, run_id: str) -> None:
    """Flag the run so its worker stops after the current item."""
    session.execute(update(Run).where(Run.id == run_id).values(cancel_requested=True))


def runs_created_between(session: Session, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """(created_at, status) of every run created in ``[start, end)``."""
    rows = session.execute(
        select(Run.created_at, Run.status).where(Run.created_at >= start, Run.created_at < end)
    )
    return [(c, st) for c, st in rows]
