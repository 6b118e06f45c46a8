"""Schema upgrades with Alembic, run on open: ``Store.upgrade()`` brings any database to head.

Revisions live in ``dxrpa/store/migrations/versions``. A database already at :data:`HEAD` costs
one small query and no Alembic import (about 0.3 s of every ``dxrpa run`` otherwise; a test keeps
:data:`HEAD` equal to the newest revision). Concurrent starters are serialized (SQLite: the write
lock of BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two processes opening a new database
never race.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).parent / "migrations"
HEAD = "a1b2c3d40014"  # the newest revision in migrations/versions
_PG_LOCK = 74_312_011


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str | None:
    """The newest revision as Alembic reads it from the scripts (what :data:`HEAD` must say)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current(connection: Connection) -> str | None:
    """The revision the database is stamped with (None: a new database)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    with engine.connect() as conn:
        if current(conn) == HEAD:
            return
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        if current(conn) != HEAD:
            command.upgrade(_config(conn), "head")


def revision(engine: Engine, message: str) -> None:
    """Developer helper: autogenerate a new revision against an up-to-date database."""
    from alembic import command

    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)
