"""Tables owned by the schedule feature (defined here so one metadata holds every table).

- ``calendar_closures``: extra closed days (庁舎閉庁日, system maintenance) added with
  ``dxrpa calendar close``.
- ``scheduler_lock``: the one-scheduler lock row with a heartbeat (SQLite; PostgreSQL uses an
  advisory lock and only mirrors the holder here for ``dxrpa schedule list``).
- ``schedule_events``: every firing, run start/finish, skip (closed day, already running) and
  misfire, so an auditor can see why a robot did or did not run.
- ``run_requests``: ``dxrpa run NAME --now`` requests waiting for the scheduler process.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dxrpa.store.base import Base, UtcDateTime, utcnow


class Closure(Base):
    __tablename__ = "calendar_closures"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SchedulerLockRow(Base):
    __tablename__ = "scheduler_lock"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid:token
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ScheduleEvent(Base):
    """One thing the scheduler did or decided not to do.

    kind: fired | queued | run_started | run_finished | skipped_closed | skipped_running |
    skipped_paused | misfired | moved | error.
    """

    __tablename__ = "schedule_events"
    __table_args__ = (Index("ix_schedule_events_robot_at", "robot", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot: Mapped[str] = mapped_column(String(100))
    rule: Mapped[int | None] = mapped_column(Integer, nullable=True)  # index in the robot's schedule:
    kind: Mapped[str] = mapped_column(String(30), index=True)
    planned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class RunRequest(Base):
    """A manual ``--now`` request; the scheduler picks it up (SQLite / local executor)."""

    __tablename__ = "run_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(100), default="")
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    picked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
