"""The run journal: the only engine code that writes runs, work items, attempts, the ledger and
the audit trail.

The runner decides; the journal records. Every write is one unit of work (``Store.transact``,
which retries a lost PostgreSQL connection; the plan's writes share one, :meth:`Journal.planning`),
run off the event loop for the per-item calls, and
every message passes the URL redactor and the key map first, so a key that is personal data is
never written in clear.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from dxrpa.engine import liveness
from dxrpa.engine.data import DataItem
from dxrpa.engine.outcome import Counts
from dxrpa.engine.pii import KeyMap
from dxrpa.errors import ItemError
from dxrpa.log import redact_urls_in
from dxrpa.model.status import ItemStatus
from dxrpa.store import audit_repo, ledger_repo, runs_repo
from dxrpa.store.base import Store, utcnow
from dxrpa.store.tables import Robot, RobotVersion, Run

T = TypeVar("T")


@dataclass(frozen=True)
class ItemRow:
    """A work item as planning needs it."""

    id: int
    status: str


@dataclass(frozen=True)
class Entry:
    """One attempt to write: the item, its outcome and what staff need to find it."""

    item: DataItem
    item_id: int | None  # None in dry runs: they never touch work items
    attempt: int
    status: str
    exc: ItemError | None = None
    message: str | None = None
    step: str | None = None
    outputs: dict[str, Any] | None = None


class Journal:
    """The store side of one run (``run_id``) of one robot version."""

    def __init__(
        self,
        store: Store,
        *,
        run_id: str,
        robot: Robot,
        version: RobotVersion,
        actor: str,
        dry_run: bool,
        timezone: str,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.robot = robot
        self.version = version
        self.actor = actor
        self.dry_run = dry_run
        self.timezone = timezone
        self.keys = KeyMap()  # stored key → key as in the data, set once the batch is read
        self._plan_session: Session | None = None  # open while planning (planning())

    # ------------------------------------------------------------------ before the items

    def open(
        self,
        *,
        trigger: str,
        test: bool,
        host: str,
        folder: str,
        unit: str | None,
        department: str | None,
        status: str,
    ) -> None:
        """Write the run row (or resume it) and audit ``run.start``/``run.resume``."""

        def write(s: Session) -> None:
            pid = os.getpid()
            _, resumed = runs_repo.start_run(
                s,
                robot=self.robot,
                version=self.version,
                run_id=self.run_id,
                status=status,
                trigger=trigger,
                dry_run=self.dry_run,
                test=test,
                requested_by=self.actor,
                host=host,
                pid=pid,
                pid_started=liveness.start_token(pid),
                folder=folder,
                started_at=utcnow(),
                heartbeat_at=utcnow(),
                unit=unit,
                department=department,
            )
            if not self.dry_run:
                action = "run.resume" if resumed else "run.start"
                details = {"run_id": self.run_id, "version": self.version.version, "trigger": trigger}
                audit_repo.append(s, self.actor, action, self.robot.name, details)

        self.store.transact(write)

    @contextlib.contextmanager
    def planning(self) -> Iterator[None]:
        """Recover, reprocess, create the work items and set the total as one unit of work: a plan
        that fails half-way leaves nothing behind, and a large batch is not one commit per chunk."""
        with self.store.session() as s:
            self._plan_session = s
            try:
                yield
            finally:
                self._plan_session = None

    def _write(self, fn: Callable[[Session], T]) -> T:
        """``fn`` in the plan's unit of work when one is open, else in its own."""
        s = self._plan_session
        return fn(s) if s is not None else self.store.transact(fn)

    def recover(self, stale_after: timedelta, host: str) -> list[str]:
        """Mark the in-progress items of runners that stopped beating abandoned; their keys."""
        return self._write(
            lambda s: [
                wi.key
                for wi in runs_repo.abandon_stale(
                    s, self.robot.id, stale_after, host=host, alive=liveness.alive
                )
            ]
        )

    def reprocess(self, keys: list[str]) -> list[str]:
        """Put finished items back for another go (``--reprocess``), audited; the keys found."""

        def write(s: Session) -> list[str]:
            found = runs_repo.reprocess(s, self.robot.id, keys)
            for key in found:
                target = f"{self.robot.name}/{key}"
                audit_repo.append(s, self.actor, "item.reprocess", target, {"run_id": self.run_id})
            return found

        return self._write(write)

    def ensure_items(self, keys: list[str]) -> dict[str, ItemRow]:
        """The work items of ``keys``, created when new."""
        rows = self._write(lambda s: runs_repo.ensure_items(s, self.robot.id, keys))
        return {k: ItemRow(wi.id, wi.status) for k, wi in rows.items()}

    def set_total(self, total: int) -> None:
        """The number of items this run takes (shown by the console before the first finishes)."""

        def write(s: Session) -> None:
            run = s.get(Run, self.run_id)
            if run is not None:
                run.items_total = total

        self._write(write)

    # ------------------------------------------------------------------ per item (async)

    async def _db(self, fn: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self.store.transact, fn)

    async def claim(self, item_id: int, statuses: tuple[str, ...]) -> bool:
        """Take the item for this run; False when another run holds it."""
        return await self._db(lambda s: runs_repo.claim(s, item_id, self.run_id, statuses=statuses))

    async def release(self, item_id: int, status: str) -> None:
        """Give an item back unfinished (pending, or abandoned when it must be verified first)."""
        await self._db(lambda s: runs_repo.release(s, item_id, self.run_id, status=status))

    async def heartbeat(self) -> bool:
        """Beat for this run and its items; True when staff asked to cancel it."""
        return await self._db(lambda s: runs_repo.heartbeat(s, self.run_id))

    def text(self, entry: Entry) -> str | None:
        """The entry's message as stored: URLs redacted, personal keys replaced."""
        if entry.exc is None and entry.message is None:
            return None
        return self.keys.scrub(redact_urls_in(entry.message or str(entry.exc)), entry.item.key)

    async def attempt(self, entry: Entry) -> None:
        """A failed attempt that is not the item's last word (it is retried or verified)."""
        text = self.text(entry)
        await self._db(lambda s: self._add_attempt(s, entry, text))

    async def finish(self, entry: Entry, *, final_status: str) -> str | None:
        """The item's outcome: its last attempt (``entry.status``, ``skipped`` for a dry run's)
        and the work item's final status, in one unit of work. Returns the stored message."""
        text = self.text(entry)
        exc = entry.exc

        def write(s: Session) -> None:
            self._add_attempt(s, entry, text)
            if entry.item_id is not None:
                runs_repo.finish_item(
                    s,
                    entry.item_id,
                    self.run_id,
                    status=final_status,
                    outputs=entry.outputs,
                    error_class=type(exc).__name__ if exc else None,
                    error_message=text if final_status != ItemStatus.DONE else None,
                    error_step=entry.step,
                )

        await self._db(write)
        return text

    def _add_attempt(self, s: Session, entry: Entry, text: str | None) -> None:
        ev = entry.exc.evidence if entry.exc is not None else None
        runs_repo.add_attempt(
            s,
            run_id=self.run_id,
            item_id=entry.item_id,
            key=entry.item.key,
            seq=entry.item.seq,
            attempt=entry.attempt,
            status=entry.status,
            error_class=type(entry.exc).__name__ if entry.exc else None,
            error_message=text,
            error_step=entry.step,
            url=ev.url if ev else None,
            screenshot=ev.screenshot if ev else None,
            trace=ev.trace if ev else None,
            outputs=entry.outputs or {},
            finished_at=utcnow(),
        )

    # ------------------------------------------------------------------ after the items

    def counts(self) -> Counts:
        """Tally the items from their last attempts (written to the run row too)."""

        def read(s: Session) -> Counts:
            run = runs_repo.refresh_counts(s, self.run_id)
            return Counts(run.items_done, run.items_business_error, run.items_system_error, run.items_skipped)

        return self.store.transact(read)

    def close(self, status: str, exc: BaseException | None) -> None:
        """Close the run row; unless a dry run, record its ledger row and audit ``run.finish``."""

        def write(s: Session) -> None:
            run = runs_repo.refresh_counts(s, self.run_id)
            run.status = status
            run.finished_at = utcnow()
            if exc is not None:
                run.error_class = type(exc).__name__
                run.error_message = redact_urls_in(str(exc))
            if not self.dry_run:
                ledger_repo.record_run(s, run, self.version, self.robot, tz=self.timezone)
                details = {"run_id": self.run_id, "status": status, "done": run.items_done}
                audit_repo.append(s, self.actor, "run.finish", self.robot.name, details)

        self.store.transact(write)
