"""The one scheduler process: registered schedules → APScheduler jobs → executor.

* Schedules live in the registered robot versions (``schedule:`` in the robot YAML). They are
  rebuilt into APScheduler's memory job store at start and whenever the database fingerprint
  changes (a robot registered, paused/resumed, a closure added/removed): the service polls it.
* APScheduler ``BackgroundScheduler`` with the timezone passed explicitly as ``ZoneInfo``;
  each job has ``misfire_grace_time``, ``coalesce`` and ``max_instances=1``; on top of that the
  service keeps one running instance per robot even when a robot has several rules.
* Every firing, run start/finish, skip (closed day, paused, already running) and misfire is
  written to ``schedule_events`` through a small batching writer (so 1,000 simultaneous firings
  do not serialise on SQLite inserts).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dxrpa.config import Settings
from dxrpa.errors import LockHeld
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.model.schedule import ScheduleRule, ScheduleSection
from dxrpa.notify.config import NotifyConfig, load_for
from dxrpa.notify.hooks import NotifyTicker, lock_lost
from dxrpa.scheduler.calendar import OfficeCalendar, load_calendar
from dxrpa.scheduler.child import DEFAULT_TARGET
from dxrpa.scheduler.executor import Executor, RunOrder, make_executor, new_run_id
from dxrpa.scheduler.lock import LOCK_NAME, SchedulerLock
from dxrpa.scheduler.rules import RuleTrigger, firings_between
from dxrpa.scheduler.unit_rules import unit_problems
from dxrpa.store.base import Store, utcnow
from dxrpa.store.robots_repo import approval_fingerprint, approved_versions, get_robot, production_version
from dxrpa.store.schedule_repo import (
    EventRecord,
    add_run_request,
    last_event_at,
    lock_holder,
    paused_robots,
    record_events,
    schedule_fingerprint,
    take_run_requests,
)

POLL_SECONDS = 2.0
NOTIFY_SECONDS = 10.0  # due notification retries and the OCR review reminder
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 1,000 robots load fast
MAX_MISSED_LOOKBACK = timedelta(days=7)
MAX_MISSED_PER_RULE = 100


@dataclass
class RobotSchedule:
    robot: str
    paused: bool
    rules: list[ScheduleRule]
    time_limit_s: float | None = None
    source: str = ""
    problem: str | None = None  # the stored YAML no longer validates (shown by schedule list)
    rule_problems: dict[int, str] = field(default_factory=dict)  # a rule's 区 cannot run (unit_rules)


def parse_schedule(robot: str, yaml_text: str, source: str = "") -> RobotSchedule:
    """Read the ``schedule:`` part of a registered robot's YAML."""
    try:
        data = yaml.load(yaml_text, Loader=_YAML_LOADER) or {}
        data.setdefault("name", robot)
        section = ScheduleSection.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)[:3]
        )
        return RobotSchedule(robot, False, [], source=source, problem=f"{source}: {where}")
    except (yaml.YAMLError, AttributeError) as exc:
        return RobotSchedule(robot, False, [], source=source, problem=f"{source}: {str(exc).splitlines()[0]}")
    limit_s = section.limits.run_timeout_minutes * 60
    return RobotSchedule(robot, False, list(section.schedule), limit_s, source)


def load_schedules(store: Store, settings: Settings | None = None) -> list[RobotSchedule]:
    """Every robot with an approved version: the newest approved version's rules and paused flag
    (a version an author registered has no schedule until an operator approves it). With
    ``settings``, a shared robot's rules that name a 区 are checked against the organisation tree."""
    with store.session() as s:
        robots = approved_versions(s)
    out = []
    for robot, version in robots:
        source = version.source_path or f"<registered {robot.name} v{version.version}>"
        sched = parse_schedule(robot.name, version.yaml_text, source)
        sched.paused = bool(robot.paused) or (robot.state or "active") != "active"  # disabled: skipped
        if settings is not None and not sched.problem:
            sched.rule_problems = unit_problems(settings, version.yaml_text, source, sched.rules)
        out.append(sched)
    return out


