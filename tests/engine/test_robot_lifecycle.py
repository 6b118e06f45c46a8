"""Issue 16: disable, enable and archive a robot — audited; a disabled or archived robot refuses to
run (a Japanese message, exit DISABLED) and the scheduler skips it; archiving keeps its history
and ledger rows; enabling makes it run again (real Chromium against the sample app)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dxrpa.cli import main
from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.errors import ExitCode
from dxrpa.scheduler.service import load_schedules
from dxrpa.store import Store
from dxrpa.store.ledger_tables import LedgerEntry
from dxrpa.store.schedule_repo import paused_robots
from dxrpa.store.tables import AuditRow, Robot, Run


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_disable_archive_enable(
    robot_env: Path, sample_app: SampleApp, capsys: pytest.CaptureFixture[str]
) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(2, seed=21))
    assert main(["robots", "register", "robots/juminhyo_entry.yaml", "--yes"]) == 0
    assert main(["run", "juminhyo_entry", "--limit", "1"]) == 0
    store = Store(load_settings().db_url)
    runs, ledger = _count(store, Run), _count(store, LedgerEntry)
    assert ledger == 1
    capsys.readouterr()

    assert main(["robots", "disable", "juminhyo_entry"]) == 0
    assert "停止中" in capsys.readouterr().out
    assert main(["run", "juminhyo_entry"]) == ExitCode.DISABLED
    assert int(ExitCode.DISABLED) == 13  # the documented code
    err = capsys.readouterr().err
    assert "停止中のため実行できません" in err and "dxrpa robots enable juminhyo_entry" in err
    assert "Traceback" not in err
    assert main(["run", "juminhyo_entry", "--dry-run"]) == ExitCode.DISABLED
    assert _count(store, Run) == runs  # refused before a run row is written
    with store.session() as s:  # the scheduler skips it (the same lists the service polls)
        assert paused_robots(s) == ["juminhyo_entry"]
    assert [x.paused for x in load_schedules(store)] == [True]
    assert main(["robots", "disable", "juminhyo_entry"]) == 0
    assert "すでに" in capsys.readouterr().out  # no second audit row

    assert main(["robots", "archive", "juminhyo_entry"]) == 0
    assert main(["run", "juminhyo_entry"]) == ExitCode.DISABLED
    assert "アーカイブ済み" in capsys.readouterr().err
    assert (_count(store, Run), _count(store, LedgerEntry)) == (runs, ledger)  # history kept
    assert main(["robots", "list"]) == 0
    assert "(アーカイブ" in capsys.readouterr().out  # the name cell may wrap at 80 columns
    assert main(["runs", "list", "--robot", "juminhyo_entry"]) == 0

    assert main(["robots", "enable", "juminhyo_entry"]) == 0
    with store.session() as s:
        assert paused_robots(s) == []
        assert s.scalar(select(Robot.state)) == "active"
        audit = [(r.action, r.detail.get("from"), r.detail.get("to")) for r in s.scalars(select(AuditRow))]
    assert [a for a in audit if a[0] in ("robot.disable", "robot.archive", "robot.enable")] == [
        ("robot.disable", "active", "disabled"),
        ("robot.archive", "disabled", "archived"),
        ("robot.enable", "archived", "active"),
    ]
    assert main(["run", "juminhyo_entry"]) == 0  # runs again: the second row
    assert len(sample_app.applications()) == 2
    assert main(["robots", "disable", "nope"]) == ExitCode.USAGE
    store.dispose()
