"""Schema upgrades with Alembic, run on open: ``Store.upgrade()`` brings any database to head.

Revisions live in ``dxrpa/store/migrations/versions``. A database already at head costs one
small query. Concurrent starters are serialized (SQLite: the write lock of BEGIN IMMEDIATE;
PostgreSQL: an advisory lock), so two processes opening a new database never race.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).parent / "migrations"
_PG_LOCK = 74_312_011


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    with engine.connect() as conn:
        if current(conn) == head():
            return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        if current(conn) != head():
            command.upgrade(_config(conn), "head")


def revision(engine: Engine, message: str) -> None:
    """Developer helper: autogenerate a new revision against an up-to-date database."""
    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)
