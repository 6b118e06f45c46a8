"""Tables owned by the ledger feature (defined here so one metadata holds every table).

A ledger row copies everything a report needs (department, robot name and title, version,
baseline) so that editing or re-registering a robot later never rewrites history, and reports
read only these tables. The fiscal year and calendar month (office time zone) are computed once
when the row is written, so GROUP BY works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dxrpa.store.base import Base, UtcDateTime, utcnow


class LedgerEntry(Base):
    """One counted run (never a dry or test run); keyed by run id, updated if the run is resumed."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_fy_dept", "fiscal_year", "department"),
        Index("ix_ledger_fy_robot", "fiscal_year", "robot_name"),
        Index("ix_ledger_fy_finished", "fiscal_year", "finished_at"),
        Index("ix_ledger_unit_fy", "unit", "fiscal_year"),  # shared robots' rows only (unit set)
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32), unique=True)
    robot_name: Mapped[str] = mapped_column(String(100))
    robot_title: Mapped[str] = mapped_column(String(200), default="")  # 業務名
    department: Mapped[str] = mapped_column(String(100), default="")  # 課
    unit: Mapped[str | None] = mapped_column(String(100), nullable=True)  # 区 of a shared robot's run
    robot_version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    minutes_per_item: Mapped[float] = mapped_column(Float, default=0.0)
    minutes_per_run: Mapped[float] = mapped_column(Float, default=0.0)
    rework_minutes_per_failed_item: Mapped[float] = mapped_column(Float, default=0.0)
    items_succeeded: Mapped[int] = mapped_column(Integer, default=0)
    items_business_error: Mapped[int] = mapped_column(Integer, default=0)
    items_system_error: Mapped[int] = mapped_column(Integer, default=0)
    gross_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    rework_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    recorded_human_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    human_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    saved_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)  # calendar month 1..12 in the office time zone
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LedgerHumanMinutes(Base):
    """Staff minutes spent outside a run (e.g. OCR review), subtracted for a department/robot/month.

    One row per (source_ref, reason, department, robot): recording it again replaces the minutes.
    """

    __tablename__ = "ledger_human_minutes"
    __table_args__ = (
        UniqueConstraint("source_ref", "reason", "department", "robot_key"),
        Index("ix_ledger_human_fy_dept", "fiscal_year", "department"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(100))
    robot_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    robot_key: Mapped[str] = mapped_column(String(100), default="")  # robot_name or "" (unique key)
    minutes: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(100))
    source_ref: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DepartmentTarget(Base):
    """Hours a department aims to save in one fiscal year (``dxrpa targets set 市民課 2026 1200h``)."""

    __tablename__ = "ledger_targets"
    __table_args__ = (UniqueConstraint("department", "fiscal_year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(100))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    target_hours: Mapped[float] = mapped_column(Float)
    set_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
