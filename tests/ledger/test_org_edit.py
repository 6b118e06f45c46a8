"""Issue 15: editing the organisation tree through the real ``dxrpa org`` entry point — checked
(unique names, no cycles, three levels, a used 課 kept with what to do), atomic and audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from dxrpa.cli import main
from dxrpa.errors import ExitCode
from dxrpa.i18n import set_lang
from dxrpa.orgtree import load_org
from dxrpa.store import Store, audit_repo

from .scenario import build_ledger

ORG = """\
# 組織ファイル（コメントは書き換えても残ります）
市民局:
  市民部:
    - 市民課
    - 福祉課
財政局:
  税務部: [税務課]
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DXRPA_DATABASE_URL", url)
    monkeypatch.delenv("DXRPA_LANG", raising=False)
    monkeypatch.delenv("DXRPA_CONFIG", raising=False)
    store = Store(url)
    store.upgrade()
    build_ledger(store)  # 市民課, 税務課, 福祉課 have robots and ledger rows
    store.dispose()
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "org.yaml").write_text(ORG, encoding="utf-8")
    return tmp_path


def _tree(home: Path) -> list[tuple[str, tuple[str, ...]]]:
    tree = load_org(home / "configs" / "org.yaml")
    assert tree is not None
    return [(u.name, u.path) for u in tree.units]


def _actions(home: Path) -> list[tuple[str, str]]:
    store = Store(f"sqlite:///{home}/cli.db")
    try:
        with store.session() as s:
            return [(r.action, r.subject) for r in audit_repo.list_rows(s) if r.action.startswith("org.")]
    finally:
        store.dispose()


