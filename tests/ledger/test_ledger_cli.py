"""``dxrpa report`` and ``dxrpa targets``: files written, one-line errors with named exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from dxrpa.cli import main
from dxrpa.errors import ExitCode
from dxrpa.i18n import set_lang
from dxrpa.store import Store, audit_repo

from .scenario import build_ledger


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DXRPA_DATABASE_URL", url)
    monkeypatch.delenv("DXRPA_LANG", raising=False)
    store = Store(url)
    store.upgrade()
    build_ledger(store)
    store.dispose()
    return store


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_report_xlsx_default_name(
    cli_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--fy", "2026"]) == 0
    out = tmp_path / "dxrpa_report_FY2026.xlsx"
    assert out.is_file()
    assert "4.1" in capsys.readouterr().out
    assert load_workbook(out).sheetnames[:2] == ["会議用サマリー", "概要"]
    with cli_store.session() as s:
        rows = audit_repo.list_rows(s)
        assert [(r.action, r.subject, r.detail["format"], r.detail["file"]) for r in rows] == [
            ("report.exported", "FY2026", "xlsx", "dxrpa_report_FY2026.xlsx")
        ]
        assert audit_repo.verify(s).ok


def test_report_formats_and_options(
    cli_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["report", "--fy", "令和8年度", "--department", "市民課", "--format", "html", "-o", "a/c.html"])
        == 0
    )
    assert "市民課" in (tmp_path / "a/c.html").read_text(encoding="utf-8")
    assert main(["report", "--fy", "FY2026", "--format", "csv", "-o", "c.csv"]) == 0
    assert (tmp_path / "c.csv").read_text(encoding="utf-8-sig").count("\n") == 8
    capsys.readouterr()
    assert (
        main(
            [
                "report",
                "--fy",
                "2026",
                "--format",
                "text",
                "--lang",
                "en",
                "--annualize",
                "--as-of",
                "2026-12-31",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Hours saved: 4.1 h" in out and "[ESTIMATE]" in out
    set_lang("ja")  # a fresh process starts in Japanese; main() here runs in one process
    assert main(["report", "--fy", "2026", "--annualize", "--as-of", "2026-12-31", "-o", "e.xlsx"]) == 0
    assert load_workbook(tmp_path / "e.xlsx").sheetnames[-1] == "推計"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["report", "--fy", "2026", "--department", "観光課"], "観光課"),
        (["report", "--fy", "abc"], "abc"),
        (["report", "--fy", "1800"], "1800"),
        (["report", "--fy", "2026", "--format", "pdf"], "pdf"),
        (["report", "--fy", "2026", "--annualize", "--as-of", "12/31"], "12/31"),
        (["targets", "set", "市民課", "2026", "12x0h"], "12x0h"),
        (["targets", "set", "市民課", "next", "1200h"], "next"),
    ],
)
def test_usage_errors_are_one_line(
    cli_store: Store, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    assert main(args) == ExitCode.USAGE
    err = _one_line_error(capsys)
    assert needle in err and "エラー" in err


def test_unknown_department_lists_known_ones(cli_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--fy", "2026", "-d", "市民"]) == ExitCode.USAGE
    err = _one_line_error(capsys)
    assert "市民課" in err and "税務課" in err and "福祉課" in err


def test_targets_set_and_list(cli_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets", "set", "福祉課", "2026", "1,200時間"]) == 0
    assert main(["targets", "set", "市民課", "2026", "72000m"]) == 0  # replaces 10h
    capsys.readouterr()
    assert main(["targets", "list", "--fy", "2026"]) == 0
    out = capsys.readouterr().out
    assert "福祉課" in out and "1,200.0" in out and "令和8年度" in out
    assert "市民課" in out and "5.3" in out  # 315 min saved = 5.25 h, rounded half up
    # a 課 with no robots and no runs: refused by name, nothing saved (unless --force)
    assert main(["targets", "set", "観光課", "2026", "10h"]) == ExitCode.USAGE
    err = _one_line_error(capsys)
    assert "観光課" in err and "--force" in err
    with cli_store.session() as s:
        assert [r.action for r in audit_repo.list_rows(s)] == ["target.set"] * 2
    assert main(["targets", "set", "観光課", "2026", "10h", "--force"]) == 0
    with cli_store.session() as s:
        assert [r.action for r in audit_repo.list_rows(s)] == ["target.set"] * 3