class EventLog:
    """Batches schedule events into few INSERTs (a background thread flushes every 0.25 s)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._q: queue.Queue[EventRecord | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="dxrpa-schedule-events", daemon=True)
        self._thread.start()

    def add(self, robot: str, kind: str, **kw: Any) -> None:
        self._q.put(EventRecord(robot=robot, kind=kind, at=utcnow(), **kw))

    def _loop(self) -> None:
        done = False
        while not done:
            batch: list[EventRecord] = []
            try:
                item = self._q.get(timeout=0.25)
                if item is None:
                    done = True
                else:
                    batch.append(item)
                while True:
                    item = self._q.get_nowait()
                    if item is None:
                        done = True
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            if batch:
                try:
                    with self.store.session() as s:
                        record_events(s, batch)
                except Exception as exc:  # noqa: BLE001 — events are a record: losing a batch must not stop the scheduler
                    logger.error("could not record {} schedule events: {}", len(batch), exc)

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=30)


@dataclass
class _JobInfo:
    robot: str
    rule_index: int
    trigger: RuleTrigger
    time_limit_s: float | None
    unit: str | None = None


@dataclass
class SchedulerService:
    """Builds and runs the APScheduler jobs of every registered schedule (one per database)."""

    settings: Settings
    store: Store
    executor: Executor
    poll_seconds: float = POLL_SECONDS
    on_fire: Callable[[str, datetime, datetime], None] | None = (
        None  # (robot, planned, actual) for benchmarks
    )
    notify: NotifyConfig | None = None  # configs/notify.yaml, loaded (and checked) by run_scheduler
    tz: ZoneInfo = field(init=False)
    calendar: OfficeCalendar = field(init=False)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.settings.timezone)
        self.calendar = OfficeCalendar(self.settings.calendar)
        self.events = EventLog(self.store)
        self._jobs: dict[str, _JobInfo] = {}
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        self._fingerprint: tuple[Any, ...] | None = None
        self._paused: frozenset[str] = frozenset()
        self.schedules: list[RobotSchedule] = []
        workers = 32 if self.executor.blocking else 4
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self.scheduler = BackgroundScheduler(
            timezone=self.tz,
            executors={"default": self._pool},
            job_defaults={"max_instances": 1, "coalesce": True},
        )
        self.scheduler.add_listener(
            self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Record firings missed while no scheduler ran, build the jobs, start firing."""
        with self.store.session() as s:
            since = last_event_at(s)
        self.events.add("*", "scheduler_started", detail=f"executor={self.executor.name}")
        self.rebuild(not_before=since)
        if since is not None:
            self._record_downtime_misses(since)
        self.scheduler.add_job(
            self._poll,
            "interval",
            seconds=self.poll_seconds,
            id="_dxrpa_poll",
            max_instances=1,
            coalesce=True,
        )
        if self.notify is not None:
            ticker = NotifyTicker(self.settings, self.store, self.notify)
            self.scheduler.add_job(
                ticker.tick,
                "interval",
                seconds=NOTIFY_SECONDS,
                id="_dxrpa_notify",
                max_instances=1,
                coalesce=True,
            )
        self.scheduler.start()
        logger.info("scheduler started: {} jobs, executor {}", len(self._jobs), self.executor.name)

    def stop(self, grace_s: float = 30.0) -> None:
        """Stop firing; running robots get SIGTERM and finish their current item."""
        self.scheduler.shutdown(wait=False)
        self.executor.shutdown(grace_s)
        self._pool._pool.shutdown(wait=True)  # jobs return once their child processes ended
        self.events.add("*", "scheduler_stopped")
        self.events.close()

    # ------------------------------------------------------------------ jobs

    def rebuild(self, not_before: datetime | None = None) -> None:
        """Reload the calendar and every registered schedule into APScheduler.

        A firing missed within its grace time runs, but never one before ``not_before`` (the
        previous scheduler's last activity at start; the rebuild time afterwards).
        """
        with self.store.session() as s:
            self.calendar = load_calendar(self.settings.calendar, s)
            self._fingerprint = _fingerprint(s)
        self.schedules = load_schedules(self.store, self.settings)
        self._paused = frozenset(x.robot for x in self.schedules if x.paused)
        for job_id in list(self._jobs):
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)
        self._jobs.clear()
        default_grace = self.settings.scheduler.misfire_grace_seconds
        for sched in self.schedules:
            if sched.problem:
                self.events.add(sched.robot, "error", detail=f"schedule not loaded: {sched.problem}")
                continue
            for idx, rule in enumerate(sched.rules):
                if idx in sched.rule_problems:
                    detail = f"schedule rule not loaded: {sched.rule_problems[idx]}"
                    self.events.add(sched.robot, "error", rule=idx, detail=detail)
                    continue
                grace = rule.misfire_grace_seconds or default_grace
                trigger = RuleTrigger(rule, self.calendar, self.settings.timezone, timedelta(seconds=grace))
                trigger.not_before = not_before
                job_id = f"{sched.robot}#{idx}"
                self._jobs[job_id] = _JobInfo(sched.robot, idx, trigger, sched.time_limit_s, rule.unit)
                self.scheduler.add_job(
                    self._fire,
                    trigger,
                    args=(job_id,),
                    id=job_id,
                    name=job_id,
                    misfire_grace_time=grace,
                    coalesce=rule.coalesce,
                    max_instances=1,
                    replace_existing=True,
                )
        logger.info("schedules rebuilt: {} robots, {} rules", len(self.schedules), len(self._jobs))

    def _record_downtime_misses(self, since: datetime) -> None:
        """Firings between the last recorded activity and the grace window never ran: record them."""
        now = datetime.now(self.tz)
        since = max(since, now - MAX_MISSED_LOOKBACK)
        for info in self._jobs.values():
            grace = timedelta(seconds=info.trigger.lookback.total_seconds())
            for f in firings_between(
                info.trigger.rule, self.calendar, since, now - grace, self.settings.timezone
            ):
                kind = "misfired" if f.runs else "skipped_closed"
                detail = (
                    tr("スケジューラが停止していました", "the scheduler was not running")
                    if f.runs
                    else f.reason
                )
                self.events.add(
                    info.robot, kind, rule=info.rule_index, planned_at=f.when, detail=detail or ""
                )

    def _fire(self, job_id: str) -> None:
        info = self._jobs.get(job_id)
        if info is None:
            return
        now = datetime.now(self.tz)
        firing = info.trigger.current_firing(now)
        robot, rule = info.robot, info.rule_index
        if self.on_fire is not None:
            self.on_fire(robot, firing.when, now)
        if not firing.runs:
            self.events.add(
                robot, "skipped_closed", rule=rule, planned_at=firing.planned, detail=firing.reason or ""
            )
            return
        if self._is_paused(robot):
            self.events.add(robot, "skipped_paused", rule=rule, planned_at=firing.when)
            return
        detail = ""
        if firing.kind == "moved":
            detail = f"moved from {firing.planned.isoformat()} ({firing.reason})"
        run_id = new_run_id(self.settings.timezone)
        order = RunOrder(robot, run_id, "schedule", firing.when, info.time_limit_s, rule, info.unit)
        self._submit(order, detail)

    def _submit(self, order: RunOrder, detail: str = "") -> None:
        robot, key = order.robot, order.lock_key  # one run per robot, or per robot and 区 (shared)
        if order.unit:
            detail = f"{tr('区', 'unit')} {order.unit} {detail}".strip()
        if self.executor.blocking:
            with self._running_lock:
                if key in self._running:
                    self.events.add(
                        robot,
                        "skipped_running",
                        rule=order.rule,
                        planned_at=order.planned_at,
                        detail=tr("前回の実行がまだ終わっていません", "the previous run is still going"),
                    )
                    return
                self._running.add(key)
        try:
            self.events.add(
                robot,
                "fired",
                rule=order.rule,
                planned_at=order.planned_at,
                run_id=order.run_id,
                detail=f"{order.trigger} {detail}".strip(),
            )
            if self.executor.blocking:
                self.events.add(
                    robot, "run_started", rule=order.rule, planned_at=order.planned_at, run_id=order.run_id
                )
            result = self.executor.submit(order)
            kind = "run_finished" if self.executor.blocking else result.outcome
            self.events.add(
                robot,
                kind,
                rule=order.rule,
                planned_at=order.planned_at,
                run_id=order.run_id,
                detail=f"{result.outcome} {result.detail}".strip(),
            )
        except Exception as exc:  # noqa: BLE001 — one robot's failure must not stop the scheduler: logged and recorded
            logger.opt(exception=exc).error("run of {} could not be started", robot)
            self.events.add(
                robot, "error", rule=order.rule, run_id=order.run_id, detail=f"{type(exc).__name__}: {exc}"
            )
        finally:
            if self.executor.blocking:
                with self._running_lock:
                    self._running.discard(key)

    def _is_paused(self, robot: str) -> bool:
        """From memory: the poll refreshes it (the fingerprint lists paused robots)."""
        return robot in self._paused

    def _on_event(self, event: JobEvent) -> None:
        info = self._jobs.get(event.job_id)
        if info is None:
            return
        if event.code == EVENT_JOB_MISSED:
            assert isinstance(event, JobExecutionEvent)
            f = info.trigger.firing_at(event.scheduled_run_time)
            if not f.runs:
                self.events.add(
                    info.robot,
                    "skipped_closed",
                    rule=info.rule_index,
                    planned_at=f.planned,
                    detail=f.reason or "",
                )
                return
            self.events.add(
                info.robot,
                "misfired",
                rule=info.rule_index,
                planned_at=event.scheduled_run_time,
                detail=tr("猶予時間を過ぎました", "beyond misfire_grace_time"),
            )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            still = tr("前回の実行がまだ終わっていません", "the previous run is still going")
            self.events.add(info.robot, "skipped_running", rule=info.rule_index, detail=still)
        elif event.code == EVENT_JOB_ERROR:
            assert isinstance(event, JobExecutionEvent)
            self.events.add(info.robot, "error", rule=info.rule_index, detail=repr(event.exception))

    # ------------------------------------------------------------------ polling

    def _poll(self) -> None:
        """Pick up ``--now`` requests and rebuild when robots/closures changed."""
        try:
            with self.store.session() as s:
                fingerprint = _fingerprint(s)
                paused = frozenset(paused_robots(s))
                requests = take_run_requests(s)
            if fingerprint != self._fingerprint:
                self.rebuild(not_before=datetime.now(self.tz))
            self._paused = paused
            for req in requests:
                order = RunOrder(req.robot, req.run_id, "now", utcnow(), self._time_limit(req.robot))
                self.scheduler.add_job(
                    self._submit, args=(order,), id=f"now-{req.run_id}", misfire_grace_time=None
                )
        except Exception as exc:  # noqa: BLE001 — the next poll tries again
            logger.warning("scheduler poll failed: {}", exc)

    def _time_limit(self, robot: str) -> float | None:
        for sched in self.schedules:
            if sched.robot == robot:
                return sched.time_limit_s
        return None


