"""When a run stops: a robot defect, a cancel from staff, or SIGINT/SIGTERM.

A stop lets the items in progress finish. After a signal, ``limits.cancel_grace_seconds`` (or a
second signal) interrupts the steps still running: the workers are cancelled and their items
given back, never finished half-way.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

from dxrpa.errors import RobotDefect
from dxrpa.i18n import tr
from dxrpa.log import logger

SIGNALS = (signal.SIGINT, signal.SIGTERM)  # cancel the run (exit 130)


class Stop:
    """The run's stop state, shared by the runner's workers and its attempts."""

    def __init__(self, run_id: str, grace_seconds: float) -> None:
        self.requested = False  # no new item is started
        self.cancelled = False  # staff or a signal cancelled the run
        self.aborted = False  # the grace ran out: steps in progress are interrupted
        self.defect: RobotDefect | None = None  # the first robot defect seen
        self.grace_seconds = grace_seconds
        self.workers: list[asyncio.Task[None]] = []
        self._grace: asyncio.TimerHandle | None = None
        self.log = logger.bind(run_id=run_id)

    def for_defect(self, defect: RobotDefect) -> None:
        self.defect = self.defect or defect
        self.requested = True

    def cancel(self) -> None:
        """Staff asked to cancel: stop after the items in progress."""
        self.log.warning(tr("取り消しの依頼により停止します", "cancel requested: stopping"))
        self.requested = self.cancelled = True

    def on_signal(self, name: str) -> None:
        """SIGINT/SIGTERM: cancel after the current item; at the grace's end (or a second
        signal) interrupt the steps still running."""
        if self._grace is not None:
            self.abort()
            return
        grace = self.grace_seconds
        self.log.warning(
            tr(
                f"{name} を受けました。処理中の項目を終えて取り消します(最大 {grace:g} 秒)",
                f"{name}: finishing the current item (at most {grace:g} s), then cancelling the run",
            )
        )
        self.requested = self.cancelled = True
        self._grace = asyncio.get_running_loop().call_later(grace, self.abort)

    def abort(self) -> None:
        if self.aborted:
            return
        self.aborted = True
        self.log.warning(tr("処理中のステップを中断します", "interrupting the step in progress"))
        for task in self.workers:
            task.cancel()

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM handled by :meth:`on_signal` while the items run (where the loop can)."""
        loop = asyncio.get_running_loop()
        before = {sig: signal.getsignal(sig) for sig in SIGNALS}
        for sig in SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.on_signal, sig.name)
        try:
            yield
        finally:
            if self._grace is not None:
                self._grace.cancel()
            for sig, handler in before.items():  # asyncio would leave SIG_DFL: a SIGTERM while the
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # run closes
                    loop.remove_signal_handler(sig)  # would kill it with its row still "running"
                    signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
