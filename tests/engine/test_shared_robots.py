"""Issue 15: one robot definition run for several 区 (``shared:``) through the real CLI — per-区 data,
work-item keys that never collide between 区, per-区 secrets with the shared fallback, ledger rows
counted for each 区's 課, and the report showing one robot across N 区."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from dxrpa.cli import main
from dxrpa.engine.secrets import FileSecretStore, resolve_secrets
from dxrpa.errors import ExitCode
from tests.engine.shared_units import ORG, ROBOT, write_shared_home


@pytest.fixture
def shared_home(dx_home: Path) -> Path:
    write_shared_home(dx_home)
    assert main(["robots", "register", "robots/tennyu.yaml"]) == 0
    assert main(["robots", "approve", "tennyu"]) == 0
    return dx_home


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "var" / "dxrpa.db")


@pytest.mark.slow
def test_one_robot_runs_for_each_unit_exactly_once(
    shared_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "tennyu", "--unit", "北区"]) == 0
    assert main(["run", "tennyu", "--unit", "中央区"]) == 0  # the same 受付番号 A001: its own item
    assert main(["run", "tennyu", "--unit", "北区"]) == 0  # nothing left to do for 北区
    out = capsys.readouterr().out
    assert "前回までに完了 2 件" in out
    with _db(shared_home) as db:
        items = sorted(db.execute("select key, status, outputs from work_items"))
        ledger = sorted(
            db.execute("select department, unit, items_succeeded, saved_minutes from ledger_entries")
        )
        runs = sorted(db.execute("select unit, department from runs"))
    assert [(k, s) for k, s, _ in items] == [
        ("中央区/A001", "done"),
        ("北区/A001", "done"),
        ("北区/A002", "done"),
    ]
    assert [json.loads(o) for _k, _s, o in items] == [
        {"where": "中央区"},
        {"where": "北区"},
        {"where": "北区"},
    ]
    assert ledger == [
        ("中央区区民課", "中央区", 1, 6.0),
        ("北区区民課", "北区", 0, 0.0),
        ("北区区民課", "北区", 2, 12.0),
    ]
    assert runs == [("中央区", "中央区区民課"), ("北区", "北区区民課"), ("北区", "北区区民課")]
    assert main(["report", "--fy", _fy(), "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "共有ロボット" in text and "tennyu" in text and "2 区" in text
    assert "北区区民課" in text and "中央区区民課" in text
    assert main(["report", "--fy", _fy(), "-o", "r.xlsx"]) == 0
    assert main(["report", "--fy", _fy(), "--format", "html", "-o", "r.html"]) == 0
    ws = openpyxl.load_workbook(shared_home / "r.xlsx")["共有ロボット"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2) if r[0].value is not None]
    body = [r for r in rows if r[0] == "tennyu"]
    assert [r[3:8] for r in body] == [
        ["北区", "北区区民課", 2, 2, 0.2],
        ["中央区", "中央区区民課", 1, 1, 0.1],
        [None, None, 3, 3, 0.3],
    ]
    html = (shared_home / "r.html").read_text(encoding="utf-8")
    assert "共有ロボット（区ごと）" in html and "中央区区民課" in html


def _fy() -> str:
    from dxrpa.ledger import fiscal_year_of_date, today_local

    return str(fiscal_year_of_date(today_local("Asia/Tokyo")))


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["run", "tennyu", "--unit", "南区"], ExitCode.USAGE, ["南区", "北区、中央区"]),
        (["run", "tennyu"], ExitCode.USAGE, ["--unit", "2 区"]),
        (["run", "tennyu", "--unit", "北区", "--now"], ExitCode.USAGE, ["--now"]),
    ],
)
def test_unknown_or_missing_unit_is_named_and_runs_nothing(
    shared_home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: ExitCode, words: list[str]
) -> None:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for w in words:
        assert w in err, err
    with _db(shared_home) as db:
        assert db.execute("select count(*) from runs").fetchone() == (0,)
        assert db.execute("select count(*) from work_items").fetchone() == (0,)


def test_a_unit_whose_department_is_not_in_the_tree_is_named(
    shared_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shared_home / "configs" / "org.yaml").write_text("北区:\n  区民部: [北区市民課]\n", encoding="utf-8")
    assert main(["run", "tennyu", "--unit", "北区"]) == ExitCode.DEFINITION
    err = capsys.readouterr().err
    assert "区民課" in err and "北区市民課" in err and "Traceback" not in err
    with _db(shared_home) as db:
        assert db.execute("select count(*) from runs").fetchone() == (0,)


def test_unit_paths_need_shared(dx_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dx_home / "robots").mkdir()
    text = ROBOT.replace("shared: [北区, 中央区]\n", "")
    (dx_home / "robots" / "tennyu.yaml").write_text(text, encoding="utf-8")
    assert main(["robots", "validate", "robots/tennyu.yaml"]) == ExitCode.DEFINITION
    assert "shared" in capsys.readouterr().err


def test_a_units_own_secret_wins_over_the_shared_one(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    store = FileSecretStore(tmp_path, env)
    store.set("APP_PASSWORD", "shared-pass")
    store.set("APP_PASSWORD@北区", "kita-pass")
    kita = resolve_secrets("tennyu", ["APP_PASSWORD"], var_dir=tmp_path, env=env, unit="北区")
    chuo = resolve_secrets("tennyu", ["APP_PASSWORD"], var_dir=tmp_path, env=env, unit="中央区")
    assert kita["APP_PASSWORD"] == "kita-pass" and chuo["APP_PASSWORD"] == "shared-pass"


def test_a_units_department_takes_a_target_before_its_first_run(
    shared_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no run yet: the 課 of each 区 has a robot through the shared one
    assert main(["targets", "set", "北区区民課", _fy(), "10h"]) == 0
    assert main(["targets", "set", "中央区区民課", _fy(), "5h"]) == 0
    capsys.readouterr()
    assert main(["org", "check"]) == 0
    out = capsys.readouterr().out
    assert "ロボットなし" not in out and "2 課、目標設定 2/2 課" in out, out
    # a 課 no robot runs for is still refused (without --force)
    (shared_home / "configs" / "org.yaml").write_text(ORG + "南区:\n  区民部（南）: [南区区民課]\n", "utf-8")
    assert main(["targets", "set", "南区区民課", _fy(), "5h"]) == ExitCode.USAGE
    assert "ロボットも実行実績もない" in capsys.readouterr().err
    with _db(shared_home) as db:
        assert sorted(db.execute("select department from ledger_targets")) == [
            ("中央区区民課",),
            ("北区区民課",),
        ]