def _fingerprint(s: Session) -> tuple[Any, ...]:
    """Robots registered or approved, pauses and closures: the jobs are rebuilt when it changes."""
    return (*schedule_fingerprint(s), *approval_fingerprint(s))


def run_scheduler(
    settings: Settings,
    store: Store,
    *,
    standby: bool = False,
    stop: threading.Event | None = None,
    target: str = DEFAULT_TARGET,
    on_wait: Callable[[str], None] | None = None,
) -> None:
    """``dxrpa scheduler run``: take the lock (or wait as standby), run until ``stop`` or lock loss."""
    stop = stop or threading.Event()
    notify = load_for(settings)  # a bad configs/notify.yaml stops the start, before the lock
    lock = SchedulerLock(store, settings.scheduler)
    if standby:
        if not lock.wait(stop, on_wait):
            return
    else:
        lock.acquire()
    service: SchedulerService | None = None
    try:
        service = SchedulerService(settings, store, make_executor(settings, target), notify=notify)
        service.start()
        while not stop.is_set() and not lock.lost.is_set():
            stop.wait(0.5)
    finally:
        if service is not None:
            service.stop()
        lock.release()
    if lock.lost.is_set():
        lock_lost(settings, store, lock.holder)
        raise LockHeld(
            tr("スケジューラのロックを失いました", "the scheduler lock was lost to another process")
        )


