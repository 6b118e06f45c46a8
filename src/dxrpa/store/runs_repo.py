"""Runs, durable work items and attempts: the state that makes entry exactly-once.

A work item is unique per (robot, key) across all runs. A run claims an item with one atomic
statement (``UPDATE … WHERE status IN (claimable)``; on PostgreSQL the candidate is first locked
with ``FOR UPDATE SKIP LOCKED``), so two runs or two workers never hold the same item.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable, Subquery

from dxrpa.ledger import DEFAULT_TZ
from dxrpa.model.status import CLAIMABLE, ItemStatus, RunStatus
from dxrpa.store.base import utcnow
from dxrpa.store.tables import ItemAttempt, Robot, RobotVersion, Run, WorkItem

FINAL = (ItemStatus.DONE, ItemStatus.BUSINESS_ERROR, ItemStatus.SKIPPED)


def new_run_id(tz: str = DEFAULT_TZ) -> str:
    """Sortable, short, unguessable: ``20261126-141203-ab12cd``, dated in office time
    (settings.timezone, JST by default) so the id a manager reads in a report or folder name shows
    the local date and time of the run."""
    return datetime.now(ZoneInfo(tz)).strftime("%Y%m%d-%H%M%S-") + _secrets.token_hex(3)


def create_run(
    session: Session, *, robot: Robot, version: RobotVersion, run_id: str | None = None, **fields: Any
) -> Run:
    run = Run(id=run_id or new_run_id(), robot_id=robot.id, robot_version_id=version.id, **fields)
    session.add(run)
    session.flush()
    return run


def start_run(
    session: Session, *, robot: Robot, version: RobotVersion, run_id: str | None = None, **fields: Any
) -> tuple[Run, bool]:
    """Create the run, or take over an existing one with that id (a queue retried it after its
    worker died): its items still marked in progress become abandoned, to be verified.
    Returns (run, resumed)."""
    run = session.get(Run, run_id) if run_id else None
    if run is None:
        return create_run(session, robot=robot, version=version, run_id=run_id, **fields), False
    for key, value in fields.items():
        setattr(run, key, value)
    run.finished_at = None
    session.execute(
        update(WorkItem)
        .where(WorkItem.claimed_by == run.id, WorkItem.status == ItemStatus.IN_PROGRESS)
        .values(status=ItemStatus.ABANDONED, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return run, True


def _insert_new(postgres: bool, rows: list[dict[str, Any]]) -> Executable:
    """``INSERT … ON CONFLICT DO NOTHING`` of work items; the dialect's module is imported on use, so a
    SQLite site never loads PostgreSQL's."""
    if postgres:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(WorkItem).values(rows).on_conflict_do_nothing(index_elements=["robot_id", "key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(WorkItem).values(rows).on_conflict_do_nothing(index_elements=["robot_id", "key"])


def ensure_items(session: Session, robot_id: int, keys: list[str]) -> dict[str, WorkItem]:
    """Create missing work items as pending; return all of them by key.

    ``INSERT … ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL), so two runs starting at the same
    moment with the same data never collide on the unique (robot, key).
    """
    now = utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"
    found: dict[str, WorkItem] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = [
            {
                "robot_id": robot_id,
                "key": k,
                "status": ItemStatus.PENDING,
                "attempts": 0,
                "outputs": {},
                "created_at": now,
            }
            for k in chunk
        ]
        session.execute(_insert_new(postgres, rows))
        for wi in session.scalars(
            select(WorkItem).where(WorkItem.robot_id == robot_id, WorkItem.key.in_(chunk))
        ):
            found[wi.key] = wi
    return found


def claim(session: Session, item_id: int, run_id: str, *, statuses: tuple[str, ...] = CLAIMABLE) -> bool:
    """Atomically move one item to in_progress for ``run_id``; False if someone else has it."""
    if session.get_bind().dialect.name == "postgresql":
        locked = session.scalar(
            select(WorkItem.id)
            .where(WorkItem.id == item_id, WorkItem.status.in_(statuses))
            .with_for_update(skip_locked=True)
        )
        if locked is None:
            return False
    now = utcnow()
    result = session.execute(
        update(WorkItem)
        .where(WorkItem.id == item_id, WorkItem.status.in_(statuses))
        .values(
            status=ItemStatus.IN_PROGRESS,
            claimed_by=run_id,
            last_run_id=run_id,
            heartbeat_at=now,
            started_at=now,
            attempts=WorkItem.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish_item(
    session: Session,
    item_id: int,
    run_id: str,
    *,
    status: str,
    outputs: dict[str, Any] | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
    error_step: str | None = None,
) -> None:
    """Record the outcome, only if this run still holds the claim."""
    values: dict[str, Any] = {
        "status": status,
        "finished_at": utcnow(),
        "claimed_by": None,
        "error_class": error_class,
        "error_message": error_message,
        "error_step": error_step,
    }
    if outputs is not None:
        values["outputs"] = outputs
    session.execute(
        update(WorkItem)
        .where(
            WorkItem.id == item_id, WorkItem.claimed_by == run_id, WorkItem.status == ItemStatus.IN_PROGRESS
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def release(session: Session, item_id: int, run_id: str, *, status: str = ItemStatus.PENDING) -> None:
    """Give an item back untouched (run stopped before it was entered)."""
    session.execute(
        update(WorkItem)
        .where(WorkItem.id == item_id, WorkItem.claimed_by == run_id)
        .values(
            status=status,
            claimed_by=None,
            attempts=func.max(WorkItem.attempts - 1, 0)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(WorkItem.attempts - 1, 0),
        )
        .execution_options(synchronize_session=False)
    )


def heartbeat(session: Session, run_id: str) -> bool:
    """Refresh the run's and its items' heartbeat; returns True if cancel was requested."""
    now = utcnow()
    session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=now))
    session.execute(
        update(WorkItem)
        .where(WorkItem.claimed_by == run_id, WorkItem.status == ItemStatus.IN_PROGRESS)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(session.scalar(select(Run.cancel_requested).where(Run.id == run_id)))


def abandon_stale(
    session: Session,
    robot_id: int,
    stale_after: timedelta,
    *,
    host: str = "",
    alive: Callable[[int, str | None], bool] | None = None,
    now: datetime | None = None,
) -> list[WorkItem]:
    """In-progress items whose runner is gone are marked abandoned (UiPath's Abandoned).

    A runner is gone when it stopped beating for ``stale_after`` or, at once, when it ran on this
    ``host`` and its process no longer exists (``alive(pid, pid_started)`` is False: gone, a
    zombie, or the pid now belongs to another process).
    """
    cutoff = (now or utcnow()) - stale_after
    dead = [
        run.id
        for run in session.scalars(
            select(Run).where(Run.robot_id == robot_id, Run.status == RunStatus.RUNNING)
        )
        if (run.heartbeat_at is None or run.heartbeat_at < cutoff)
        or (
            alive is not None
            and run.host == host
            and run.pid is not None
            and not alive(run.pid, run.pid_started)
        )
    ]
    conditions = [WorkItem.heartbeat_at.is_(None), WorkItem.heartbeat_at < cutoff]
    if dead:
        conditions.append(WorkItem.claimed_by.in_(dead))
    stale = list(
        session.scalars(
            select(WorkItem).where(
                WorkItem.robot_id == robot_id, WorkItem.status == ItemStatus.IN_PROGRESS, or_(*conditions)
            )
        )
    )
    for wi in stale:
        wi.status = ItemStatus.ABANDONED
        wi.claimed_by = None
    if dead:
        session.execute(
            update(Run)
            .where(Run.id.in_(dead))
            .values(
                status=RunStatus.CRASHED,
                finished_at=utcnow(),
                error_message="runner stopped without finishing",
            )
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return stale


def reprocess(session: Session, robot_id: int, keys: list[str]) -> list[str]:
    """Force items back to pending (``--reprocess``); returns the keys found."""
    items = list(
        session.scalars(select(WorkItem).where(WorkItem.robot_id == robot_id, WorkItem.key.in_(keys)))
    )
    for wi in items:
        wi.status = ItemStatus.PENDING
        wi.claimed_by = None
    session.flush()
    return [wi.key for wi in items]


def add_attempt(session: Session, **fields: Any) -> ItemAttempt:
    attempt = ItemAttempt(**fields)
    session.add(attempt)
    session.flush()
    return attempt


def last_attempt_per_key(run_id: str) -> Subquery:
    """A subquery of one run's keys: ``key``, ``last_id`` (its newest attempt) and ``n`` (attempts)."""
    return (
        select(ItemAttempt.key, func.max(ItemAttempt.id).label("last_id"), func.count().label("n"))
        .where(ItemAttempt.run_id == run_id)
        .group_by(ItemAttempt.key)
        .subquery()
    )


def refresh_counts(session: Session, run_id: str) -> Run:
    """Recompute a run's item counters from its attempts' last outcome per key."""
    run = session.get(Run, run_id)
    assert run is not None
    last = last_attempt_per_key(run_id)
    rows = session.execute(
        select(ItemAttempt.status, func.count())
        .join(last, and_(ItemAttempt.id == last.c.last_id))
        .group_by(ItemAttempt.status)
    ).all()
    counts = {status: n for status, n in rows}
    run.items_done = counts.get(ItemStatus.DONE, 0)
    run.items_business_error = counts.get(ItemStatus.BUSINESS_ERROR, 0)
    run.items_system_error = counts.get(ItemStatus.SYSTEM_ERROR, 0) + counts.get(ItemStatus.ABANDONED, 0)
    run.items_skipped = counts.get(ItemStatus.SKIPPED, 0)
    session.flush()
    return run


def list_runs(
    session: Session,
    *,
    robot: str | None = None,
    limit: int = 20,
    status: Sequence[str] = (),
) -> list[tuple[Run, str]]:
    """The newest runs, of one robot and/or in the given statuses when asked."""
    q = (
        select(Run, Robot.name)
        .join(Robot, Robot.id == Run.robot_id)
        .order_by(Run.created_at.desc())
        .limit(limit)
    )
    if robot:
        q = q.where(Robot.name == robot)
    if status:
        q = q.where(Run.status.in_(list(status)))
    return [(r, n) for r, n in session.execute(q)]


def resolve_run_id(session: Session, text: str) -> str | None:
    """The run id ``text`` names: the whole id, or a part of it that only one run's id holds
    (e.g. its last six letters); ``None`` when no run or more than one matches."""
    text = text.strip()
    if not text or session.get(Run, text) is not None:
        return text or None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found = list(session.scalars(select(Run.id).where(Run.id.like(f"%{escaped}%", escape="\\")).limit(2)))
    return found[0] if len(found) == 1 else None


def attempts_of(session: Session, run_id: str) -> list[ItemAttempt]:
    return list(
        session.scalars(
            select(ItemAttempt).where(ItemAttempt.run_id == run_id).order_by(ItemAttempt.seq, ItemAttempt.id)
        )
    )
