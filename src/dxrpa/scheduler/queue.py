"""procrastinate integration: the ``dxrpa:run_robot`` task, deferring, and ``dxrpa worker``.

* ``lock=<robot>``: procrastinate never runs two jobs with the same lock at once, across hosts.
* ``queueing_lock=<robot>``: at most one *waiting* job per robot, so a slow robot does not pile up.
* Workers send heartbeats; each worker also sweeps jobs of workers whose heartbeat is older
  than ``scheduler.lock_stale_seconds`` back to the queue. The retried job keeps its ``run_id``,
  so the engine resumes that run (done items are never entered twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from typing import Any

from dxrpa.config import Settings
from dxrpa.errors import ConfigError, DependencyMissing
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.scheduler.child import DEFAULT_TARGET
from dxrpa.scheduler.executor import ChildRunner, RunOrder

TASK_NAME = "dxrpa:run_robot"
_SCHEMA_LOCK_KEY = 0x6478_7270_6102

try:
    import procrastinate
except ModuleNotFoundError:  # pragma: no cover - only without the postgres extra
    procrastinate = None  # type: ignore[assignment]

_runner: ChildRunner | None = None  # set in each worker process


def _run_robot_task(
    robot: str, run_id: str, trigger: str, time_limit_s: float | None, unit: str | None = None
) -> str:
    if _runner is None:
        raise RuntimeError("dxrpa worker not initialised")
    order = RunOrder(robot=robot, run_id=run_id, trigger=trigger, time_limit_s=time_limit_s, unit=unit)
    result = _runner.run(order)
    logger.info("run {} of {} ended: {}", run_id, robot, result.outcome)
    return result.outcome


def conninfo(settings: Settings) -> str:
    url = settings.db_url
    if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise ConfigError(
            tr(
                'executor = "procrastinate" には PostgreSQL の database_url が必要です',
                'executor = "procrastinate" needs a PostgreSQL database_url',
            ),
            hint=tr('SQLite では executor = "local" を使ってください', 'use executor = "local" with SQLite'),
        )
    return "postgresql://" + url.split("://", 1)[1]


def build_app(settings: Settings) -> Any:
    if procrastinate is None:
        raise DependencyMissing(
            tr("procrastinate がインストールされていません", "procrastinate is not installed"),
            hint="pip install 'dxrpa[postgres]'",
        )
    bp = procrastinate.Blueprint()
    bp.task(name="run_robot")(_run_robot_task)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(settings)))
    app.add_tasks_from(bp, namespace="dxrpa")
    return app


def ensure_schema(settings: Settings) -> None:
    """Create procrastinate's tables once (several workers may start together)."""
    import psycopg

    with psycopg.connect(conninfo(settings), autocommit=False) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
        exists = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not (exists and exists[0]):
            conn.execute(procrastinate.schema.SchemaManager.get_schema())
            logger.info("procrastinate schema created")
        conn.commit()


def open_app(settings: Settings) -> Any:
    """A procrastinate app opened synchronously (for deferring from the scheduler / CLI)."""
    ensure_schema(settings)
    app = build_app(settings)
    app.open()
    return app


def defer_run(app: Any, order: RunOrder, *, queueing_lock: bool = True) -> int | None:
    """Queue a run; None when one of this robot is already waiting (queueing lock).

    ``lock=<robot>`` always applies (never two runs of a robot at once; per 区 for a shared robot's
    runs: ``<robot>@<区>``); ``queueing_lock=False``
    lets explicit requests wait in line behind each other.
    """
    qlock = order.lock_key if queueing_lock else None
    kwargs: dict[str, Any] = {"unit": order.unit} if order.unit else {}  # a shared robot's 区
    try:
        job_id: int = app.configure_task(TASK_NAME, lock=order.lock_key, queueing_lock=qlock).defer(
            robot=order.robot,
            run_id=order.run_id,
            trigger=order.trigger,
            time_limit_s=order.time_limit_s,
            **kwargs,
        )
    except procrastinate.exceptions.AlreadyEnqueued:
        return None
    return job_id


async def _sweep_stalled(app: Any, every_s: float, stale_s: float) -> None:
    """Put jobs of dead workers (no heartbeat for ``stale_s``) back in the queue."""
    while True:
        await asyncio.sleep(every_s)
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                task_name=TASK_NAME, seconds_since_heartbeat=stale_s
            )
            for job in stalled:
                with contextlib.suppress(Exception):  # another worker retried it first
                    await app.job_manager.retry_job(job)
                    logger.warning("job {} of {} was on a dead worker: queued again", job.id, job.lock)
        except Exception as exc:  # noqa: BLE001 — a sweep that fails is tried again at the next one
            logger.warning("stalled-job sweep failed: {}", exc)


def run_worker(settings: Settings, *, concurrency: int = 1, target: str = DEFAULT_TARGET) -> None:
    """Run a worker until SIGTERM/SIGINT: running robots get SIGTERM and finish their item."""
    global _runner
    ensure_schema(settings)
    _runner = ChildRunner(settings, target)
    app = build_app(settings)
    hb = float(settings.scheduler.lock_heartbeat_seconds)
    stale = float(settings.scheduler.lock_stale_seconds)

    async def main() -> None:
        async with app.open_async():
            worker_task = asyncio.create_task(
                app.run_worker_async(
                    name=f"{socket.gethostname()}:{os.getpid()}",
                    concurrency=concurrency,
                    install_signal_handlers=False,
                    update_heartbeat_interval=hb,
                    stalled_worker_timeout=stale,
                    fetch_job_polling_interval=min(5.0, hb),
                    delete_jobs="successful",
                )
            )
            sweeper = asyncio.create_task(_sweep_stalled(app, hb, stale))
            loop = asyncio.get_running_loop()

            def stop() -> None:
                logger.info("worker stopping: letting running robots finish their current item")
                assert _runner is not None
                loop.run_in_executor(None, _runner.terminate_all, 60.0)
                worker_task.cancel()

            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop)
            try:
                await worker_task
            except asyncio.CancelledError:
                pass
            finally:
                sweeper.cancel()

    logger.info("dxrpa worker started (concurrency {})", concurrency)
    asyncio.run(main())
