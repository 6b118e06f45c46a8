"""The .xlsx report (openpyxl, write-only mode so large ledgers stream with bounded memory).

Sheets: summary (with the formula in words), by month (bar chart of hours saved per month and a
cumulative line against the target pace), by department, by robot, details (capped, see
``DEFAULT_DETAILS_LIMIT``), staff minutes, and an estimate sheet only when ``--annualize`` asks.
Every figure is a real number with a number format; every sheet is set up for printing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from dxrpa.fileio import as_text, atomic_path
from dxrpa.i18n import tr
from dxrpa.ledger import date_label, fiscal_year_dates, month_label
from dxrpa.reports import labels, summary
from dxrpa.reports.data import (
    DEFAULT_DETAILS_LIMIT,
    ReportData,
    department_label,
    detail_values,
    org_rollup,
    robot_flag,
    top_departments,
    top_robots,
)
from dxrpa.reports.numbers import fte, hours, ratio, yen
from dxrpa.reports.xlsx_rows import letters_for, row_xml, splice_rows

EXCEL_MAX_ROWS = 1_048_576
HOURS = "#,##0.0"
MINUTES = "#,##0.0"
COUNT = "#,##0"
PERCENT = "0.0%"
YEN = "#,##0"
FTE = "0.00"
DATETIME = "yyyy/mm/dd hh:mm"
_HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_TITLE_FONT = Font(name="Calibri", bold=True, size=14)
_BOLD = Font(name="Calibri", bold=True)
_NOTE_FONT = Font(name="Calibri", italic=True, color="7F6000")
_HEADLINE_FONT = Font(name="Calibri", bold=True, size=12, color="305496")


def write_xlsx(data: ReportData, path: Path, *, details_limit: int = DEFAULT_DETAILS_LIMIT) -> Path:
    """Write the workbook atomically to ``path`` and return it."""
    details_limit = min(details_limit, EXCEL_MAX_ROWS - 2)  # header row + the "showing N of M" note
    wb = Workbook(write_only=True)
    try:
        _meeting(wb, data)
        _summary(wb, data)
        _months(wb, data)
        _departments(wb, data)
        if data.org is not None:
            _org(wb, data)
        _robots(wb, data)
        if data.shared:
            _shared(wb, data)
        details_sheet, details_rows = _details(wb, data, details_limit)
        _human(wb, data, details_limit)
        if data.projection is not None:
            _estimate(wb, data)
    except BaseException:
        _discard(wb)
        raise
    with atomic_path(path) as tmp:
        staged = tmp.with_name(tmp.name + ".stage")
        try:
            wb.save(staged)
            splice_rows(staged, tmp, details_sheet.path, details_rows)
        finally:
            staged.unlink(missing_ok=True)
    return path


def _discard(wb: Workbook) -> None:
    """Close the streamed sheets of an abandoned workbook and delete their temp files."""
    for ws in wb.worksheets:
        with suppress(Exception):
            ws.close()
        with suppress(Exception):
            ws._writer.cleanup()


# ---------------------------------------------------------------- helpers


def _hf(text: str) -> str:
    """Literal text inside an Excel header/footer (``&`` starts a code there)."""
    return text.replace("&", "&&")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _Sheet:
    """A write-only sheet with typed cells and print setup: A4, fitted to width, the title and the
    sheet name in the header, the 和暦 date and 「ページ P / N」 in the footer."""

    def __init__(
        self, wb: Workbook, title: str, widths: Sequence[float], *, landscape: bool, data: ReportData
    ) -> None:
        self.ws = wb.create_sheet(title[:31])
        self.widths = list(widths)
        for i, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = w
        ps = self.ws.page_setup
        ps.orientation = "landscape" if landscape else "portrait"
        ps.paperSize = 9  # A4
        ps.fitToWidth = 1
        ps.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        self.ws.print_options.horizontalCentered = True
        self.ws.page_margins.top = self.ws.page_margins.bottom = 0.75
        self.ws.oddHeader.left.text = _hf(f"{labels.title(data.fy)}　{data.scope_label}")
        self.ws.oddHeader.right.text = "&A"
        self.ws.oddFooter.left.text = _hf(
            tr("作成 ", "Generated ") + date_label(data.generated_at.date(), data.lang)
        )
        self.ws.oddFooter.right.text = tr("&P / &N ページ", "page &P of &N")
        self.rows = 0

    def cell(self, value: Any, fmt: str | None = None, font: Font | None = None) -> WriteOnlyCell:
        c = as_text(WriteOnlyCell(self.ws, value=value))  # a department named '=…' stays text
        if fmt is not None and value is not None:
            c.number_format = fmt
        if font is not None:
            c.font = font
        return c

    def row(self, values: Iterable[Any]) -> None:
        self.ws.append([self.cell(v) if isinstance(v, str) else v for v in values])
        self.rows += 1

    def header(self, names: Sequence[str], *, repeat: bool = True) -> None:
        cells = []
        lines = 1
        for i, n in enumerate(names):
            c = self.cell(n, font=_HEADER_FONT)
            c.fill = _HEADER_FILL
            c.alignment = Alignment(wrap_text=True, vertical="center")
            cells.append(c)
            width = self.widths[i] if i < len(self.widths) else 10
            lines = max(lines, -(-_display_width(n) // max(int(width) - 1, 1)))
        self.ws.row_dimensions[self.rows + 1].height = 15 * lines + 4  # wrapped headers not clipped
        if repeat:  # sheet views are written with the first row: freeze before appending
            self.ws.freeze_panes = f"A{self.rows + 2}"
            self.ws.print_title_rows = f"{self.rows + 1}:{self.rows + 1}"
        self.row(cells)


def _kv(sheet: _Sheet, label: str, value: Any, fmt: str | None = None, note: str = "") -> None:
    sheet.row([sheet.cell(label, font=_BOLD), sheet.cell(value, fmt), sheet.cell(note or None)])


_KINDS: dict[str, tuple[Any, str | None]] = {
    "h": (hours, HOURS),
    "%": (ratio, PERCENT),
    "yen": (yen, YEN),
    "fte": (fte, FTE),
    "n": (lambda v: v, COUNT),
    "s": (lambda v: v, None),
}


def _figure(sheet: _Sheet, f: summary.Figure) -> None:
    rounder, fmt = _KINDS[f.kind]
    _kv(sheet, f.label, rounder(f.value), fmt, f.note)


# ---------------------------------------------------------------- sheets


def _meeting(wb: Workbook, d: ReportData) -> None:
    """One printed page for the DX推進会議: the sentence, key figures, top 課 and robots, formula."""
    s = _Sheet(wb, tr("会議用サマリー", "Meeting summary"), [30, 18, 16, 44], landscape=False, data=d)
    s.ws.page_setup.fitToHeight = 1
    s.row([s.cell(summary.title(d), font=_TITLE_FONT)])
    _kv(s, tr("対象", "Scope"), d.scope_label)
    _kv(s, tr("作成日時", "Generated"), f"{date_label(d.generated_at.date())} {d.generated_at:%H:%M}")
    s.row([])
    s.row([s.cell(summary.headline(d), font=_HEADLINE_FONT)])
    s.row([s.cell(summary.trend_sentence(d))])
    s.row([])
    for f in summary.key_figures(d):
        _figure(s, f)
    s.row([])
    s.row([s.cell(tr("削減時間の多い課", "Top departments"), font=_BOLD)])
    s.header(
        [
            tr("課", "Department"),
            tr("削減時間（時間）", "Hours saved"),
            tr("達成率", "Achieved"),
            tr("目標", "Target"),
        ],
        repeat=False,
    )
    for r in top_departments(d):
        s.row(
            [
                s.cell(r.name),
                s.cell(hours(r.group.saved_hours), HOURS),
                s.cell(ratio(r.achievement), PERCENT),
                s.cell(tr("目標未設定", "no target") if r.target_hours is None else None),
            ]
        )
    s.row([])
    s.row([s.cell(tr("削減時間の多いロボット", "Top robots"), font=_BOLD)])
    s.header(
        [
            tr("業務名", "Task"),
            tr("削減時間（時間）", "Hours saved"),
            tr("実行回数", "Runs"),
            tr("課", "Department"),
        ],
        repeat=False,
    )
    for g in top_robots(d):
        s.row(
            [
                s.cell(g.title or str(g.key[0])),
                s.cell(hours(g.saved_hours), HOURS),
                s.cell(g.runs, COUNT),
                s.cell(department_label(g.key[1])),
            ]
        )
    s.row([])
    s.row([s.cell(tr("計算式", "Formula"), font=_BOLD)])
    for line in summary.formula_lines(d):
        s.row([s.cell(line)])
    s.row([])
    s.ws.add_chart(_trend_chart(d), f"A{s.rows + 1}")


def _trend_chart(d: ReportData) -> LineChart:
    """Cumulative hours against the target pace, read from the 月別 sheet (lines stop at the
    last closed day because those cells are blank)."""
    months = tr("月別", "By month")
    line = LineChart()
    line.title = tr("累計と目標ペース", "Cumulative vs target pace")
    cols = ["G", "H", "I"] if d.target_hours is not None else ["G"]
    for col in cols:
        ref = Reference(range_string=f"'{months}'!${col}$1:${col}$13")
        line.add_data(ref, titles_from_data=True)
    line.set_categories(Reference(range_string=f"'{months}'!$A$2:$A$13"))
    for series in line.series:
        series.smooth = False
    line.y_axis.numFmt = HOURS
    line.y_axis.title = tr("時間", "hours")
    line.x_axis.delete = False
    line.x_axis.tickLblPos = "low"  # month labels below the plot when the line dips below zero
    line.y_axis.delete = False
    line.legend.position = "b"
    line.height = 8
    line.width = 18
    return line


def _summary(wb: Workbook, d: ReportData) -> None:
    s = _Sheet(wb, tr("概要", "Summary"), [34, 18, 70], landscape=False, data=d)
    t = d.totals
    first, last = fiscal_year_dates(d.fy)
    s.row([s.cell(labels.title(d.fy), font=_TITLE_FONT)])
    _kv(s, tr("対象", "Scope"), d.scope_label)
    _kv(s, tr("期間", "Period"), f"{date_label(first)} – {date_label(last)}")
    if d.last_closed is not None and d.last_closed < last:
        _kv(s, tr("集計日", "Counted up to"), date_label(d.last_closed), note=tr("年度途中", "year to date"))
    _kv(s, tr("作成日時", "Generated"), f"{date_label(d.generated_at.date())} {d.generated_at:%H:%M}")
    s.row([])
    s.row([s.cell(tr("実績", "Measured"), font=_BOLD)])
    _kv(s, tr("削減時間（時間）", "Hours saved"), hours(d.saved_hours), HOURS)
    _kv(s, tr("削減時間（分）", "Minutes saved"), hours(t.saved_minutes), MINUTES)
    _kv(
        s,
        tr("常勤換算（人）", "Full-time equivalent (FTE)"),
        fte(d.fte),
        FTE,
        tr(
            f"1人あたり年間 {d.hours_per_fte:,.0f} 時間で換算",
            f"at {d.hours_per_fte:,.0f} hours per FTE-year",
        ),
    )
    _kv(
        s,
        tr("人件費換算（円）", "Labour cost saved (yen)"),
        yen(d.yen),
        YEN,
        tr("人件費単価が未設定です（ledger.labor_rates）", "no hourly rate set (ledger.labor_rates)")
        if d.yen is None
        else "",
    )
    _kv(
        s,
        tr("総削減（時間）", "Gross hours"),
        hours(t.gross_minutes / 60),
        HOURS,
        tr("人手時間を差し引く前", "before subtracting staff time"),
    )
    _kv(
        s,
        tr("人手時間（時間）", "Staff hours"),
        hours(t.human_minutes / 60),
        HOURS,
        tr("失敗の手直し＋記録された作業", "rework of failed items + recorded staff time"),
    )
    _kv(s, tr("ロボット数", "Robots"), t.robots, COUNT)
    _kv(s, tr("実行回数", "Runs"), t.runs, COUNT)
    _kv(s, tr("処理件数", "Items"), t.items, COUNT)
    _kv(s, tr("成功件数", "Items succeeded"), t.succeeded, COUNT)
    _kv(s, tr("業務エラー件数", "Business errors"), t.business_errors, COUNT)
    _kv(s, tr("システムエラー件数", "System errors"), t.system_errors, COUNT)
    _kv(s, tr("成功率", "Success rate"), ratio(t.success_rate), PERCENT)
    _kv(s, tr("目標設定", "Targets set"), d.coverage_label)
    _kv(
        s,
        tr("目標（時間）", "Target (hours)"),
        hours(d.target_hours),
        HOURS,
        tr("目標を設定した課の合計", "sum over departments with a target")
        if d.target_hours is not None
        else tr("目標未設定（dxrpa targets set）", "no target (dxrpa targets set)"),
    )
    if d.target_hours is not None:
        _kv(
            s,
            tr("目標設定課の削減時間（時間）", "Hours saved by departments with a target"),
            hours(d.targeted_saved_minutes / 60),
            HOURS,
        )
    _kv(
        s,
        tr("目標達成率", "Target achieved"),
        ratio(d.achievement),
        PERCENT,
        tr("目標設定課の削減時間 ÷ 目標", "hours of departments with a target ÷ their targets"),
    )
    if d.target_hours is not None:
        _kv(
            s,
            tr("目標との差（時間）", "vs target (hours)"),
            hours(d.targeted_saved_minutes / 60 - d.target_hours),
            HOURS,
        )
    _kv(s, tr("前年度 削減時間（時間）", "Last year, hours saved"), hours(d.prev_totals.saved_hours), HOURS)
    _kv(s, tr("前年度比", "vs last year"), ratio(d.prev_ratio), PERCENT)
    s.row([])
    s.row([s.cell(tr("計算式", "Formula"), font=_BOLD)])
    for line in summary.formula_lines(d):
        s.row([s.cell(line)])
    if d.projection is not None:
        s.row([])
        s.row(
            [
                s.cell(
                    tr(
                        "推計値は「推計」シートにあります（実績とは別）。",
                        "The estimate is on the Estimate sheet, kept apart from measured figures.",
                    ),
                    font=_NOTE_FONT,
                )
            ]
        )


def _months(wb: Workbook, d: ReportData) -> None:
    widths = [16, 10, 12, 12, 14, 14, 14, 16, 16, 14, 12, 16]
    s = _Sheet(wb, tr("月別", "By month"), widths, landscape=True, data=d)
    s.ws.page_setup.fitToHeight = 1  # table and chart on one page
    s.header(labels.month_headers())
    for m in d.months:
        g = m.group
        prev = m.prev_group
        s.row(
            [
                s.cell(month_label(d.fy, m.month)),
                s.cell(g.runs, COUNT),
                s.cell(g.succeeded, COUNT),
                s.cell(g.failed, COUNT),
                s.cell(hours(g.saved_hours), HOURS),
                s.cell(hours(g.human_minutes / 60), HOURS),
                s.cell(hours(None if m.cumulative_minutes is None else m.cumulative_minutes / 60), HOURS),
                s.cell(hours(m.target_cumulative_hours), HOURS),
                s.cell(
                    hours(
                        None if m.targeted_cumulative_minutes is None else m.targeted_cumulative_minutes / 60
                    ),
                    HOURS,
                ),
                s.cell(hours(prev.saved_hours if prev else None), HOURS),
                s.cell(ratio(m.prev_ratio), PERCENT),
                s.cell(yen(m.yen), YEN),
            ]
        )
    total = d.totals
    s.row(
        [
            s.cell(tr("合計", "Total"), font=_BOLD),
            s.cell(total.runs, COUNT, _BOLD),
            s.cell(total.succeeded, COUNT, _BOLD),
            s.cell(total.failed, COUNT, _BOLD),
            s.cell(hours(total.saved_hours), HOURS, _BOLD),
            s.cell(hours(total.human_minutes / 60), HOURS, _BOLD),
            None,
            None,
            None,
            s.cell(hours(d.prev_totals.saved_hours), HOURS, _BOLD),
            s.cell(ratio(d.prev_ratio), PERCENT, _BOLD),
            s.cell(yen(d.yen), YEN, _BOLD),
        ]
    )
    s.row([s.cell(summary.trend_sentence(d), font=_NOTE_FONT)])
    bar = BarChart()
    bar.type = "col"
    bar.title = tr("月別削減時間と累計（目標ペース比較）", "Hours saved per month and cumulative vs target")
    bar.y_axis.numFmt = HOURS
    bar.add_data(Reference(s.ws, min_col=5, min_row=1, max_row=13), titles_from_data=True)
    cats = Reference(s.ws, min_col=1, min_row=2, max_row=13)
    bar.set_categories(cats)
    line = LineChart()
    last_col = 9 if d.target_hours is not None else 7
    line.add_data(Reference(s.ws, min_col=7, max_col=last_col, min_row=1, max_row=13), titles_from_data=True)
    line.set_categories(cats)
    for series in line.series:
        series.smooth = False
    bar += line  # one value axis for bars and lines, so zero and scale are shared
    bar.display_blanks = "gap"  # months after the last closed day are blank: the lines stop there
    bar.x_axis.tickLblPos = "low"  # month labels below the plot even when values go negative
    bar.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
    bar.y_axis.delete = False
    bar.y_axis.title = tr("時間", "hours")
    bar.legend.position = "b"
    bar.height = 10
    bar.width = 24
    s.ws.add_chart(bar, "A17")


def _departments(wb: Workbook, d: ReportData) -> None:
    widths = [20, 10, 10, 12, 10, 14, 14, 12, 10, 14, 10, 12, 16, 14, 14]
    s = _Sheet(wb, tr("課別", "By department"), widths, landscape=True, data=d)
    s.header(labels.department_headers())
    for r in d.departments:
        g = r.group
        path = list(r.path)
        s.row(
            [
                s.cell(r.name),
                s.cell(g.robots, COUNT),
                s.cell(g.runs, COUNT),
                s.cell(g.items, COUNT),
                s.cell(ratio(g.success_rate), PERCENT),
                s.cell(hours(g.saved_hours), HOURS),
                s.cell(hours(g.human_minutes / 60), HOURS),
                s.cell(hours(r.target_hours), HOURS),
                s.cell(ratio(r.achievement), PERCENT),
                s.cell(hours(r.prev_group.saved_hours if r.prev_group else None), HOURS),
                s.cell(ratio(r.prev_ratio), PERCENT),
                s.cell(fte(r.fte), FTE),
                s.cell(yen(r.yen), YEN),
                s.cell(path[0] if path else None),
                s.cell(path[1] if len(path) > 1 else None),
            ]
        )
    t = d.totals
    s.row(
        [
            s.cell(tr("合計", "Total"), font=_BOLD),
            s.cell(t.robots, COUNT, _BOLD),
            s.cell(t.runs, COUNT, _BOLD),
            s.cell(t.items, COUNT, _BOLD),
            s.cell(ratio(t.success_rate), PERCENT, _BOLD),
            s.cell(hours(t.saved_hours), HOURS, _BOLD),
            s.cell(hours(t.human_minutes / 60), HOURS, _BOLD),
            s.cell(hours(d.target_hours), HOURS, _BOLD),
            s.cell(ratio(d.achievement), PERCENT, _BOLD),
            s.cell(hours(d.prev_totals.saved_hours), HOURS, _BOLD),
            s.cell(ratio(d.prev_ratio), PERCENT, _BOLD),
            s.cell(fte(d.fte), FTE, _BOLD),
            s.cell(yen(d.yen), YEN, _BOLD),
            s.cell(d.coverage_label),
        ]
    )


def _org(wb: Workbook, d: ReportData) -> None:
    """局/区 → 部 → 課 with the sums of the 課 below each unit (achievement over targeted 課 only)."""
    widths = [30, 14, 14, 12, 18, 14, 10, 16]
    s = _Sheet(wb, tr("組織別", "By organisation"), widths, landscape=True, data=d)
    s.header(labels.org_headers())
    for o in org_rollup(d):
        font = _BOLD if o.depth == 0 else None
        s.row(
            [
                s.cell("　" * o.depth + o.name, font=font),
                s.cell(hours(o.group.saved_hours), HOURS, font),
                s.cell(hours(o.target_hours if o.targeted else None), HOURS),
                s.cell(ratio(o.achievement), PERCENT),
                s.cell(o.coverage_label),
                s.cell(hours(o.prev.saved_hours), HOURS),
                s.cell(ratio(o.prev_ratio), PERCENT),
                s.cell(yen(o.yen), YEN),
            ]
        )


def _robots(wb: Workbook, d: ReportData) -> None:
    widths = [22, 26, 14, 10, 10, 10, 10, 10, 14, 14, 26]
    s = _Sheet(wb, tr("ロボット別", "By robot"), widths, landscape=True, data=d)
    s.header(labels.robot_headers())
    for g in d.robots:
        name = g.key[0]
        s.row(
            [
                s.cell(name if name is not None else labels.no_robot()),
                s.cell(g.title),
                s.cell(department_label(g.key[1])),
                s.cell(g.runs, COUNT),
                s.cell(g.items, COUNT),
                s.cell(g.succeeded, COUNT),
                s.cell(g.failed, COUNT),
                s.cell(ratio(g.failure_rate), PERCENT),
                s.cell(hours(g.saved_hours), HOURS),
                s.cell(hours(g.human_minutes / 60), HOURS),
                s.cell(robot_flag(g) or None, font=_NOTE_FONT),
            ]
        )


def _shared(wb: Workbook, d: ReportData) -> None:
    """One robot run for several 区: each 区's runs, items and hours, with the robot's total."""
    widths = [22, 26, 10, 14, 18, 10, 10, 14]
    s = _Sheet(wb, tr("共有ロボット", "Shared robots"), widths, landscape=True, data=d)
    s.header(labels.shared_headers())
    for sr in d.shared:
        shared_by = tr(f"{sr.unit_count} 区", f"{sr.unit_count} units")
        for u in sr.units:
            s.row(
                [
                    s.cell(sr.name),
                    s.cell(sr.title),
                    s.cell(shared_by),
                    s.cell(u.unit),
                    s.cell(u.department),
                    s.cell(u.runs, COUNT),
                    s.cell(u.succeeded, COUNT),
                    s.cell(hours(u.saved_minutes / 60), HOURS),
                ]
            )
        total = [s.cell(sr.name, font=_BOLD), s.cell(tr("合計", "Total"), font=_BOLD), s.cell(shared_by)]
        total += [s.cell(None), s.cell(None), s.cell(sum(u.runs for u in sr.units), COUNT)]
        total += [
            s.cell(sum(u.succeeded for u in sr.units), COUNT),
            s.cell(hours(sr.saved_hours), HOURS, _BOLD),
        ]
        s.row(total)


def _details(wb: Workbook, d: ReportData, limit: int) -> tuple[Any, Iterator[str]]:
    """Header and print setup through openpyxl; the rows stream in later (see ``xlsx_rows``).

    A filterable table for looking things up, not for printing: every column has an autofilter,
    the header says so, and the printed summary lives on the other sheets."""
    widths = [17, 18, 24, 14, 20, 24, 6, 9, 9, 9, 9, 9, 10, 11, 11, 11]
    s = _Sheet(wb, tr("明細", "Details"), widths, landscape=True, data=d)
    s.ws.oddHeader.center.text = _hf(
        tr("明細（絞り込み用・印刷向けではありません）", "Details (for filtering, not for print)")
    )
    s.header(labels.detail_headers())
    minutes = s.cell(0.0, MINUTES).style_id
    styles: list[int | None] = [s.cell(datetime(2000, 1, 1), DATETIME).style_id] + [None] * 9 + [minutes] * 6
    note_style = s.cell("", font=_NOTE_FONT).style_id
    letters = letters_for(len(widths))
    shown = min(limit, d.details_count)
    s.ws.auto_filter.ref = f"A1:{letters[-1]}{shown + 1}"

    def rows() -> Iterator[str]:
        idx = 2
        for raw in d.details(limit=limit):
            yield row_xml(idx, detail_values(d, raw), styles, letters)
            idx += 1
        if idx - 2 < d.details_count:
            yield row_xml(idx, [labels.truncated_note(idx - 2, d.details_count)], [note_style], letters)

    return s.ws, rows()  # the sheet's part name is known only once the workbook is saved


def _human(wb: Workbook, d: ReportData, limit: int) -> None:
    s = _Sheet(wb, tr("人手時間", "Staff time"), [17, 16, 22, 24, 24, 14], landscape=True, data=d)
    s.header(labels.human_headers())
    shown = 0
    for at, dept, robot, reason, ref, minutes in d.human_records(limit=limit):
        s.row(
            [
                s.cell(d.local(at), DATETIME),
                s.cell(department_label(dept)),
                s.cell(robot or labels.no_robot()),
                s.cell(labels.reason_label(reason)),
                s.cell(labels.source_label(ref)),
                s.cell(hours(float(minutes)), MINUTES),
            ]
        )
        shown += 1
    if shown < d.human_count:
        s.row([s.cell(labels.truncated_note(shown, d.human_count), font=_NOTE_FONT)])


def _estimate(wb: Workbook, d: ReportData) -> None:
    p = d.projection
    assert p is not None
    s = _Sheet(wb, tr("推計", "Estimate"), [34, 18, 60], landscape=False, data=d)
    s.row(
        [
            s.cell(
                tr(f"推計（見込み） {labels.title(d.fy)}", f"Estimate — {labels.title(d.fy)}"),
                font=_TITLE_FONT,
            )
        ]
    )
    s.row([s.cell(labels.estimate_note(), font=_NOTE_FONT)])
    s.row([])
    _kv(s, tr("基準日", "As of"), date_label(p.as_of))
    _kv(s, tr("経過日数", "Days elapsed"), p.elapsed_days, COUNT)
    _kv(s, tr("年度の日数", "Days in the year"), p.total_days, COUNT)
    _kv(s, tr("実績 削減時間（時間）", "Measured hours saved"), hours(p.measured_minutes / 60), HOURS)
    _kv(
        s,
        tr("推計 年間削減時間（時間）", "Estimated full-year hours saved"),
        hours(p.projected_minutes / 60),
        HOURS,
        tr("推計", "estimate"),
    )
    _kv(
        s,
        tr("推計 常勤換算（人）", "Estimated FTE"),
        fte(p.projected_minutes / 60 / d.hours_per_fte),
        FTE,
        tr("推計", "estimate"),
    )
    if d.target_hours:
        _kv(
            s,
            tr("推計 目標達成率", "Estimated target achieved"),
            ratio(d.targeted_saved_minutes * p.factor / 60 / d.target_hours),
            PERCENT,
            tr("推計（目標設定課の推計 ÷ 目標）", "estimate (departments with a target)"),
        )
