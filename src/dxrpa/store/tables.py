"""Core tables: registered robots and their versions, runs, durable work items, attempts, audit.

Personal data stays out: an item row keeps its key, status and the outputs the robot declared,
never the input row itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dxrpa.model.status import ItemStatus, RunStatus
from dxrpa.store.base import Base, UtcDateTime, utcnow


class Robot(Base):
    __tablename__ = "robots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(100), default="")
    owner: Mapped[str] = mapped_column(String(100), default="")
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # active | disabled (kept, refuses to run) | archived (retired: history and ledger rows stay)
    state: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RobotVersion(Base):
    """An immutable registered robot file. Runs point at the version that ran.

    Production runs, schedules and ledger rows use the newest version an operator or admin
    approved (``approved_at`` set); a version registered by an author waits, dry runs only.
    """

    __tablename__ = "robot_versions"
    __table_args__ = (UniqueConstraint("robot_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot_id: Mapped[int] = mapped_column(ForeignKey("robots.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(500), default="")
    yaml_text: Mapped[str] = mapped_column(Text)
    minutes_per_item: Mapped[float] = mapped_column(Float, default=0)
    minutes_per_run: Mapped[float] = mapped_column(Float, default=0)
    rework_minutes_per_failed_item: Mapped[float] = mapped_column(Float, default=0)
    registered_by: Mapped[str] = mapped_column(String(100), default="")
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    robot_id: Mapped[int] = mapped_column(ForeignKey("robots.id"), index=True)
    robot_version_id: Mapped[int] = mapped_column(ForeignKey("robot_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED, index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(100), default="")
    host: Mapped[str] = mapped_column(String(100), default="")
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the process's start time next to its pid, so a reused pid is not taken for the runner
    pid_started: Mapped[str | None] = mapped_column(String(64), nullable=True)
    folder: Mapped[str] = mapped_column(String(500), default="")
    # a shared robot's run for one 区 (``dxrpa run NAME --unit 北区``) and the 課 its hours count for
    unit: Mapped[str | None] = mapped_column(String(100), nullable=True)
    department: Mapped[str | None] = mapped_column(String(100), nullable=True)
    items_total: Mapped[int] = mapped_column(Integer, default=0)
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    items_business_error: Mapped[int] = mapped_column(Integer, default=0)
    items_system_error: Mapped[int] = mapped_column(Integer, default=0)
    items_skipped: Mapped[int] = mapped_column(Integer, default=0)
    error_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class WorkItem(Base):
    """One durable unit of work of a robot, unique by key across all its runs.

    ``pending → in_progress → done | business_error | system_error | skipped | abandoned``.
    """

    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("robot_id", "key"),
        Index("ix_work_items_claim", "robot_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot_id: Mapped[int] = mapped_column(ForeignKey("robots.id"))
    key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ItemStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_run_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_step: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ItemAttempt(Base):
    """One try of one item in one run, with its evidence on failure (paths under the run folder)."""

    __tablename__ = "item_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"), nullable=True, index=True)
    key: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer, default=0)  # position of the item in the run's data
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))
    error_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_step: Mapped[str | None] = mapped_column(String(200), nullable=True)
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    screenshot: Mapped[str | None] = mapped_column(String(500), nullable=True)
    trace: Mapped[str | None] = mapped_column(String(500), nullable=True)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AuditRow(Base):
    """Append-only audit log; each row hashes the previous row's hash (a chain)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
