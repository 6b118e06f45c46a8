"""Repository functions of the notify feature: the outbox (enqueue, claim, settle, list).

Rows are claimed with a conditional UPDATE (``pending → sending``), so a scheduler's delivery
tick and a run's own first attempt never send the same row twice. A ``sending`` row older than
:data:`STALE_SENDING` (its process died mid-send) goes back to ``pending``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from dxrpa.store.base import utcnow
from dxrpa.store.notify_tables import NotifyOutbox

STALE_SENDING = timedelta(minutes=10)


@dataclass(frozen=True)
class OutboxEntry:
    event: str
    dedup_key: str
    channel: str
    facts: dict[str, Any]
    robot: str = ""
    department: str = ""
    run_id: str | None = None


def enqueue(s: Session, entries: Sequence[OutboxEntry]) -> list[int]:
    """Add the entries not already in the outbox (same dedup key and channel); their ids."""
    ids: list[int] = []
    now = utcnow()
    for e in entries:
        exists = s.scalar(
            select(NotifyOutbox.id).where(
                NotifyOutbox.dedup_key == e.dedup_key, NotifyOutbox.channel == e.channel
            )
        )
        if exists is not None:
            continue
        row = NotifyOutbox(
            event=e.event,
            robot=e.robot,
            department=e.department,
            run_id=e.run_id,
            dedup_key=e.dedup_key,
            channel=e.channel,
            facts=e.facts,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        ids.append(row.id)
    return ids


def has_key(s: Session, dedup_key: str) -> bool:
    return s.scalar(select(NotifyOutbox.id).where(NotifyOutbox.dedup_key == dedup_key).limit(1)) is not None


def due(
    s: Session, *, now: datetime | None = None, ids: Sequence[int] | None = None, limit: int = 200
) -> list[int]:
    """Ids of pending rows whose time has come (only ``ids`` when given), oldest first."""
    now = now or utcnow()
    s.execute(
        update(NotifyOutbox)
        .where(NotifyOutbox.status == "sending", NotifyOutbox.updated_at < now - STALE_SENDING)
        .values(status="pending", updated_at=now)
    )
    q = select(NotifyOutbox.id).where(NotifyOutbox.status == "pending", NotifyOutbox.next_attempt_at <= now)
    if ids is not None:
        q = q.where(NotifyOutbox.id.in_(list(ids)))
    return list(s.scalars(q.order_by(NotifyOutbox.id).limit(limit)))


def claim(s: Session, row_id: int) -> NotifyOutbox | None:
    """Take one pending row for sending; None when another process took it first."""
    result = s.execute(
        update(NotifyOutbox)
        .where(NotifyOutbox.id == row_id, NotifyOutbox.status == "pending")
        .values(status="sending", updated_at=utcnow())
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        return None
    return s.get(NotifyOutbox, row_id)


def settle(
    s: Session, row_id: int, *, error: str | None, max_attempts: int, backoff: timedelta
) -> NotifyOutbox:
    """Record one attempt: sent, or pending again after ``backoff``, or failed at the last one."""
    row = s.get(NotifyOutbox, row_id)
    assert row is not None
    now = utcnow()
    row.attempts += 1
    row.updated_at = now
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", now, None
    else:
        row.last_error = error[:300]
        if row.attempts >= max_attempts:
            row.status = "failed"
        else:
            row.status, row.next_attempt_at = "pending", now + backoff
    return row


def recent(s: Session, *, status: str | None = None, limit: int = 50) -> list[NotifyOutbox]:
    q = select(NotifyOutbox)
    if status:
        q = q.where(NotifyOutbox.status == status)
    return list(s.scalars(q.order_by(NotifyOutbox.id.desc()).limit(limit)))


def counts(s: Session) -> dict[str, int]:
    rows = s.execute(select(NotifyOutbox.status, func.count()).group_by(NotifyOutbox.status))
    return {str(status): int(n) for status, n in rows}


def retry_failed(s: Session) -> int:
    """Failed rows back to pending with a fresh attempt budget (``notify deliver --retry-failed``)."""
    result = s.execute(
        update(NotifyOutbox)
        .where(NotifyOutbox.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), updated_at=utcnow())
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
