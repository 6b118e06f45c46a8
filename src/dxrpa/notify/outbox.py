"""Rules → outbox rows, and delivery of due rows with exponential backoff.

A row is written before anything is sent (the durable outbox); each attempt settles it as
``sent``, ``pending`` again after ``backoff_seconds × 2^(attempts-1)`` (capped), or ``failed``
after ``max_attempts``. The log names the row, the event, the channel and the short reason —
never the body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from dxrpa.log import logger
from dxrpa.notify.channels import DeliveryFailed, Senders
from dxrpa.notify.config import NotifyConfig
from dxrpa.notify.events import Event
from dxrpa.notify.messages import render
from dxrpa.store.base import Store
from dxrpa.store.notify_repo import OutboxEntry, claim, due, enqueue, settle


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed


def route(config: NotifyConfig, event: Event) -> list[str]:
    """The channels the rules send ``event`` to (each once, in the rules' order)."""
    names: dict[str, None] = {}
    for rule in config.rules:
        if rule.matches(event.kind, event.robot, event.department, event.trigger):
            names.update(dict.fromkeys(rule.channels))
    return list(names)


def entries_for(config: NotifyConfig, events: Iterable[Event]) -> list[OutboxEntry]:
    return [
        OutboxEntry(
            event=e.kind,
            dedup_key=e.dedup_key,
            channel=channel,
            facts=e.facts(),
            robot=e.robot,
            department=e.department,
            run_id=e.run_id,
        )
        for e in events
        for channel in route(config, e)
    ]


class Outbox:
    """Enqueue events and deliver due rows for one database and one notify config."""

    def __init__(
        self, config: NotifyConfig, store: Store, var_dir: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.config = config
        self.store = store
        self.var_dir = var_dir
        self.env = env

    def add(self, events: Iterable[Event]) -> list[int]:
        """Write the rows the rules ask for (already written ones are skipped); their ids."""
        entries = entries_for(self.config, events)
        if not entries:
            return []
        with self.store.session() as s:
            return enqueue(s, entries)

    def deliver(self, ids: Sequence[int] | None = None, limit: int = 200) -> DeliveryReport:
        """One attempt at every due row (only ``ids`` when given)."""
        report = DeliveryReport()
        with self.store.session() as s:
            todo = due(s, ids=ids, limit=limit)
        if not todo:
            return report
        senders = Senders(self.config, self.var_dir, self.env)
        try:
            for row_id in todo:
                report.add(self._one(senders, row_id))
        finally:
            senders.close()
        return report

    def _one(self, senders: Senders, row_id: int) -> DeliveryReport:
        with self.store.session() as s:
            row = claim(s, row_id)
            if row is None:
                return DeliveryReport()
            channel_name, facts, attempts, event = row.channel, dict(row.facts), row.attempts, row.event
        channel = self.config.channels.get(channel_name)
        error: str | None = None
        if channel is None:
            error = f"channel '{channel_name}' is no longer in the notify config"
        else:
            path = f"/runs/{facts['run_id']}" if facts.get("run_id") else ""
            if facts.get("event") == "ocr_review_waiting":
                path = f"/ocr/batches/{facts.get('batch_id')}"
            elif facts.get("event") == "scheduler_lock_lost":
                path = "/schedules"
            msg = render(facts, self.config.link(path) if path else "")
            try:
                senders.send(channel, msg, facts)
            except DeliveryFailed as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001 — a bug must not lose the row: record its class only
                error = f"{type(exc).__name__}"
        delivery = self.config.delivery
        max_attempts = 1 if channel is None else delivery.max_attempts
        wait = timedelta(seconds=delivery.backoff(attempts + 1))
        with self.store.session() as s:
            row = settle(s, row_id, error=error, max_attempts=max_attempts, backoff=wait)
            status, tries = row.status, row.attempts
        if error is None:
            logger.info("notification {} ({}) sent to channel {}", row_id, event, channel_name)
            return DeliveryReport(sent=1)
        if status == "failed":
            logger.error(
                "notification {} ({}) to channel {} failed for good after {} attempt(s): {}",
                row_id, event, channel_name, tries, error,
            )  # fmt: skip
            return DeliveryReport(failed=1)
        logger.warning(
            "notification {} ({}) to channel {} failed (attempt {}/{}), retry in {:g} s: {}",
            row_id, event, channel_name, tries, max_attempts, wait.total_seconds(), error,
        )  # fmt: skip
        return DeliveryReport(retrying=1)
