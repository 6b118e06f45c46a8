"""Read-only sessions for the console's pages and polling endpoints.

The store's SQLite engine starts every transaction with ``BEGIN IMMEDIATE`` (the write lock) so
that claims are safe; pages that only read must not queue behind a running robot's writes, so on
SQLite the console reads through its own engine: deferred ``BEGIN`` (a WAL snapshot, no lock) and
``PRAGMA query_only``. On PostgreSQL the store's sessions already read without blocking.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from dxrpa.store import sealed
from dxrpa.store.base import Store


class Reader:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._sessions: sessionmaker[Session] | None = None
        if store.is_sqlite:
            engine = create_engine(
                store.url,
                connect_args={"timeout": 30, "check_same_thread": False},
                pool_size=8,
                max_overflow=32,
            )

            @event.listens_for(engine, "connect")
            def _connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA busy_timeout=30000")
                cur.execute("PRAGMA query_only=ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN")

            sealed.attach(engine, store.vault)
            self.engine = engine
            self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only unit of work (closed at the end: its transaction ends, loaded objects stay usable)."""
        if self._sessions is None:
            with self.store.session() as s:
                yield s
            return
        with self._sessions() as s:
            try:
                yield s
            finally:
                s.close()

    def dispose(self) -> None:
        if self._sessions is not None:
            self.engine.dispose()
