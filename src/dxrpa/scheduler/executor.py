"""Where a run executes: :class:`LocalExecutor` (child process on this host) or
:class:`ProcrastinateExecutor` (deferred to PostgreSQL, executed by ``dxrpa worker`` on any host).

Both sit behind :class:`Executor`, so the scheduler does not care which one a site uses. Every
run executes in a child process (:mod:`dxrpa.scheduler.child`) with a hard time limit: SIGTERM
first (the engine finishes the current item), SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from dxrpa.config import Settings
from dxrpa.errors import ExitCode
from dxrpa.ledger import DEFAULT_TZ
from dxrpa.log import logger
from dxrpa.scheduler.launcher import DEFAULT_TARGET, TERM_GRACE_SECONDS, child_command, run_child
from dxrpa.store import runs_repo

Outcome = Literal[
    "succeeded", "failed", "items_failed", "timed_out", "terminated", "queued", "already_queued"
]


def new_run_id(tz: str = DEFAULT_TZ) -> str:
    """The one run-id format (``20261203-080000-ab12cd``, in settings.timezone) for CLI, console
    and scheduler."""
    return runs_repo.new_run_id(tz)


@dataclass(frozen=True)
class RunOrder:
    """One run to execute. ``run_id`` is chosen up front so a retried order resumes the same run."""

    robot: str
    run_id: str
    trigger: str = "schedule"  # schedule | now
    planned_at: datetime | None = None
    time_limit_s: float | None = None
    rule: int | None = None
    unit: str | None = None  # a shared robot's 区: the run goes as ``dxrpa run NAME --unit 北区``

    @property
    def lock_key(self) -> str:
        """One run at a time per robot, or per robot and 区 for a shared robot (``tennyu@北区``)."""
        return f"{self.robot}@{self.unit}" if self.unit else self.robot


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    returncode: int | None = None
    detail: str = ""


class Executor(Protocol):
    """Runs or queues :class:`RunOrder`s.

    ``blocking`` executors return when the run has finished (the scheduler keeps one instance per
    robot itself); non-blocking ones return once the order is queued and rely on the queue's
    per-robot lock.
    """

    name: str
    blocking: bool

    def submit(self, order: RunOrder) -> RunResult: ...

    def shutdown(self, grace_s: float = TERM_GRACE_SECONDS) -> None: ...


class ChildRunner:
    """Starts runs as child processes and tracks them so SIGTERM can be forwarded."""

    def __init__(
        self, settings: Settings, target: str = DEFAULT_TARGET, term_grace_s: float = TERM_GRACE_SECONDS
    ):
        self.settings = settings
        self.target = target
        self.term_grace_s = term_grace_s
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self, order: RunOrder) -> RunResult:
        cmd = child_command(
            order.robot, order.run_id, trigger=order.trigger, target=self.target, unit=order.unit
        )
        started: list[int] = []

        def track(proc: subprocess.Popen[bytes]) -> None:
            started.append(proc.pid)
            with self._lock:
                self._children[proc.pid] = proc
            logger.info("run {} of {} started (pid {})", order.run_id, order.robot, proc.pid)

        try:
            rc, timed_out = run_child(
                self.settings, cmd, time_limit_s=order.time_limit_s, grace_s=self.term_grace_s, on_start=track
            )
        finally:
            with self._lock:
                for pid in started:
                    self._children.pop(pid, None)
        if timed_out:
            logger.warning("run {} of {} hit its time limit; stopped it", order.run_id, order.robot)
            return RunResult("timed_out", rc, f"time limit {order.time_limit_s or 0:.0f}s")
        if self.stopping.is_set() and rc != 0:
            return RunResult("terminated", rc, "scheduler/worker shut down")
        if rc == ExitCode.OK:
            return RunResult("succeeded", rc)
        if rc == ExitCode.ITEMS_FAILED:
            return RunResult("items_failed", rc)
        if rc == ExitCode.STOPPED:
            return RunResult("terminated", rc, "stopped before the end; resumable")
        return RunResult("failed", rc, f"exit code {rc}")

    def terminate_all(self, grace_s: float) -> None:
        """SIGTERM every child (the engine finishes its item), SIGKILL after ``grace_s``."""
        self.stopping.set()
        with self._lock:
            children = list(self._children.values())
        for proc in children:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in children:
            try:
                proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                proc.kill()

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._children)


class LocalExecutor:
    """Runs each order in a child process on this host and waits for it (SQLite deployments)."""

    name = "local"
    blocking = True

    def __init__(self, settings: Settings, target: str = DEFAULT_TARGET) -> None:
        self.children = ChildRunner(settings, target)

    def submit(self, order: RunOrder) -> RunResult:
        return self.children.run(order)

    def shutdown(self, grace_s: float = TERM_GRACE_SECONDS) -> None:
        self.children.terminate_all(grace_s)


class ProcrastinateExecutor:
    """Defers each order to procrastinate with ``lock=<robot>`` and ``queueing_lock=<robot>``."""

    name = "procrastinate"
    blocking = False

    def __init__(self, settings: Settings) -> None:
        from dxrpa.scheduler.queue import open_app

        self.app = open_app(settings)

    def submit(self, order: RunOrder) -> RunResult:
        from dxrpa.scheduler.queue import defer_run

        job_id = defer_run(self.app, order)
        if job_id is None:
            return RunResult("already_queued", None, "a run of this robot is already waiting in the queue")
        return RunResult("queued", None, f"procrastinate job {job_id}")

    def shutdown(self, grace_s: float = TERM_GRACE_SECONDS) -> None:
        self.app.close()


def make_executor(settings: Settings, target: str = DEFAULT_TARGET) -> Executor:
    """The executor the settings ask for (``scheduler.executor = "local" | "procrastinate"``)."""
    if settings.scheduler.executor == "procrastinate":
        return ProcrastinateExecutor(settings)
    return LocalExecutor(settings, target)