def test_add_move_rename_remove_are_written_and_audited(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["org", "add", "北区"]) == 0
    assert main(["org", "add", "区民部", "--under", "北区"]) == 0
    assert main(["org", "add", "北区区民課", "--under", "区民部"]) == 0
    assert main(["org", "add", "会計課", "--under", "税務部"]) == 0
    assert main(["org", "add", "会計部", "--under", "財政局"]) == 0
    assert main(["org", "move", "会計課", "--under", "会計部"]) == 0
    assert main(["org", "rename", "区民部", "区民生活部"]) == 0  # a 部: no robot or ledger row names it
    assert main(["org", "remove", "北区区民課"]) == 0  # unused 課
    out = capsys.readouterr().out
    assert "「会計課」を 会計部 の下へ移動しました" in out and "[課]" in out
    assert _tree(home) == [
        ("市民局", ()),
        ("市民部", ("市民局",)),
        ("市民課", ("市民局", "市民部")),
        ("福祉課", ("市民局", "市民部")),
        ("財政局", ()),
        ("税務部", ("財政局",)),
        ("税務課", ("財政局", "税務部")),
        ("会計部", ("財政局",)),
        ("会計課", ("財政局", "会計部")),
        ("北区", ()),
        ("区民生活部", ("北区",)),
    ]
    text = (home / "configs" / "org.yaml").read_text(encoding="utf-8")
    assert text.startswith("# 組織ファイル（コメントは書き換えても残ります）\n")
    assert _actions(home) == [
        ("org.add", "北区"),
        ("org.add", "区民部"),
        ("org.add", "北区区民課"),
        ("org.add", "会計課"),
        ("org.add", "会計部"),
        ("org.move", "会計課"),
        ("org.rename", "区民部"),
        ("org.remove", "北区区民課"),
    ]
    assert main(["org", "show"]) == 0
    assert "    会計課  [課]" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["org", "remove", "市民課"], ["市民課", "台帳", "行", "dxrpa org move"]),
        (["org", "rename", "税務課", "新税務課"], ["税務課", "名前を変更できません", "台帳"]),
        (["org", "remove", "市民部"], ["市民部", "下に 2 件", "dxrpa org move"]),
        (["org", "move", "市民局", "--under", "市民部"], ["循環", "市民局"]),
        (
            ["org", "add", "税務課", "--under", "市民部"],
            ["税務課", "すでにあります", "財政局 → 税務部 → 税務課"],
        ),
        (["org", "add", "係", "--under", "市民課"], ["3階層"]),
        (["org", "move", "市民部", "--under", "税務部"], ["3階層"]),
        (["org", "add", "x課", "--under", "存在しない部"], ["存在しない部", "dxrpa org show"]),
        (["org", "rename", "なし", "あり"], ["なし", "ありません"]),
        (["org", "add", "a/b", "--under", "市民部"], ["使えません"]),
    ],
)
def test_bad_edits_are_refused_with_what_to_do_and_write_nothing(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    before = (home / "configs" / "org.yaml").read_bytes()
    assert main(argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for w in words:
        assert w in err, err
    assert (home / "configs" / "org.yaml").read_bytes() == before
    assert not [p for p in (home / "configs").iterdir() if p.name.endswith(".tmp")]
    assert _actions(home) == []


def test_a_cycle_in_the_file_is_named_with_its_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / "configs" / "org.yaml").write_text("市民局:\n  市民部:\n    市民局: [市民課]\n", encoding="utf-8")
    before = (home / "configs" / "org.yaml").read_bytes()
    assert main(["org", "add", "北区"]) == ExitCode.DEFINITION
    err = capsys.readouterr().err
    assert "循環" in err and "org.yaml:3" in err and "Traceback" not in err
    assert (home / "configs" / "org.yaml").read_bytes() == before


def test_english_messages(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DXRPA_LANG", "en")
    try:
        assert main(["org", "remove", "市民課"]) == ExitCode.USAGE
        assert "cannot remove '市民課'" in capsys.readouterr().err
    finally:
        set_lang("ja")


def test_a_target_for_a_department_outside_the_tree_is_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["targets", "set", "観光課", "2026", "10h", "--force"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "観光課" in err and "dxrpa org add 観光課" in err and "Traceback" not in err
    assert main(["targets", "list", "--fy", "2026"]) == 0
    assert "観光課" not in capsys.readouterr().out
    assert main(["org", "add", "観光課", "--under", "市民部"]) == 0
    assert main(["targets", "set", "観光課", "2026", "10h", "--force"]) == 0


def test_ledger_months_follow_the_configured_time_zone(tmp_path: Path) -> None:
    """A run finishing 2026-03-31 16:00 UTC is April (FY2026) in Tokyo, March (FY2025) in New York."""
    from dxrpa.store.ledger_repo import record_human_minutes, record_run
    from dxrpa.store.ledger_tables import LedgerHumanMinutes

    from .scenario import Factory, utc

    store = Store(f"sqlite:///{tmp_path}/tz.db")
    store.upgrade()
    try:
        with store.session() as s:
            f = Factory(s)
            r = f.robot("tz", "時差", "市民課")
            v = f.version(r, 1, mpi=1, mpr=0, rework=0)
            tokyo = record_run(s, f.run("a", r, v, utc(2026, 3, 31, 16), ok=1), v, r, tz="Asia/Tokyo")
            ny = record_run(s, f.run("b", r, v, utc(2026, 3, 31, 16), ok=1), v, r, tz="America/New_York")
            assert tokyo is not None and ny is not None
            assert (tokyo.fiscal_year, tokyo.month) == (2026, 4)
            assert (ny.fiscal_year, ny.month) == (2025, 3)
            record_human_minutes(
                s,
                department="市民課",
                robot_name="tz",
                minutes=5,
                reason="ocr_review",
                source_ref="x",
                at=utc(2026, 3, 31, 16),
                tz="America/New_York",
            )
            row = s.query(LedgerHumanMinutes).one()
            assert (row.fiscal_year, row.month) == (2025, 3)
    finally:
        store.dispose()


def test_an_empty_ku_or_bu_is_not_counted_as_a_department(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["targets", "set", "市民課", "2026", "10h"]) == 0
    assert main(["org", "add", "北区"]) == 0  # an empty 区: no 部 or 課 yet
    assert main(["org", "add", "空き部", "--under", "財政局"]) == 0  # an empty 部 beside 税務部
    tree = load_org(home / "configs" / "org.yaml")
    assert tree is not None and tree.departments == ["市民課", "福祉課", "税務課"]
    capsys.readouterr()
    assert main(["org", "check"]) == 0
    out = capsys.readouterr().out
    assert "3 課、目標設定 2/3 課" in out, out  # 市民課 and 税務課 (scenario)
    assert main(["org", "show"]) == 0
    out = capsys.readouterr().out
    assert "北区  [局・区]" in out and "  空き部  [部]" in out and "（課 3）" in out
    # a 課 added beside 課 is a 課, written so that it reads back as one
    assert main(["org", "add", "北区区民部", "--under", "北区"]) == 0
    assert main(["org", "add", "北区区民課", "--under", "北区区民部"]) == 0
    tree = load_org(home / "configs" / "org.yaml")
    assert tree is not None and tree.departments[-1] == "北区区民課"
    # an empty 区 is no 課: no target for it
    assert main(["targets", "set", "空き部", "2026", "10h", "--force"]) == ExitCode.USAGE


def test_a_written_empty_unit_reads_back_as_a_unit_not_a_department(home: Path) -> None:
    (home / "configs" / "org.yaml").write_text(
        "市民局:\n  市民部: [市民課]\n  総務課: null\n北区:\n中央区: {}\n", encoding="utf-8"
    )
    tree = load_org(home / "configs" / "org.yaml")
    assert tree is not None
    assert tree.departments == ["市民課"]  # 総務課: null under a 局 is an empty 部, 北区/中央区 empty 区
    flat = home / "configs" / "flat.yaml"
    flat.write_text("- 市民課\n- 北区: []\n- 税務課\n", encoding="utf-8")
    flat_tree = load_org(flat)
    assert flat_tree is not None and flat_tree.departments == ["市民課", "税務課"]
