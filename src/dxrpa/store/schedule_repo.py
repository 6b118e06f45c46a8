"""Repository functions of the schedule feature: closures, the scheduler lock, events, requests.

All functions take an open :class:`~sqlalchemy.orm.Session` (``with store.session() as s:``) and
use portable SQL so they work on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from dxrpa.store.base import utcnow
from dxrpa.store.schedule_tables import Closure, RunRequest, ScheduleEvent, SchedulerLockRow
from dxrpa.store.tables import Robot, RobotVersion

# --------------------------------------------------------------------------- closures


def add_closure(s: Session, day: date, reason: str, by: str = "") -> None:
    """Mark ``day`` closed (replacing the reason when it already is)."""
    row = s.get(Closure, day)
    if row is None:
        s.add(Closure(day=day, reason=reason, created_by=by))
    else:
        row.reason = reason
        row.created_by = by
        row.created_at = utcnow()


def remove_closure(s: Session, day: date) -> bool:
    """Re-open ``day``; False when it was not a closure."""
    res: CursorResult[Any] = s.execute(delete(Closure).where(Closure.day == day))  # type: ignore[assignment]
    return bool(res.rowcount)


def closures(s: Session, start: date | None = None, end: date | None = None) -> dict[date, str]:
    q = select(Closure.day, Closure.reason)
    if start is not None:
        q = q.where(Closure.day >= start)
    if end is not None:
        q = q.where(Closure.day <= end)
    return {d: r for d, r in s.execute(q)}


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class EventRecord:
    robot: str
    kind: str
    planned_at: datetime | None = None
    rule: int | None = None
    run_id: str | None = None
    detail: str = ""
    at: datetime | None = None


def record_events(s: Session, events: Sequence[EventRecord]) -> None:
    """Insert many events in one statement (the scheduler batches them)."""
    if not events:
        return
    rows: list[dict[str, Any]] = [
        {
            "robot": e.robot,
            "kind": e.kind,
            "planned_at": e.planned_at,
            "rule": e.rule,
            "run_id": e.run_id,
            "detail": e.detail[:2000],
            "at": e.at or utcnow(),
        }
        for e in events
    ]
    s.execute(insert(ScheduleEvent), rows)


def list_events(
    s: Session, *, robot: str | None = None, kinds: Iterable[str] | None = None, limit: int = 10_000
) -> list[ScheduleEvent]:
    q = select(ScheduleEvent).order_by(ScheduleEvent.id)
    if robot is not None:
        q = q.where(ScheduleEvent.robot == robot)
    if kinds is not None:
        q = q.where(ScheduleEvent.kind.in_(list(kinds)))
    return list(s.scalars(q.limit(limit)))


# --------------------------------------------------------------------------- scheduler lock (SQLite)


def lock_try_acquire(s: Session, name: str, holder: str, stale_seconds: float) -> str | None:
    """Take the lock row if free, stale or already ours. Returns None on success, else the holder.

    On SQLite the store begins every transaction with ``BEGIN IMMEDIATE``, so two processes
    never both read "free" and both write.
    """
    now = utcnow()
    row = s.get(SchedulerLockRow, name, with_for_update=True)
    if row is None:
        s.add(SchedulerLockRow(name=name, holder=holder, acquired_at=now, heartbeat_at=now))
        s.flush()
        return None
    if row.holder == holder or row.heartbeat_at < now - timedelta(seconds=stale_seconds):
        if row.holder != holder:
            row.acquired_at = now
        row.holder = holder
        row.heartbeat_at = now
        return None
    return row.holder


def lock_heartbeat(s: Session, name: str, holder: str) -> bool:
    """Refresh our heartbeat; False when somebody else took the lock (we must stop)."""
    res: CursorResult[Any] = s.execute(  # type: ignore[assignment]
        update(SchedulerLockRow)
        .where(SchedulerLockRow.name == name, SchedulerLockRow.holder == holder)
        .values(heartbeat_at=utcnow())
    )
    return bool(res.rowcount)


def lock_release(s: Session, name: str, holder: str) -> None:
    s.execute(
        delete(SchedulerLockRow).where(SchedulerLockRow.name == name, SchedulerLockRow.holder == holder)
    )


def lock_holder(s: Session, name: str) -> SchedulerLockRow | None:
    return s.get(SchedulerLockRow, name)


# --------------------------------------------------------------------------- run requests (--now)


def add_run_request(s: Session, robot: str, run_id: str, by: str = "") -> None:
    s.add(RunRequest(robot=robot, run_id=run_id, requested_by=by))


def take_run_requests(s: Session) -> list[RunRequest]:
    """Claim every request not yet picked up (marks them picked)."""
    rows = list(s.scalars(select(RunRequest).where(RunRequest.picked_at.is_(None)).order_by(RunRequest.id)))
    now = utcnow()
    for r in rows:
        r.picked_at = now
    return rows


# --------------------------------------------------------------------------- registered robots


def set_paused(s: Session, name: str, paused: bool) -> bool:
    """Pause/resume a robot's schedule; False when no such robot is registered."""
    res: CursorResult[Any] = s.execute(update(Robot).where(Robot.name == name).values(paused=paused))  # type: ignore[assignment]
    return bool(res.rowcount)


def schedule_fingerprint(s: Session) -> tuple[Any, ...]:
    """Changes whenever a robot is (re-)registered or a closure changes (the scheduler polls it)."""
    from sqlalchemy import func

    robots = s.execute(select(func.count(Robot.id), func.coalesce(func.sum(Robot.current_version), 0))).one()
    versions = s.scalar(select(func.coalesce(func.max(RobotVersion.id), 0)))
    closed = s.execute(select(func.count(Closure.day), func.max(Closure.created_at))).one()
    return (*robots, versions, closed[0], str(closed[1]))


def paused_robots(s: Session) -> list[str]:
    """Robots whose schedule is skipped: paused, or disabled/archived (they refuse to run)."""
    held = or_(Robot.paused.is_(True), Robot.state != "active")
    return list(s.scalars(select(Robot.name).where(held).order_by(Robot.name)))


def last_event_at(s: Session) -> datetime | None:
    from sqlalchemy import func

    return s.scalar(select(func.max(ScheduleEvent.at)))
