"""Table owned by the notify feature: the outbox of notifications to deliver.

One row per (event, channel). A row keeps the event's facts (robot name, counts, status words,
run id, link: never personal data) so a retry renders the same message; ``last_error`` says
why the last attempt failed without the message body or the webhook URL (it holds a token).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dxrpa.store.base import Base, UtcDateTime, utcnow


class NotifyOutbox(Base):
    """``pending → sending → sent``, or back to ``pending`` with a later ``next_attempt_at``, or
    ``failed`` after the last allowed attempt."""

    __tablename__ = "notify_outbox"
    __table_args__ = (
        UniqueConstraint("dedup_key", "channel"),
        Index("ix_notify_outbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    robot: Mapped[str] = mapped_column(String(100), default="")
    department: Mapped[str] = mapped_column(String(100), default="")
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    dedup_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(100))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
