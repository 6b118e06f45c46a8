"""The scheduler service with short intervals (6-field cron, seconds first), real child processes."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dxrpa.config import Settings
from dxrpa.engine.registry import approve_robot
from dxrpa.errors import NotApproved
from dxrpa.scheduler.executor import ChildRunner, LocalExecutor, RunOrder
from dxrpa.scheduler.service import SchedulerService, enqueue_now
from dxrpa.store.base import Store, utcnow
from dxrpa.store.schedule_repo import EventRecord, add_closure, list_events, record_events, set_paused

from .conftest import JOB_TARGET, RegisterFn, wait_for
from .jobs import read_log

EVERY_SECOND = '  - cron: "* * * * * *"\n'


@pytest.fixture
def service(sched_settings: Settings, store: Store) -> Iterator[SchedulerService]:
    svc = SchedulerService(sched_settings, store, LocalExecutor(sched_settings, JOB_TARGET), poll_seconds=0.5)
    yield svc
    if svc.scheduler.running:
        svc.stop(grace_s=5)


def ends(settings: Settings, robot: str) -> list[dict[str, object]]:
    return [e for e in read_log(settings.home) if e["robot"] == robot and e["event"] == "end"]


def kinds(store: Store, robot: str) -> list[str]:
    with store.session() as s:
        return [e.kind for e in list_events(s, robot=robot)]


@pytest.mark.slow
def test_fires_records_and_honours_pause_closures_now_and_new_registrations(
    sched_settings: Settings, store: Store, register_robot: RegisterFn, service: SchedulerService
) -> None:
    register_robot("every_sec", EVERY_SECOND)
    register_robot("paused_one", EVERY_SECOND)
    register_robot("office_only", '  - cron: "* * * * * *"\n    days: office\n')
    register_robot("manual")
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    with store.session() as s:
        set_paused(s, "paused_one", True)
        add_closure(s, today, "テスト閉庁")
    service.start()
    assert wait_for(lambda: len(ends(sched_settings, "every_sec")) >= 2, 20), read_log(sched_settings.home)
    register_robot("late_comer", EVERY_SECOND)  # registered while the scheduler runs: picked up by polling
    run_id = enqueue_now(sched_settings, "manual")
    assert wait_for(lambda: len(ends(sched_settings, "late_comer")) >= 1, 20)
    assert wait_for(lambda: len(ends(sched_settings, "manual")) == 1, 20)
    service.stop(grace_s=5)
    manual = ends(sched_settings, "manual")[0]
    assert manual["run_id"] == run_id and manual["trigger"] == "now"
    assert all(e["trigger"] == "schedule" for e in ends(sched_settings, "every_sec"))
    assert ends(sched_settings, "paused_one") == [] and ends(sched_settings, "office_only") == []
    assert {"fired", "run_started", "run_finished"} <= set(kinds(store, "every_sec"))
    assert "skipped_paused" in kinds(store, "paused_one")
    with store.session() as s:
        closed = list_events(s, robot="office_only", kinds=["skipped_closed"])
    assert closed and "テスト閉庁" in closed[0].detail


@pytest.mark.slow
def test_only_approved_schedules_fire_and_an_approval_is_picked_up_while_running(
    sched_settings: Settings, store: Store, register_robot: RegisterFn, service: SchedulerService
) -> None:
    register_robot("live", EVERY_SECOND)
    register_robot("waiting", EVERY_SECOND, approve=False)  # an author's robot
    register_robot("edited")  # approved without a schedule, then an author adds one
    register_robot("edited", EVERY_SECOND, approve=False)
    with pytest.raises(NotApproved, match="dxrpa robots approve waiting"):
        enqueue_now(sched_settings, "waiting")
    service.start()
    assert wait_for(lambda: len(ends(sched_settings, "live")) >= 2, 20), read_log(sched_settings.home)
    assert ends(sched_settings, "waiting") == [] and ends(sched_settings, "edited") == []
    approve_robot(store, "waiting", None, actor="operator1", via="test")
    assert wait_for(lambda: len(ends(sched_settings, "waiting")) >= 1, 20), read_log(sched_settings.home)
    service.stop(grace_s=5)
    assert ends(sched_settings, "edited") == []
    assert {x.robot for x in service.schedules if x.rules} == {"live", "waiting"}


@pytest.mark.slow
def test_no_second_instance_while_a_run_is_going(
    sched_settings: Settings, store: Store, register_robot: RegisterFn, service: SchedulerService
) -> None:
    register_robot("slow", EVERY_SECOND)
    (sched_settings.home / "sleep.json").write_text(json.dumps({"slow": 2.5}))
    service.start()
    assert wait_for(lambda: len(ends(sched_settings, "slow")) >= 2, 30)
    service.stop(grace_s=10)
    log = [e for e in read_log(sched_settings.home) if e["robot"] == "slow"]
    spans: dict[object, list[float]] = {}
    for e in log:
        spans.setdefault(e["run_id"], []).append(float(e["t"]))
    intervals = sorted((min(v), max(v)) for v in spans.values())
    for (_, end1), (start2, _) in itertools.pairwise(intervals):
        assert start2 >= end1, f"two runs of one robot overlapped: {intervals}"
    assert kinds(store, "slow").count("skipped_running") >= 2


def test_missed_within_grace_runs_once_beyond_grace_recorded(
    sched_settings: Settings, store: Store, register_robot: RegisterFn, service: SchedulerService
) -> None:
    tz = ZoneInfo(sched_settings.timezone)
    planned = (datetime.now(tz) - timedelta(seconds=3)).replace(microsecond=0)
    cron = f"{planned.second} {planned.minute} {planned.hour} * * *"  # once a day, 3 s ago
    register_robot("within", f'  - cron: "{cron}"\n    misfire_grace_seconds: 60\n')
    register_robot("beyond", f'  - cron: "{cron}"\n    misfire_grace_seconds: 1\n')
    with store.session() as s:  # a previous scheduler stopped a minute ago
        record_events(s, [EventRecord("*", "scheduler_stopped", at=utcnow() - timedelta(seconds=60))])
    service.start()
    assert wait_for(lambda: len(ends(sched_settings, "within")) == 1, 20)
    time.sleep(1.5)
    service.stop(grace_s=5)
    assert len(ends(sched_settings, "within")) == 1  # ran once, late, within its grace
    assert ends(sched_settings, "beyond") == []
    with store.session() as s:
        missed = list_events(s, robot="beyond", kinds=["misfired"])
        fired = list_events(s, robot="within", kinds=["fired"])
    assert len(missed) == 1 and missed[0].planned_at == planned
    assert len(fired) == 1 and fired[0].planned_at == planned


def test_hard_time_limit_stops_a_hung_run(sched_settings: Settings) -> None:
    (sched_settings.home / "sleep.json").write_text(json.dumps({"hung": 60}))
    runner = ChildRunner(sched_settings, JOB_TARGET, term_grace_s=1)
    t0 = time.monotonic()
    result = runner.run(RunOrder("hung", "r" * 32, time_limit_s=1.5))
    assert result.outcome == "timed_out"
    assert time.monotonic() - t0 < 15
    assert runner.running == 0
