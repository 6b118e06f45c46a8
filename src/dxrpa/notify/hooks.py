"""The calls the rest of dxrpa makes. None of them raises: a notification problem is logged
(without the message) and left in the outbox, and the run's outcome is already stored.

* :func:`after_run` — the run's child process and ``dxrpa run`` call it once the run is closed:
  it writes the run's events to the outbox and makes the first delivery attempt.
* :class:`NotifyTicker` — the scheduler calls ``tick()`` every few seconds: due retries, and
  OCR fields waiting for review beyond ``review_age_hours``.
* :func:`lock_lost` — the scheduler lost its lock.
"""

from __future__ import annotations

import time

from dxrpa.config import Settings
from dxrpa.errors import DxrpaError
from dxrpa.log import logger
from dxrpa.notify.config import NotifyConfig, load_for
from dxrpa.notify.events import lock_lost_event, review_events, run_events
from dxrpa.notify.outbox import DeliveryReport, Outbox
from dxrpa.store.base import Store

REVIEW_CHECK_SECONDS = 300.0


def _config(settings: Settings) -> NotifyConfig | None:
    try:
        return load_for(settings)
    except DxrpaError as exc:
        logger.error("notifications are off: the notify config is invalid: {}", exc)
        return None


def after_run(settings: Settings, run_id: str, store: Store | None = None) -> DeliveryReport | None:
    """Enqueue and try to deliver the events of the closed run ``run_id``; None when off."""
    try:
        config = _config(settings)
        if config is None:
            return None
        own = store is None
        store = store or Store(settings.db_url, key_dir=settings.var_dir)
        try:
            outbox = Outbox(config, store, settings.var_dir)
            with store.session() as s:
                events = run_events(s, run_id)
            ids = outbox.add(events)
            return outbox.deliver(ids) if ids else DeliveryReport()
        finally:
            if own:
                store.dispose()
    except Exception as exc:  # noqa: BLE001 — a notification must never fail the run it reports
        logger.opt(exception=exc).error("notifications of run {} could not be written", run_id)
        return None


def lock_lost(settings: Settings, store: Store, holder: str) -> None:
    try:
        config = _config(settings)
        if config is None:
            return
        outbox = Outbox(config, store, settings.var_dir)
        ids = outbox.add([lock_lost_event(holder)])
        if ids:
            outbox.deliver(ids)
    except Exception as exc:  # noqa: BLE001 — a notification must never fail the scheduler
        logger.opt(exception=exc).error("the lock-lost notification could not be written")


class NotifyTicker:
    """Periodic work of the long-running scheduler: retries and the OCR review reminder."""

    def __init__(self, settings: Settings, store: Store, config: NotifyConfig | None) -> None:
        self.settings = settings
        self.store = store
        self.config = config
        self._last_review_check = 0.0

    def tick(self) -> None:
        if self.config is None:
            return
        try:
            outbox = Outbox(self.config, self.store, self.settings.var_dir)
            if time.monotonic() - self._last_review_check >= REVIEW_CHECK_SECONDS:
                self._last_review_check = time.monotonic()
                with self.store.session() as s:
                    events = review_events(s, age_hours=self.config.review_age_hours)
                outbox.add(events)
            outbox.deliver()
        except Exception as exc:  # noqa: BLE001 — the next tick retries; the scheduler goes on
            logger.opt(exception=exc).error("notification delivery tick failed")
