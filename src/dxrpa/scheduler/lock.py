"""The one-scheduler lock: only one ``dxrpa scheduler run`` fires jobs per database.

APScheduler's FAQ warns that several processes must not share a job store, so the scheduler
takes a lock before it builds any job:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated
  connection; it is released by the server when the process dies.
* SQLite: a row in ``scheduler_lock`` with a heartbeat; a row whose heartbeat is older than
  ``scheduler.lock_stale_seconds`` is taken over. The holder re-checks on every heartbeat and
  stops if it lost the row (so two schedulers never fire at once for longer than one beat).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

from dxrpa.config import SchedulerSettings
from dxrpa.errors import LockHeld
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.store.base import Store
from dxrpa.store.schedule_repo import lock_heartbeat, lock_release, lock_try_acquire

LOCK_NAME = "scheduler"
_PG_LOCK_KEY = 0x6478_7270_6101  # "dxrpa" + 1, a fixed bigint


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SchedulerLock:
    """Acquire with :meth:`acquire` (raises LockHeld) or :meth:`wait` (standby)."""

    def __init__(self, store: Store, settings: SchedulerSettings) -> None:
        self.store = store
        self.settings = settings
        self.holder = holder_id()
        self._pg_conn: Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = threading.Event()

    def try_acquire(self) -> str | None:
        """None when acquired; otherwise who holds it."""
        if not self.store.is_sqlite:
            conn = self.store.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOCK_KEY}).scalar()
            conn.commit()
            if got:
                self._pg_conn = conn
                return None
            conn.close()
            return tr(
                "別のスケジューラ (PostgreSQL advisory lock)", "another scheduler (PostgreSQL advisory lock)"
            )
        with self.store.session() as s:
            return lock_try_acquire(s, LOCK_NAME, self.holder, self.settings.lock_stale_seconds)

    def acquire(self) -> None:
        other = self.try_acquire()
        if other is not None:
            raise LockHeld(
                tr(f"スケジューラは既に動いています: {other}", f"a scheduler is already running: {other}"),
                hint=tr(
                    "データベースごとにスケジューラは 1 つです。待機するには --standby を付けてください",
                    "only one scheduler per database; add --standby to wait as a standby",
                ),
            )
        self._start_heartbeat()

    def wait(self, stop: threading.Event, on_wait: Callable[[str], None] | None = None) -> bool:
        """Standby: retry every heartbeat until acquired (True) or ``stop`` is set (False)."""
        while not stop.is_set():
            other = self.try_acquire()
            if other is None:
                self._start_heartbeat()
                return True
            if on_wait:
                on_wait(other)
            stop.wait(self.settings.lock_heartbeat_seconds)
        return False

    def _start_heartbeat(self) -> None:
        logger.info("scheduler lock acquired by {}", self.holder)
        self._thread = threading.Thread(target=self._beat, name="dxrpa-lock-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.settings.lock_heartbeat_seconds):
            try:
                if self._pg_conn is not None:
                    self._pg_conn.execute(text("SELECT 1"))
                    self._pg_conn.commit()
                    continue
                with self.store.session() as s:
                    ok = lock_heartbeat(s, LOCK_NAME, self.holder)
            except Exception as exc:  # noqa: BLE001 — database briefly unavailable: keep trying until stale
                logger.warning("scheduler lock heartbeat failed: {}", exc)
                if self._pg_conn is not None:  # the session (and its advisory lock) is gone
                    self.lost.set()
                    return
                continue
            if not ok:
                logger.error("scheduler lock lost to another process; stopping")
                self.lost.set()
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            if self._pg_conn is not None:
                self._pg_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                self._pg_conn.commit()
                self._pg_conn.close()
                self._pg_conn = None
            elif self.store.is_sqlite:
                with self.store.session() as s:
                    lock_release(s, LOCK_NAME, self.holder)
        except Exception as exc:  # noqa: BLE001 — releasing at shutdown: a stale lock expires anyway
            logger.warning("scheduler lock release failed: {}", exc)
