"""Tables owned by the console feature (defined here so one metadata holds every table).

``console_users``: local accounts of the web console with a role, an argon2 password hash and the
departments whose evidence they may see. ``console_sessions``: server-side login sessions (the
cookie holds a random id, the table only its sha256), revoked on logout and whenever the user is
disabled, deleted or given a new password or role. ``console_login_throttle``: failed-login
counters per account and per client address, for exponential back-off. ``console_ledger_rollup``:
the dashboard's sums of the hours-saved ledger, kept current by triggers (see :class:`LedgerRollup`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dxrpa.store.base import Base, UtcDateTime, utcnow

ROLES = ("viewer", "author", "operator", "admin")


class ConsoleUser(Base):
    __tablename__ = "console_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="viewer")  # viewer | author | operator | admin
    password_hash: Mapped[str] = mapped_column(String(300), default="")  # "" = only via proxy header
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)  # [] = every department


class ConsoleSession(Base):
    """One login. ``id`` is the sha256 of the random token in the cookie (a copy of the database
    does not yield usable cookies). Valid while not revoked, before ``expires_at`` (absolute) and
    while ``last_seen_at`` is recent enough (idle timeout, checked by the console)."""

    __tablename__ = "console_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    client: Mapped[str] = mapped_column(String(64), default="")


class LoginThrottle(Base):
    """Failed logins of one key (``user:NAME`` or ``ip:ADDRESS``) and the time it is locked until."""

    __tablename__ = "console_login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LedgerRollup(Base):
    """Ledger sums per (fiscal year, month, department, robot), kept current by database triggers on
    ``ledger_entries`` so the dashboard reads a few thousand rows instead of aggregating a million.

    Each row holds signed sums: an inserted entry adds, a deleted one subtracts, an updated one
    does both. The triggers and a one-time backfill are installed by :func:`install_rollup` when the
    console starts (idempotent; SQLite and PostgreSQL), so rows written before are counted too.
    """

    __tablename__ = "console_ledger_rollup"
    __table_args__ = (UniqueConstraint("fiscal_year", "month", "department", "robot_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(100))
    robot_name: Mapped[str] = mapped_column(String(100))
    robot_title: Mapped[str] = mapped_column(String(200), default="")
    runs: Mapped[int] = mapped_column(Integer, default=0)
    succeeded: Mapped[int] = mapped_column(Integer, default=0)
    business_errors: Mapped[int] = mapped_column(Integer, default=0)
    system_errors: Mapped[int] = mapped_column(Integer, default=0)
    gross_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    human_minutes: Mapped[float] = mapped_column(Float, default=0.0)


_COLS = (
    "fiscal_year, month, department, robot_name, robot_title, runs, succeeded, business_errors, "
    "system_errors, gross_minutes, human_minutes"
)


def _upsert(row: str, sign: str) -> str:
    """One signed upsert of the trigger row ``NEW``/``OLD`` (same text on SQLite and PostgreSQL)."""
    r = row
    return (
        f"INSERT INTO console_ledger_rollup ({_COLS}) VALUES ({r}.fiscal_year, {r}.month, {r}.department, "
        f"{r}.robot_name, {r}.robot_title, {sign}1, {sign}{r}.items_succeeded, "
        f"{sign}{r}.items_business_error, {sign}{r}.items_system_error, "
        f"{sign}{r}.gross_minutes, {sign}{r}.human_minutes) "
        "ON CONFLICT (fiscal_year, month, department, robot_name) DO UPDATE SET "
        "runs = console_ledger_rollup.runs + excluded.runs, "
        "succeeded = console_ledger_rollup.succeeded + excluded.succeeded, "
        "business_errors = console_ledger_rollup.business_errors + excluded.business_errors, "
        "system_errors = console_ledger_rollup.system_errors + excluded.system_errors, "
        "gross_minutes = console_ledger_rollup.gross_minutes + excluded.gross_minutes, "
        "human_minutes = console_ledger_rollup.human_minutes + excluded.human_minutes"
        + (", robot_title = excluded.robot_title" if sign == "" else "")
    )


_BACKFILL = (
    f"INSERT INTO console_ledger_rollup ({_COLS}) SELECT fiscal_year, month, department, robot_name, "
    "max(robot_title), count(*), sum(items_succeeded), sum(items_business_error), sum(items_system_error), "
    "sum(gross_minutes), sum(human_minutes) FROM ledger_entries "
    "GROUP BY fiscal_year, month, department, robot_name"
)


def _sqlite_ddl() -> list[str]:
    return [
        f"CREATE TRIGGER console_rollup_ins AFTER INSERT ON ledger_entries BEGIN {_upsert('NEW', '')}; END",
        f"CREATE TRIGGER console_rollup_del AFTER DELETE ON ledger_entries BEGIN {_upsert('OLD', '-')}; END",
        f"CREATE TRIGGER console_rollup_upd AFTER UPDATE ON ledger_entries BEGIN {_upsert('OLD', '-')}; "
        f"{_upsert('NEW', '')}; END",
    ]


def _pg_ddl() -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION console_rollup_apply() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_upsert('OLD', '-')}; END IF; "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {_upsert('NEW', '')}; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER console_rollup AFTER INSERT OR UPDATE OR DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION console_rollup_apply()",
    ]


def install_rollup(connection: Connection) -> bool:
    """Create the rollup table and triggers and fill it from existing entries, if not done yet.

    Run in one transaction (the caller's); on PostgreSQL ``ledger_entries`` is locked against writes
    meanwhile, on SQLite ``BEGIN IMMEDIATE`` already does that. Returns True when it installed.
    """
    dialect = connection.dialect.name
    if dialect == "sqlite":
        probe = "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'console_rollup_ins'"
        ddl = _sqlite_ddl()
    elif dialect == "postgresql":
        probe = "SELECT 1 FROM pg_trigger WHERE tgname = 'console_rollup'"
        ddl = _pg_ddl()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        return False
    if connection.execute(text(probe)).first():
        return False
    LedgerRollup.__table__.create(connection, checkfirst=True)  # type: ignore[attr-defined]
    if dialect == "postgresql":
        connection.execute(text("LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE"))
        if connection.execute(text(probe)).first():  # installed by another process meanwhile
            return False
    connection.execute(text("DELETE FROM console_ledger_rollup"))
    connection.execute(text(_BACKFILL))
    for statement in ddl:
        connection.exec_driver_sql(statement)
    return True
