"""Issue 15: a shared robot has one schedule rule per 区 (``unit:``). The scheduler runs each as
``dxrpa run NAME --unit 区`` does — per-区 data and work-item keys, the 区's 課 on the run and its
ledger rows — through a real child process and a real SQLite store; a 区 missing from ``shared:``
or from the organisation tree is named with the robot file, the rule and what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dxrpa.cli import main
from dxrpa.config import Settings
from dxrpa.errors import ExitCode
from dxrpa.scheduler.executor import LocalExecutor
from dxrpa.scheduler.service import SchedulerService, load_schedules
from dxrpa.store.base import Store
from dxrpa.store.schedule_repo import list_events
from tests.engine.shared_units import ORG, write_shared_home
from tests.engine.shared_units import ROBOT as SHARED_ROBOT

from .conftest import wait_for

ROBOT = (
    SHARED_ROBOT
    + """\
schedule:
  - cron: "* * * * * *"
    unit: 北区
  - cron: "* * * * * *"
    unit: 中央区
"""
)


def _home(settings: Settings, robot: str = ROBOT, org: str = ORG) -> Path:
    return write_shared_home(settings.home, robot, org)


def _register(home: Path) -> None:
    assert main(["robots", "register", "robots/tennyu.yaml", "--yes"]) == 0  # schedules start
    assert main(["robots", "approve", "tennyu"]) == 0


def test_each_units_rule_runs_the_robot_for_that_unit(sched_settings: Settings, store: Store) -> None:
    home = _home(sched_settings)
    _register(home)
    service = SchedulerService(sched_settings, store, LocalExecutor(sched_settings), poll_seconds=0.5)
    service.start()
    db = home / "var" / "dxrpa.db"

    def both_done() -> bool:
        with sqlite3.connect(db) as c:
            return bool(c.execute("select count(*) from work_items where status = 'done'").fetchone() == (3,))

    try:
        assert wait_for(both_done, 60)
    finally:
        service.stop(grace_s=10)
    with sqlite3.connect(db) as c:
        items = sorted(c.execute("select key, status from work_items"))
        runs = set(c.execute("select trigger, unit, department from runs where items_done > 0"))
        ledger = set(c.execute("select department, unit from ledger_entries where items_succeeded > 0"))
    assert items == [("中央区/A001", "done"), ("北区/A001", "done"), ("北区/A002", "done")]
    assert runs == {("schedule", "北区", "北区区民課"), ("schedule", "中央区", "中央区区民課")}
    assert ledger == {("北区区民課", "北区"), ("中央区区民課", "中央区")}
    with store.session() as s:
        fired = [e.detail for e in list_events(s, robot="tennyu", kinds=["fired"])]
    assert any("北区" in d for d in fired) and any("中央区" in d for d in fired)


def test_a_unit_missing_from_the_tree_is_named_and_not_scheduled(
    sched_settings: Settings, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(sched_settings, org="北区:\n  区民部: [北区区民課]\n")
    _register(home)
    (sched,) = load_schedules(store, sched_settings)
    assert list(sched.rule_problems) == [1]  # 北区 is fine; 中央区 is not in the tree
    problem = sched.rule_problems[1]
    assert "robots/tennyu.yaml" in problem and "schedule[1].unit 中央区" in problem
    assert "dxrpa org add" in problem
    service = SchedulerService(sched_settings, store, LocalExecutor(sched_settings), poll_seconds=0.5)
    service.rebuild()
    assert [(j.unit, j.rule_index) for j in service._jobs.values()] == [("北区", 0)]
    service.events.close()
    with store.session() as s:
        errors = [e.detail for e in list_events(s, robot="tennyu", kinds=["error"])]
    assert any("中央区" in d and "dxrpa org add" in d for d in errors), errors
    capsys.readouterr()
    assert main(["schedule", "list"]) == 0
    out = capsys.readouterr().out
    assert "schedule[1].unit 中央区" in out


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ('  - cron: "0 8 * * *"\n    unit: 南区\n', ["schedule[0].unit", "南区", "北区、中央区"]),
        ('  - cron: "0 8 * * *"\n', ["schedule[0].unit", "unit: 北区"]),
    ],
)
def test_a_rule_for_a_unit_not_shared_or_without_a_unit_is_refused(
    sched_settings: Settings, capsys: pytest.CaptureFixture[str], schedule: str, words: list[str]
) -> None:
    robot = ROBOT.split("schedule:\n")[0] + "schedule:\n" + schedule
    _home(sched_settings, robot=robot)
    assert main(["robots", "register", "robots/tennyu.yaml"]) == ExitCode.DEFINITION
    err = capsys.readouterr().err
    assert "tennyu.yaml" in err and "Traceback" not in err
    for w in words:
        assert w in err, err


def test_unit_is_refused_for_a_robot_that_is_not_shared(
    sched_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    robot = ROBOT.replace("shared: [北区, 中央区]\n", "").replace("{{ unit }}", "北区")
    robot = robot.replace("{{ run.unit }}", "x")
    _home(sched_settings, robot=robot)
    assert main(["robots", "register", "robots/tennyu.yaml"]) == ExitCode.DEFINITION
    err = capsys.readouterr().err
    assert "schedule[0].unit" in err and "shared" in err, err
