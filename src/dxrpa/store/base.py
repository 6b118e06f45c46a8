"""Database engine and session handling: SQLite file (WAL) by default, PostgreSQL by URL.

Every table module subclasses :class:`Base`; :mod:`dxrpa.store.schema` imports them all so
that migrations and ``create_all`` see one complete metadata. Database failures leave
:meth:`Store.session` as :class:`~dxrpa.errors.StoreError` (:mod:`dxrpa.store.failures`);
:meth:`Store.transact` also retries a lost PostgreSQL connection with bounded backoff. Each
session carries the audit chain's key (:mod:`dxrpa.store.audit_key`), loaded or created once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from dxrpa.errors import ConfigError, IntegrityError, StoreError
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.store import audit_key, sealed
from dxrpa.store.failures import is_connection_loss, is_store_failure, to_store_error
from dxrpa.vault import PiiVault

T = TypeVar("T")
# waits between attempts when a PostgreSQL connection is lost (bounded: about 30 s in all)
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use dxrpa.store.base.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_dir(url: str) -> Path | None:
    """The folder of a SQLite file URL (``sqlite:///file:PATH?mode=ro&uri=true`` too)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0].removeprefix("file:")
    return Path(path).parent if path and path != ":memory:" else None


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite make the folder, enable WAL and a busy timeout."""
    if url.startswith("sqlite"):
        folder = _sqlite_dir(url)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)

        # SERIALIZABLE-ish claims: BEGIN IMMEDIATE so two writers never both read "pending"
        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        @event.listens_for(engine, "connect")
        def _no_pysqlite_tx(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"database driver missing for {url.split(':', 1)[0]}: {exc.name}",
            hint="pip install 'dxrpa[postgres]'",
        ) from exc


class Store:
    """A database handle: engine, sessions, and schema creation/upgrade.

    Without an env key, ``audit.key`` lives next to a SQLite file (so every process that opens
    the file finds the same key), else in ``key_dir`` (pass ``settings.var_dir``; default ``./var``).
    Hosts sharing one PostgreSQL database share the key through ``DXRPA_AUDIT_KEY[_FILE]``.
    """

    def __init__(self, url: str, *, key_dir: Path | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.key_dir = _sqlite_dir(url) or key_dir or Path("var")
        self.vault = PiiVault(key_dir or self.key_dir)  # the engine's: settings.var_dir
        sealed.attach(self.engine, self.vault)
        self._audit_key: bytes | None = None
        self._key_lock = threading.Lock()
        self._sessions = sessionmaker(
            self.engine, expire_on_commit=False, info={"dxrpa_audit_key": self.audit_key}
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def upgrade(self) -> None:
        """Bring the schema to the current version (Alembic migrations)."""
        from dxrpa.store.migrate import upgrade

        try:
            upgrade(self.engine)
        except DBAPIError as exc:
            raise to_store_error(exc, self.safe_url) from exc

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def audit_key(self) -> bytes:
        """The audit chain's HMAC key; created on first use, re-keying the unkeyed rows then."""
        if self._audit_key is None:
            with self._key_lock:
                if self._audit_key is None:
                    self._audit_key = self._load_or_create_key()
        return self._audit_key

    def _load_or_create_key(self) -> bytes:
        from dxrpa.store import audit_repo

        found = audit_key.load(self.key_dir)
        if found is not None:
            return found.key
        fresh = audit_key.new_key(self.key_dir)
        with self._unit() as s:
            try:
                has_log = inspect(s.connection()).has_table("audit_log")
                rekeyed = audit_repo.rekey(s, fresh.key, actor="dxrpa") if has_log else 0
            except IntegrityError as exc:  # a broken old chain stays as it is: verify reports it
                s.rollback()
                if audit_repo.keyed_elsewhere(s):
                    raise ConfigError(
                        tr(
                            f"監査ログは別の鍵で記録されていますが、鍵 {fresh.source} がありません",
                            f"the audit log was keyed elsewhere, but the key {fresh.source} is missing",
                        ),
                        hint=tr(
                            f"元の鍵ファイルを戻すか {audit_key.KEY_ENV} / {audit_key.KEY_FILE_ENV}"
                            " を設定してください",
                            f"restore the key file or set {audit_key.KEY_ENV} / {audit_key.KEY_FILE_ENV}",
                        ),
                    ) from exc
                logger.warning("audit chain not re-keyed: {}", exc)
                rekeyed = 0
            if not audit_key.publish(fresh):  # another process created it meanwhile: use theirs
                s.rollback()
                again = audit_key.load(self.key_dir)
                assert again is not None
                return again.key
        if rekeyed:
            logger.info("audit chain re-keyed: {} unkeyed rows", rekeyed)
        return fresh.key

    @contextmanager
    def _unit(self) -> Iterator[Session]:
        with self._sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException as exc:
                with suppress(Exception):
                    s.rollback()
                if is_store_failure(exc):
                    raise to_store_error(exc, self.safe_url) from exc  # type: ignore[arg-type]
                raise

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any error; database failures
        leave as :class:`StoreError`."""
        self.audit_key()
        with self._unit() as s:
            yield s

    def transact(self, fn: Callable[[Session], T], *, delays: tuple[float, ...] = RETRY_DELAYS) -> T:
        """``fn(session)`` in one unit of work; when the PostgreSQL connection is lost, wait and
        run it again in a fresh session (``delays`` between attempts), then give up."""
        for attempt in range(len(delays) + 1):
            try:
                with self.session() as s:
                    return fn(s)
            except StoreError as exc:
                cause = exc.__cause__
                last = attempt == len(delays)
                if last or cause is None or not is_connection_loss(cause, self.engine.dialect.name):
                    raise
                logger.warning("database connection lost; retrying in {} s", delays[attempt])
                time.sleep(delays[attempt])
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()
