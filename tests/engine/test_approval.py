"""Issue 12, "authors affect production": a version waits for approval before it runs for real,
is scheduled or counted, and a dry run never submits — real CLI, real Chromium, real sample app."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.errors import ExitCode
from dxrpa.scheduler.service import load_schedules
from dxrpa.store import Store, audit_repo
from dxrpa.store.ledger_tables import LedgerEntry
from dxrpa.store.schedule_tables import RunRequest
from dxrpa.store.tables import AuditRow, Robot, RobotVersion, Run
from tests.engine.test_bad_input import robot_text, write_robot

ROBOT = "robots/juminhyo_entry.yaml"


def _runs(store: Store) -> list[tuple[int, bool, bool]]:
    """(version number, dry run, test run) of every run, oldest first."""
    with store.session() as s:
        rows = s.execute(
            select(RobotVersion.version, Run.dry_run, Run.test)
            .join(RobotVersion, RobotVersion.id == Run.robot_version_id)
            .order_by(Run.created_at)
        )
        return [(v, bool(d), bool(t)) for v, d, t in rows]


def _ledger(store: Store) -> list[tuple[int, float, str]]:
    with store.session() as s:
        entries = s.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
        return [(e.robot_version, e.gross_minutes, e.department) for e in entries]


def _rules(store: Store) -> dict[str, list[str]]:
    return {x.robot: [str(r.cron) for r in x.rules] for x in load_schedules(store)}


def test_pending_version_only_dry_runs_until_approved_and_an_edit_waits_again(
    robot_env: Path, sample_app: SampleApp, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = juminhyo_rows(3, seed=21)
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows[:2])
    store = Store(load_settings().db_url)
    store.upgrade()
    assert main(["robots", "register", "--pending", ROBOT]) == 0
    assert "承認待ち" in capsys.readouterr().out

    # production in every form is refused, with who can approve and how; nothing is queued or run
    for args in (
        ["run", "juminhyo_entry"],
        ["run", "juminhyo_entry", "--test"],
        ["run", "juminhyo_entry", "--now"],
    ):
        assert main(args) == ExitCode.USAGE, args
        err = capsys.readouterr().err
        assert "承認された版がない" in err and "運用者か管理者" in err, err
        assert "dxrpa robots approve juminhyo_entry" in err, err
    with store.session() as s:
        assert s.scalars(select(RunRequest)).all() == []
    assert _runs(store) == [] and sample_app.applications() == []
    assert _rules(store) == {}  # the scheduler builds no job from an unapproved schedule

    # a dry run is allowed and enters nothing
    assert main(["run", "juminhyo_entry", "--dry-run"]) == 0
    assert sample_app.applications() == []

    assert main(["robots", "pending"]) == 0
    assert "juminhyo_entry" in capsys.readouterr().out
    assert main(["robots", "approve", "juminhyo_entry"]) == 0
    assert "承認しました" in capsys.readouterr().out
    assert main(["robots", "pending"]) == 0
    assert "承認待ちの版はありません" in capsys.readouterr().out
    assert _rules(store) == {"juminhyo_entry": ["0 8 * * *"]}

    assert main(["run", "juminhyo_entry"]) == 0
    assert len(sample_app.applications()) == 2

    # an author's edit (new schedule, bigger baseline) changes nothing in production until approved
    edited = robot_text(
        **{
            'cron: "0 8 * * *"': 'cron: "30 9 * * *"',
            "minutes_per_item: 6": "minutes_per_item: 60",
            "department: 市民課": "department: 税務課",
        }
    )
    write_robot(robot_env, edited)
    assert main(["robots", "register", "--pending", ROBOT]) == 0
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert main(["run", "juminhyo_entry"]) == 0
    assert len(sample_app.applications()) == 3
    assert _rules(store) == {"juminhyo_entry": ["0 8 * * *"]}
    assert main(["run", "juminhyo_entry", "--dry-run", "--limit", "1"]) == 0  # the dry run tries the edit
    capsys.readouterr()
    assert main(["robots", "show", "juminhyo_entry"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0].startswith("  v1") and f"承認: {audit_repo.current_actor()}" in shown[0], shown[:2]
    assert shown[1].startswith("* v2") and shown[1].endswith("承認待ち"), shown[:2]

    assert _runs(store) == [(1, True, False), (1, False, False), (1, False, False), (2, True, False)]
    # ledger rows only for the two production runs, both with v1's baseline: 2×6+10, 1×6+10
    assert _ledger(store) == [(1, 22.0, "市民課"), (1, 16.0, "市民課")]

    assert main(["robots", "approve", "juminhyo_entry", "--version", "2"]) == 0
    assert _rules(store) == {"juminhyo_entry": ["30 9 * * *"]}
    with store.session() as s:
        assert s.scalars(select(Robot.department)).one() == "税務課"  # the approved version names it now
        approvals = [
            (r.actor, r.detail["version"], r.detail["via"])
            for r in s.scalars(
                select(AuditRow).where(AuditRow.action == "robot.approve").order_by(AuditRow.id)
            )
        ]
        registered = [
            r.detail["pending"]
            for r in s.scalars(select(AuditRow).where(AuditRow.action.like("robot.%")))
            if r.action != "robot.approve"
        ]
    me = audit_repo.current_actor()
    assert approvals == [(me, 1, "cli"), (me, 2, "cli")]
    assert registered == [True, True]
    store.dispose()


def test_cli_register_approves_by_default_and_audits_the_os_user(robot_env: Path) -> None:
    assert main(["robots", "register", ROBOT]) == 0
    store = Store(load_settings().db_url)
    with store.session() as s:
        version = s.scalars(select(RobotVersion)).one()
        rows = [(r.actor, r.action) for r in s.scalars(select(AuditRow).order_by(AuditRow.id))]
    me = audit_repo.current_actor()
    assert version.approved_by == me and version.approved_at is not None
    assert rows == [(me, "robot.register"), (me, "robot.approve")]
    # approving again changes nothing; a pending version older than the live one cannot be approved
    assert main(["robots", "approve", "juminhyo_entry"]) == 0
    for title, flags in (("(改)", ["--pending"]), ("(改2)", [])):
        write_robot(
            robot_env, robot_text(**{"title: 住民票交付申請の入力": f"title: 住民票交付申請の入力{title}"})
        )
        assert main(["robots", "register", *flags, ROBOT]) == 0
    assert main(["robots", "approve", "juminhyo_entry", "--version", "2"]) == ExitCode.USAGE
    assert main(["robots", "approve", "juminhyo_entry", "--version", "9"]) == ExitCode.USAGE
    with store.session() as s:
        approved = s.scalars(select(RobotVersion.version).where(RobotVersion.approved_at.is_not(None))).all()
        assert sorted(approved) == [1, 3]
        assert len(s.scalars(select(AuditRow).where(AuditRow.action == "robot.approve")).all()) == 2
    store.dispose()


def test_dry_run_refuses_a_robot_without_submit_step(
    robot_env: Path, sample_app: SampleApp, capsys: pytest.CaptureFixture[str]
) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(2, seed=4))
    write_robot(robot_env, robot_text(**{"dialog: accept, submit: true}": "dialog: accept}"}))
    assert main(["robots", "register", ROBOT]) == 0
    capsys.readouterr()
    assert main(["run", "juminhyo_entry", "--dry-run"]) == ExitCode.DEFINITION
    err = capsys.readouterr().err
    assert "juminhyo_entry" in err and "submit: true" in err and "--no-submit-steps-ok" in err, err
    assert _runs(Store(load_settings().db_url)) == []
    assert sample_app.applications() == []
    # told that it submits nothing, it runs everything: here that does enter (what the guard prevents)
    assert main(["run", "juminhyo_entry", "--dry-run", "--no-submit-steps-ok", "--limit", "1"]) == 0
    assert len(sample_app.applications()) == 1


def test_dry_run_stops_after_a_submit_nested_in_a_block(robot_env: Path, sample_app: SampleApp) -> None:
    """The steps after the block holding the submit check an entry that never happened."""
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(1, seed=8))
    nested = (
        "  - if:\n"
        '      condition: "true"\n'
        "      then:\n"
        "        - click: {role: button, name: 登録, dialog: accept, submit: true}\n"
    )
    write_robot(
        robot_env,
        robot_text(**{"  - click: {role: button, name: 登録, dialog: accept, submit: true}\n": nested}),
    )
    assert main(["robots", "register", ROBOT]) == 0
    assert main(["run", "juminhyo_entry", "--dry-run"]) == 0  # the expect: 登録しました after it is not run
    assert sample_app.applications() == []
    assert main(["run", "juminhyo_entry"]) == 0
    assert len(sample_app.applications()) == 1
