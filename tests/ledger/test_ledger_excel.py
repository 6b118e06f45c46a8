"""The .xlsx report read back with openpyxl: exact figures on every sheet, formats, printing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from dxrpa.i18n import set_lang
from dxrpa.reports import build_report, export_report
from dxrpa.reports.excel import write_xlsx
from dxrpa.reports.numbers import hours, ratio
from dxrpa.store.ledger_tables import LedgerEntry

from .reading import key_values, open_book, table
from .scenario import EXPECTED, Ledger

NOW = datetime(2027, 1, 5, 0, 0, tzinfo=UTC)  # 令和9年1月5日 09:00 JST


def _write(ledger: Ledger, path: Path, **kw: object) -> Path:
    with ledger.store.session() as s:
        data = build_report(s, 2026, now=NOW, **kw)  # type: ignore[arg-type]
        export_report(data, "xlsx", path)
    return path


def test_sheets_and_summary(ledger: Ledger, tmp_path: Path) -> None:
    wb = open_book(_write(ledger, tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["会議用サマリー", "概要", "月別", "課別", "ロボット別", "明細", "人手時間"]
    kv = key_values(wb["概要"])
    exp = EXPECTED["fy2026"]
    assert wb["概要"]["A1"].value == "業務削減時間レポート 令和8年度 (FY2026)"
    assert kv["期間"].value == "令和8年4月1日 – 令和9年3月31日"
    assert kv["作成日時"].value == "令和9年1月5日 09:00"
    assert kv["削減時間（時間）"].value == hours(exp["saved"] / 60) == 4.1
    assert kv["削減時間（時間）"].data_type == "n" and kv["削減時間（時間）"].number_format == "#,##0.0"
    assert kv["削減時間（分）"].value == pytest.approx(exp["saved"])
    assert kv["常勤換算（人）"].value == 0.0  # 4.1 h / 1,800 h, to 0.01
    assert kv["総削減（時間）"].value == hours(exp["gross"] / 60)
    assert kv["人手時間（時間）"].value == hours(exp["human"] / 60)
    assert (kv["ロボット数"].value, kv["実行回数"].value, kv["処理件数"].value) == (3, 7, 126)
    assert (kv["成功件数"].value, kv["業務エラー件数"].value, kv["システムエラー件数"].value) == (111, 8, 7)
    assert kv["成功率"].value == ratio(111 / 126) == 0.881 and kv["成功率"].number_format == "0.0%"
    assert kv["目標（時間）"].value == 15.0
    assert kv["目標設定"].value == "目標設定 2/3 課"  # 福祉課 has no target
    # only 市民課 (315 min) and 税務課 (204 min) have targets: 519 min / 15 h, not 245 min / 15 h
    assert kv["目標設定課の削減時間（時間）"].value == hours(519 / 60) == 8.7
    assert kv["目標達成率"].value == ratio(519 / 60 / 15) == 0.577
    assert kv["目標との差（時間）"].value == hours(519 / 60 - 15)
    assert kv["前年度 削減時間（時間）"].value == hours(105 / 60)
    assert kv["前年度比"].value == ratio(245 / 105)
    formula = [
        c.value for c in wb["概要"]["A"] if isinstance(c.value, str) and c.value.startswith("削減時間 =")
    ]
    assert formula and "成功件数 × 1件あたりの手作業時間" in formula[0] and "− 人手時間" in formula[0]
    assert "推計" not in wb.sheetnames  # no estimate unless asked
    assert not any(c.value == "s1" for row in wb["概要"].iter_rows() for c in row)  # details stay on 明細


def test_by_month_sheet_with_chart(ledger: Ledger, tmp_path: Path) -> None:
    wb = open_book(_write(ledger, tmp_path / "r.xlsx"))
    ws = wb["月別"]
    header, rows = table(ws)
    assert header[0] == "月" and header[4] == "削減時間（時間）"
    labels = [r[0].value for r in rows[:12]]
    assert labels == [f"令和8年{m}月" for m in range(4, 13)] + [f"令和9年{m}月" for m in (1, 2, 3)]
    months = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    assert [r[1].value for r in rows[:12]] == [EXPECTED["month_runs"][m] for m in months]
    assert [r[4].value for r in rows[:12]] == [hours(EXPECTED["months"][m] / 60) for m in months]
    # generated on 1/5: the pace runs to 1/4 (January pro rata) and stops; February already holds
    # staff minutes, so its cumulative is shown; March is in the future: no cumulative, no pace
    cum = [hours(c / 60) for c in EXPECTED["cumulative"][:11]]
    assert [r[6].value for r in rows[:12]] == [*cum, None]
    pace = [hours(15 * i / 12) for i in range(1, 10)] + [hours(15 * (9 + 4 / 31) / 12)]
    assert [r[7].value for r in rows[:12]] == [*pace, None, None]
    total = rows[12]
    assert total[0].value == "合計" and total[4].value == 4.1
    assert all(r[4].data_type == "n" for r in rows)
    assert len(ws._charts) == 1
    chart = ws._charts[0]
    assert chart.tagname == "barChart"
    assert len(chart.series) == 1 and len(chart._charts) == 2  # bars + (cumulative, target) lines


def test_by_department_sheet(ledger: Ledger, tmp_path: Path) -> None:
    wb = open_book(_write(ledger, tmp_path / "r.xlsx"))
    header, rows = table(wb["課別"])
    assert header == [
        "課",
        "ロボット数",
        "実行回数",
        "処理件数",
        "成功率",
        "削減時間（時間）",
        "人手時間（時間）",
        "目標（時間）",
        "達成率",
        "前年度（時間）",
        "前年度比",
        "常勤換算（人）",
        "人件費換算（円）",
        "局・区",
        "部",
    ]
    got = {r[0].value: r for r in rows}
    for name, (nrob, runs, items, ok, saved, human, target) in EXPECTED["departments"].items():
        r = got[name]
        assert (r[1].value, r[2].value, r[3].value) == (nrob, runs, items)
        assert r[4].value == ratio(ok / items)
        assert r[5].value == hours(saved / 60)
        assert r[6].value == hours(human / 60)
        assert r[7].value == target
        assert r[8].value == (ratio(saved / 60 / target) if target else None)
    assert got["合計"][5].value == 4.1 and got["合計"][7].value == 15.0
    assert got["合計"][8].value == ratio(519 / 60 / 15) and got["合計"][13].value == "目標設定 2/3 課"
    assert got["税務課"][9].value == hours(50 / 60) and got["税務課"][10].value == ratio(204 / 50)
    assert got["市民課"][10].value == ratio(315 / 55)
    # without an organisation file: hours saved, largest first (not character code)
    assert [r[0].value for r in rows[:3]] == ["市民課", "税務課", "福祉課"]


def test_by_robot_sheet_flags_robots_that_cost_time(ledger: Ledger, tmp_path: Path) -> None:
    wb = open_book(_write(ledger, tmp_path / "r.xlsx"))
    header, rows = table(wb["ロボット別"])
    assert header[:3] == ["ロボット", "業務名", "課"] and header[-1] == "判定"
    got = {r[0].value: r for r in rows}
    for name, (dept, runs, items, ok, failed, saved, human) in EXPECTED["robots"].items():
        r = got[name]
        assert (r[2].value, r[3].value, r[4].value, r[5].value, r[6].value) == (dept, runs, items, ok, failed)
        assert r[7].value == ratio(failed / items)
        assert r[8].value == hours(saved / 60)
        assert r[9].value == hours(human / 60)
    assert got["jumin_idou"][1].value == "住民異動届入力"
    assert got["teate_genkyo"][10].value == "要確認: 時間増（マイナス）"
    assert got["jumin_idou"][10].value is None
    assert got["（ロボット指定なし）"][8].value == hours(-15 / 60) == -0.3


def test_details_sheet(ledger: Ledger, tmp_path: Path) -> None:
    wb = open_book(_write(ledger, tmp_path / "r.xlsx"))
    header, rows = table(wb["明細"])
    assert header[:3] == ["終了日時", "終了日（和暦）", "実行ID"]
    assert [r[2].value for r in rows] == ["s1", "b1", "b3", "b6", "b2", "b4", "b5"]
    s1 = rows[0]
    assert s1[0].value == datetime(2026, 4, 1, 0, 30)  # Japan time
    assert s1[0].number_format == "yyyy/mm/dd hh:mm"
    assert s1[1].value == "令和8年4月1日"
    b2 = next(r for r in rows if r[2].value == "b2")
    assert (b2[6].value, b2[10].value, b2[11].value, b2[12].value) == (2, 5, 0, 20)  # new baseline
    for r in rows:
        saved, human, gross = EXPECTED["runs"][r[2].value]
        assert (r[13].value, r[14].value, r[15].value) == (gross, human, saved)
    assert "内容ハッシュ" not in header and not any("-v1" in str(c.value) for r in rows for c in r)
    ws = wb["明細"]
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:P8"  # a filterable table: header + 7 entries
    assert "印刷向けではありません" in ws.oddHeader.center.text
    _h, human_rows = table(wb["人手時間"])
    assert [(r[1].value, r[2].value, r[3].value, r[5].value) for r in human_rows] == [
        ("市民課", "jumin_idou", "OCR読取結果の確認", 30),
        ("福祉課", "（ロボット指定なし）", "OCR読取結果の確認", 15),
    ]


def test_every_sheet_is_printable(ledger: Ledger, tmp_path: Path) -> None:
    wb = open_book(_write(ledger, tmp_path / "r.xlsx", annualize_as_of=date(2026, 12, 31)))
    for ws in wb:
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth == 1, ws.title
        assert ws.page_setup.paperSize == 9, ws.title
    for name in ("月別", "課別", "ロボット別", "明細", "人手時間"):
        assert wb[name].print_title_rows == "$1:$1"
        assert wb[name].page_setup.orientation == "landscape"


def test_details_cap_says_so(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.store.session() as s:
        data = build_report(s, 2026, now=NOW)
        write_xlsx(data, tmp_path / "cap.xlsx", details_limit=3)
    ws = open_book(tmp_path / "cap.xlsx")["明細"]
    values = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(values) == 4
    assert "7 件中 3 件" in values[3] and "--format csv" in values[3]


def test_annualized_estimate_is_kept_apart(ledger: Ledger, tmp_path: Path) -> None:
    wb = open_book(_write(ledger, tmp_path / "r.xlsx", annualize_as_of=date(2026, 12, 31)))
    assert wb.sheetnames[-1] == "推計"
    ws = wb["推計"]
    assert "推計" in ws["A1"].value and "実績ではありません" in ws["A2"].value
    kv = key_values(ws)
    assert kv["基準日"].value == "令和8年12月31日"
    assert (kv["経過日数"].value, kv["年度の日数"].value) == (275, 365)
    assert kv["実績 削減時間（時間）"].value == 4.1
    assert kv["推計 年間削減時間（時間）"].value == hours(245 / 60 * 365 / 275) == 5.4
    assert kv["推計 年間削減時間（時間）"].data_type == "n"
    # the measured summary is unchanged by the estimate
    assert key_values(wb["概要"])["削減時間（時間）"].value == 4.1


def test_english_labels(ledger: Ledger, tmp_path: Path) -> None:
    set_lang("en")
    wb = open_book(_write(ledger, tmp_path / "en.xlsx"))
    assert wb.sheetnames == [
        "Meeting summary",
        "Summary",
        "By month",
        "By department",
        "By robot",
        "Details",
        "Staff time",
    ]
    assert wb["Summary"]["A1"].value == "Hours-saved report FY2026 (Reiwa 8)"
    assert key_values(wb["Summary"])["Hours saved"].value == 4.1
    assert wb["By month"]["A2"].value == "Apr 2026"
    assert wb["Details"]["B2"].value == "2026-04-01"


def test_department_filter(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.store.session() as s:
        data = build_report(s, 2026, department="福祉課", now=NOW)
        export_report(data, "xlsx", tmp_path / "f.xlsx")
    wb = open_book(tmp_path / "f.xlsx")
    kv = key_values(wb["概要"])
    assert kv["対象"].value == "福祉課"
    assert kv["削減時間（分）"].value == pytest.approx(-274.0)
    assert kv["目標（時間）"].value is None
    _h, rows = table(wb["明細"])
    assert [r[2].value for r in rows] == ["b3", "b4"]


def test_failed_write_leaves_no_partial_file(ledger: Ledger, tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"previous report")
    with ledger.store.session() as s:
        data = build_report(s, 2026, now=NOW)
        data.months = None  # type: ignore[assignment]  # breaks the month sheet mid-way
        with pytest.raises(TypeError):
            write_xlsx(data, target)
    assert target.read_bytes() == b"previous report"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.xlsx")) == []


def test_details_text_is_escaped(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.store.session() as s:
        e = s.execute(select(LedgerEntry).where(LedgerEntry.run_id == "b1")).scalar_one()
        e.robot_title = ' A&B <課> "q"\x01 '
    wb = open_book(_write(ledger, tmp_path / "esc.xlsx"))
    _h, rows = table(wb["明細"])
    b1 = next(r for r in rows if r[2].value == "b1")
    assert b1[5].value == ' A&B <課> "q" '