def enqueue_now(settings: Settings, robot_name: str, *, requested_by: str = "") -> str:
    """``dxrpa run NAME --now``: queue one run through the scheduler's queue; returns its run_id.

    With ``executor = "procrastinate"`` the run is deferred straight to the workers; with the
    local executor it is written to ``run_requests`` and the scheduler process starts it within
    a few seconds (it must be running: see :func:`scheduler_alive`).
    """
    store = Store(settings.db_url, key_dir=settings.var_dir)
    try:
        store.upgrade()
        with store.session() as s:  # unknown or not approved: refused before anything is queued
            production_version(s, get_robot(s, robot_name))
        run_id = new_run_id(settings.timezone)
        if settings.scheduler.executor == "procrastinate":
            from dxrpa.scheduler.queue import defer_run, open_app

            app = open_app(settings)
            try:
                limit = None
                for sched in load_schedules(store):
                    if sched.robot == robot_name:
                        limit = sched.time_limit_s
                if defer_run(app, RunOrder(robot_name, run_id, "now", utcnow(), limit)) is None:
                    raise LockHeld(
                        tr(
                            f"'{robot_name}' の実行は既に待機中です",
                            f"a run of '{robot_name}' is already waiting",
                        ),
                        hint=tr("dxrpa schedule list で確認してください", "see dxrpa schedule list"),
                    )
            finally:
                app.close()
        else:
            with store.session() as s:
                add_run_request(s, robot_name, run_id, requested_by)
        return run_id
    finally:
        store.dispose()


def scheduler_alive(settings: Settings, store: Store) -> bool:
    """Whether a scheduler holds the lock now (SQLite lock row with a fresh heartbeat)."""
    if not store.is_sqlite:
        from sqlalchemy import text

        with store.engine.connect() as c:
            n = c.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k"),
                {"k": 0x6478_7270_6101 & 0xFFFFFFFF},
            ).scalar()
        return bool(n)
    with store.session() as s:
        row = lock_holder(s, LOCK_NAME)
    stale = timedelta(seconds=settings.scheduler.lock_stale_seconds)
    return row is not None and row.heartbeat_at > utcnow() - stale
