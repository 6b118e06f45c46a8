"""CSV (every ledger entry, streamed) and plain-text (summary tables) reports."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from dxrpa.fileio import atomic_path, csv_text
from dxrpa.i18n import tr
from dxrpa.ledger import month_label
from dxrpa.reports import labels
from dxrpa.reports.data import ReportData, department_label, detail_values, robot_flag
from dxrpa.reports.numbers import fmt_fte, fmt_hours, fmt_pct, fmt_yen, hours
from dxrpa.reports.summary import headline


def write_csv(data: ReportData, path: Path) -> Path:
    """Every ledger entry of the year, one row each, UTF-8 with BOM so Excel reads Japanese."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([csv_text(h) for h in labels.detail_headers()])
        for raw in data.details():
            values = detail_values(data, raw)
            values[0] = (
                values[0].strftime("%Y-%m-%d %H:%M:%S") if isinstance(values[0], datetime) else values[0]
            )
            values[-6:] = [_minutes(v) for v in values[-6:]]
            w.writerow([csv_text(v) for v in values])
    return path


def _minutes(v: float) -> float | int:
    """Minutes by the shared rule (whole minutes, the usual case, stay as written)."""
    return int(v) if v == int(v) else (hours(v) or 0.0)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fmt(v: Any, kind: str) -> str:
    if v is None:
        return "-"
    if kind == "h":
        return fmt_hours(v)
    if kind == "%":
        return fmt_pct(v)
    if kind == "n":
        return f"{v:,}"
    if kind == "yen":
        return fmt_yen(v)
    return str(v)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], kinds: str) -> list[str]:
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            pad = " " * (widths[i] - _width(c))
            out.append(c + pad if kinds[i] == "s" else pad + c)
        return "  ".join(out).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def render_text(d: ReportData) -> str:
    """Summary, months, departments and robots as aligned plain text (for the terminal or mail)."""
    t = d.totals
    out = [labels.title(d.fy), f"{tr('対象', 'Scope')}: {d.scope_label}", "", headline(d), ""]
    out += [
        f"{tr('削減時間', 'Hours saved')}: {fmt_hours(t.saved_hours)} {tr('時間', 'h')}"
        f"  ({tr('常勤換算', 'FTE')} {fmt_fte(d.fte)},"
        f" {d.hours_per_fte:,.0f} {tr('時間/人年', 'h per FTE-year')})"
        f"  {tr('人件費換算', 'Labour cost')}: {_fmt(d.yen, 'yen')} {tr('円', 'yen')}",
        f"{tr('ロボット数', 'Robots')}: {t.robots}  {tr('実行回数', 'Runs')}: {t.runs:,}"
        f"  {tr('処理件数', 'Items')}: {t.items:,}"
        f"  {tr('成功率', 'Success rate')}: {_fmt(t.success_rate, '%')}",
        f"{tr('目標', 'Target')}: {_fmt(d.target_hours, 'h')}"
        f"  {tr('達成率', 'Achieved')}: {_fmt(d.achievement, '%')}  ({d.coverage_label})",
        f"{tr('前年度', 'Last year')}: {_fmt(d.prev_totals.saved_hours, 'h')}"
        f"  {tr('前年度比', 'vs last year')}: {_fmt(d.prev_ratio, '%')}",
        "",
    ]
    months = [
        [
            month_label(d.fy, m.month),
            _fmt(m.group.runs, "n"),
            _fmt(m.group.succeeded, "n"),
            _fmt(m.group.failed, "n"),
            _fmt(m.group.saved_hours, "h"),
            _fmt(m.group.human_minutes / 60, "h"),
            _fmt(None if m.cumulative_minutes is None else m.cumulative_minutes / 60, "h"),
            _fmt(m.target_cumulative_hours, "h"),
            _fmt(None if m.targeted_cumulative_minutes is None else m.targeted_cumulative_minutes / 60, "h"),
            _fmt(m.prev_group.saved_hours if m.prev_group else None, "h"),
            _fmt(m.prev_ratio, "%"),
            _fmt(m.yen, "yen"),
        ]
        for m in d.months
    ]
    out += [*_table(labels.month_headers(), months, "snnnnnnnnnnn"), ""]
    depts = [
        [
            r.name,
            _fmt(r.group.robots, "n"),
            _fmt(r.group.runs, "n"),
            _fmt(r.group.items, "n"),
            _fmt(r.group.success_rate, "%"),
            _fmt(r.group.saved_hours, "h"),
            _fmt(r.group.human_minutes / 60, "h"),
            _fmt(r.target_hours, "h"),
            _fmt(r.achievement, "%"),
            _fmt(r.prev_group.saved_hours if r.prev_group else None, "h"),
            _fmt(r.prev_ratio, "%"),
            fmt_fte(r.fte),
            _fmt(r.yen, "yen"),
            r.path[0] if r.path else "",
            r.path[1] if len(r.path) > 1 else "",
        ]
        for r in d.departments
    ]
    out += [*_table(labels.department_headers(), depts, "snnnnnnnnnnnnss"), ""]
    robots = [
        [
            g.key[0] if g.key[0] is not None else labels.no_robot(),
            g.title,
            department_label(g.key[1]),
            _fmt(g.runs, "n"),
            _fmt(g.items, "n"),
            _fmt(g.succeeded, "n"),
            _fmt(g.failed, "n"),
            _fmt(g.failure_rate, "%"),
            _fmt(g.saved_hours, "h"),
            _fmt(g.human_minutes / 60, "h"),
            robot_flag(g),
        ]
        for g in d.robots
    ]
    out += [*_table(labels.robot_headers(), robots, "sssnnnnnnns"), ""]
    if d.shared:
        out += [tr("共有ロボット（区ごと）", "Shared robots (by 区)") + ":"]
        rows = [
            [
                sr.name,
                sr.title,
                tr(f"{sr.unit_count} 区", f"{sr.unit_count} units"),
                u.unit,
                u.department,
                _fmt(u.runs, "n"),
                _fmt(u.succeeded, "n"),
                _fmt(u.saved_minutes / 60, "h"),
            ]
            for sr in d.shared
            for u in sr.units
        ]
        out += [*_table(labels.shared_headers(), rows, "sssssnnn"), ""]
    if d.projection is not None:
        p = d.projection
        out += [
            f"[{tr('推計', 'ESTIMATE')}] {labels.estimate_note()}",
            f"[{tr('推計', 'ESTIMATE')}] {tr('年間削減時間', 'full-year hours saved')}: "
            f"{fmt_hours(p.projected_minutes / 60)}"
            f" ({p.elapsed_days}/{p.total_days} {tr('日経過', 'days elapsed')})",
            "",
        ]
    out += [
        tr("計算式", "Formula") + ":",
        *("  " + line for line in [*labels.formula_lines(), *labels.money_lines(d.hours_per_fte)]),
    ]
    return "\n".join(out) + "\n"


def write_text(data: ReportData, path: Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(render_text(data), encoding="utf-8")
    return path
