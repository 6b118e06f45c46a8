"""The HTML report: one self-contained file (inline CSS and SVG charts, no external URL), laid out
by the Jinja2 template ``templates/report.html`` (autoescaped); this module gathers its rows.

Same content as the workbook: summary with the formula, months with a chart (bars per month,
cumulative line and target pace), departments, robots, capped details and the estimate kept in
its own clearly marked section.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup

from dxrpa.fileio import atomic_path
from dxrpa.i18n import tr
from dxrpa.ledger import date_label, fiscal_year_dates, month_label
from dxrpa.reports import labels, summary
from dxrpa.reports.data import (
    ReportData,
    department_label,
    detail_values,
    org_rollup,
    robot_flag,
    top_departments,
    top_robots,
)
from dxrpa.reports.numbers import fmt_fte, fmt_hours, fmt_pct, fmt_yen

HTML_DETAILS_LIMIT = 5_000

_CSS = """
body{font-family:"IPAexGothic","Noto Sans CJK JP","Yu Gothic","Meiryo",sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:2px solid #305496;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #bbb;padding:.25em .6em}
th{background:#305496;color:#fff;font-weight:bold}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold;background:#eef}.flag{color:#a60}.note{color:#7f6000;font-style:italic}
section.estimate{border:3px dashed #c80;padding:.5em 1em;background:#fff8ec}
section.estimate h2{border-color:#c80}.neg{color:#b00}
p.headline{font-size:1.2em;font-weight:bold;color:#305496}
@media print{body{margin:0}section{page-break-inside:avoid}thead{display:table-header-group}}
"""


def _num(v: Any, kind: str) -> str:
    if v is None:
        return '<td class="n">-</td>'
    if kind == "%":
        text = fmt_pct(v)
    elif kind == "h":
        text = fmt_hours(v)
    elif kind == "n":
        text = f"{v:,}"
    elif kind == "2":
        text = fmt_fte(v)
    elif kind == "yen":
        text = fmt_yen(v)
    else:
        return f"<td>{escape(str(v))}</td>"
    cls = "n neg" if text.startswith("-") else "n"
    return f'<td class="{cls}">{text}</td>'


def month_chart_svg(d: ReportData) -> str:
    """Bars: hours saved per month; lines: cumulative hours and the target pace (one scale)."""
    w, h, left, bottom, top = 760, 300, 60, 40, 30
    plot_w, plot_h = w - left - 20, h - bottom - top
    bars = [m.group.saved_hours for m in d.months]
    cum = [None if m.cumulative_minutes is None else m.cumulative_minutes / 60 for m in d.months]
    tcum = [
        None if m.targeted_cumulative_minutes is None else m.targeted_cumulative_minutes / 60
        for m in d.months
    ]
    pace = [m.target_cumulative_hours for m in d.months]
    values = bars + [v for v in cum + tcum + pace if v is not None] + [0.0]
    vmax, vmin = max(values), min(values)
    span = (vmax - vmin) or 1.0

    def y(v: float) -> float:
        return top + (vmax - v) / span * plot_h

    step = plot_w / 12
    parts = [
        f'<svg role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
        f"<title>{escape(tr('月別削減時間と累計', 'Hours saved per month and cumulative'))}</title>",
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{w - 20}" y2="{y(0):.1f}" stroke="#555"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        v = vmin + span * frac
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{fmt_hours(v)}</text>'
        )
    for i, (m, v) in enumerate(zip(d.months, bars, strict=True)):
        x = left + i * step + step * 0.2
        y0, y1 = sorted((y(0), y(v)))
        color = "#c00000" if v < 0 else "#4472c4"
        parts.append(
            f'<rect x="{x:.1f}" y="{y0:.1f}" width="{step * 0.6:.1f}" height="{max(y1 - y0, 0.5):.1f}"'
            f' fill="{color}"><title>{escape(month_label(d.fy, m.month))}: {fmt_hours(v)}</title></rect>'
        )
        parts.append(
            f'<text x="{x + step * 0.3:.1f}" y="{h - bottom + 16}" font-size="11" text-anchor="middle">'
            f"{m.month}{escape(tr('月', ''))}</text>"
        )

    def polyline(series: Sequence[float | None], color: str, dash: str = "") -> str:
        pts = " ".join(
            f"{left + i * step + step / 2:.1f},{y(v):.1f}" for i, v in enumerate(series) if v is not None
        )
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        return f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"{extra}/>'

    parts.append(polyline(cum, "#ed7d31"))
    legend = [("#4472c4", tr("月別削減時間", "hours per month")), ("#ed7d31", tr("累計", "cumulative"))]
    if any(p is not None for p in pace):
        parts.append(polyline(pace, "#70ad47", "6 4"))
        legend.append(("#70ad47", tr("目標ペース", "target pace")))
        if d.targeted_departments < len(d.departments):
            parts.append(polyline(tcum, "#7030a0", "2 3"))
            legend.append(("#7030a0", tr("目標設定課の累計", "cumulative, with target")))
    for i, (color, text) in enumerate(legend):
        lx = left + i * 170
        parts.append(
            f'<rect x="{lx}" y="6" width="12" height="12" fill="{color}"/>'
            f'<text x="{lx + 16}" y="16" font-size="12">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def department_chart_svg(d: ReportData) -> str:
    """Horizontal bars of hours saved per department, with the target as a tick."""
    rows = d.departments
    if not rows:
        return ""
    w, left, bar_h = 760, 160, 22
    h = 20 + bar_h * len(rows) + 10
    vals = [r.group.saved_hours for r in rows] + [r.target_hours or 0.0 for r in rows] + [0.0]
    vmax, vmin = max(vals), min(vals)
    span = (vmax - vmin) or 1.0

    def x(v: float) -> float:
        return left + (v - vmin) / span * (w - left - 80)

    parts = [f'<svg role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}">']
    for i, r in enumerate(rows):
        yy = 10 + i * bar_h
        v = r.group.saved_hours
        x0, x1 = sorted((x(0), x(v)))
        color = "#c00000" if v < 0 else "#4472c4"
        parts.append(
            f'<text x="{left - 6}" y="{yy + 15}" font-size="12" text-anchor="end">{escape(r.name)}</text>'
        )
        parts.append(
            f'<rect x="{x0:.1f}" y="{yy + 3}" width="{max(x1 - x0, 0.5):.1f}" height="{bar_h - 6}"'
            f' fill="{color}"/>'
        )
        parts.append(f'<text x="{max(x1, x(0)) + 4:.1f}" y="{yy + 15}" font-size="11">{fmt_hours(v)}</text>')
        if r.target_hours:
            tx = x(r.target_hours)
            parts.append(
                f'<line x1="{tx:.1f}" y1="{yy}" x2="{tx:.1f}" y2="{yy + bar_h}" stroke="#70ad47"'
                f' stroke-width="3"><title>{escape(tr("目標", "target"))}</title></line>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _meeting(d: ReportData) -> dict[str, Any]:
    kinds = {"fte": "2"}
    depts = [[(r.name, "s"), (r.group.saved_hours, "h"), (r.achievement, "%")] for r in top_departments(d)]
    robots = [
        [
            (g.title or str(g.key[0]), "s"),
            (g.saved_hours, "h"),
            (g.runs, "n"),
            (department_label(g.key[1]), "s"),
        ]
        for g in top_robots(d)
    ]
    return {
        "title": summary.title(d),
        "headline": summary.headline(d),
        "trend": summary.trend_sentence(d),
        "figures": [(f.label, f.value, kinds.get(f.kind, f.kind), f.note) for f in summary.key_figures(d)],
        "tables": [
            {
                "title": tr("削減時間の多い課", "Top departments"),
                "headers": [
                    tr("課", "Department"),
                    tr("削減時間（時間）", "Hours saved"),
                    tr("達成率", "Achieved"),
                ],
                "rows": depts,
            },
            {
                "title": tr("削減時間の多いロボット", "Top robots"),
                "headers": [
                    tr("業務名", "Task"),
                    tr("削減時間（時間）", "Hours saved"),
                    tr("実行回数", "Runs"),
                    tr("課", "Department"),
                ],
                "rows": robots,
            },
        ],
        "formula_title": tr("計算式", "Formula"),
        "formula": summary.formula_lines(d),
    }


def _hours_or_none(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60


Row = list[tuple[Any, str]]


def _summary_section(d: ReportData) -> dict[str, Any]:
    t = d.totals
    first, last = fiscal_year_dates(d.fy)
    rows: list[tuple[str, Any, str]] = [
        (tr("対象", "Scope"), d.scope_label, "s"),
        (tr("期間", "Period"), f"{date_label(first)} – {date_label(last)}", "s"),
        (tr("集計日", "Counted up to"), date_label(d.last_closed) if d.last_closed else None, "s"),
        (tr("削減時間（時間）", "Hours saved"), d.saved_hours, "h"),
        (tr("常勤換算（人）", "Full-time equivalent"), d.fte, "2"),
        (tr("1人あたり年間時間", "Hours per FTE-year"), d.hours_per_fte, "h"),
        (tr("人件費換算（円）", "Labour cost saved (yen)"), d.yen, "yen"),
        (tr("総削減（時間）", "Gross hours"), t.gross_minutes / 60, "h"),
        (tr("人手時間（時間）", "Staff hours"), t.human_minutes / 60, "h"),
        (tr("ロボット数", "Robots"), t.robots, "n"),
        (tr("実行回数", "Runs"), t.runs, "n"),
        (tr("処理件数", "Items"), t.items, "n"),
        (tr("成功率", "Success rate"), t.success_rate, "%"),
        (tr("目標設定", "Targets set"), d.coverage_label, "s"),
        (tr("目標（時間）", "Target (hours)"), d.target_hours, "h"),
        (
            tr("目標設定課の削減時間（時間）", "Hours saved by departments with a target"),
            d.targeted_saved_minutes / 60 if d.target_hours is not None else None,
            "h",
        ),
        (tr("目標達成率", "Target achieved"), d.achievement, "%"),
        (tr("前年度 削減時間（時間）", "Last year, hours saved"), d.prev_totals.saved_hours, "h"),
        (tr("前年度比", "vs last year"), d.prev_ratio, "%"),
    ]
    return {
        "title": tr("概要（実績）", "Summary (measured)"),
        "keyvalues": [(label, v, k, None) for label, v, k in rows],
    }


def _estimate_section(d: ReportData) -> dict[str, Any]:
    p = d.projection
    assert p is not None
    est = tr("推計", "estimate")
    return {
        "cls": "estimate",
        "title": tr("推計（実績ではありません）", "Estimate (not measured)"),
        "note": labels.estimate_note(),
        "keyvalues": [
            (tr("基準日", "As of"), date_label(p.as_of), "s", None),
            (tr("経過日数", "Days elapsed"), f"{p.elapsed_days} / {p.total_days}", "s", None),
            (f"{est}: {tr('年間削減時間', 'full-year hours saved')}", p.projected_minutes / 60, "h", None),
            (f"{est}: {tr('常勤換算', 'FTE')}", p.projected_minutes / 60 / d.hours_per_fte, "2", None),
        ],
    }


def _months_section(d: ReportData) -> dict[str, Any]:
    t = d.totals
    rows: list[Row] = [
        [
            (month_label(d.fy, m.month), "s"),
            (m.group.runs, "n"),
            (m.group.succeeded, "n"),
            (m.group.failed, "n"),
            (m.group.saved_hours, "h"),
            (m.group.human_minutes / 60, "h"),
            (_hours_or_none(m.cumulative_minutes), "h"),
            (m.target_cumulative_hours, "h"),
            (_hours_or_none(m.targeted_cumulative_minutes), "h"),
            (m.prev_group.saved_hours if m.prev_group else None, "h"),
            (m.prev_ratio, "%"),
            (m.yen, "yen"),
        ]
        for m in d.months
    ]
    total: Row = [
        (tr("合計", "Total"), "s"),
        (t.runs, "n"),
        (t.succeeded, "n"),
        (t.failed, "n"),
        (t.saved_hours, "h"),
        (t.human_minutes / 60, "h"),
        (None, "s"),
        (None, "s"),
        (None, "s"),
        (d.prev_totals.saved_hours, "h"),
        (d.prev_ratio, "%"),
        (d.yen, "yen"),
    ]
    return {
        "title": tr("月別", "By month"),
        "chart": Markup(month_chart_svg(d)),
        "headers": labels.month_headers(),
        "rows": rows,
        "total": total,
        "after": summary.trend_sentence(d),
    }


def _departments_section(d: ReportData) -> dict[str, Any]:
    t = d.totals
    rows: list[Row] = [
        [
            (r.name, "s"),
            (r.group.robots, "n"),
            (r.group.runs, "n"),
            (r.group.items, "n"),
            (r.group.success_rate, "%"),
            (r.group.saved_hours, "h"),
            (r.group.human_minutes / 60, "h"),
            (r.target_hours, "h"),
            (r.achievement, "%"),
            (r.prev_group.saved_hours if r.prev_group else None, "h"),
            (r.prev_ratio, "%"),
            (r.fte, "2"),
            (r.yen, "yen"),
            (r.path[0] if r.path else "", "s"),
            (r.path[1] if len(r.path) > 1 else "", "s"),
        ]
        for r in d.departments
    ]
    total: Row = [
        (tr("合計", "Total"), "s"),
        (t.robots, "n"),
        (t.runs, "n"),
        (t.items, "n"),
        (t.success_rate, "%"),
        (t.saved_hours, "h"),
        (t.human_minutes / 60, "h"),
        (d.target_hours, "h"),
        (d.achievement, "%"),
        (d.prev_totals.saved_hours, "h"),
        (d.prev_ratio, "%"),
        (d.fte, "2"),
        (d.yen, "yen"),
        (d.coverage_label, "s"),
        ("", "s"),
    ]
    return {
        "title": tr("課別", "By department"),
        "chart": Markup(department_chart_svg(d)),
        "headers": labels.department_headers(),
        "rows": rows,
        "total": total,
    }


def _org_section(d: ReportData) -> dict[str, Any]:
    rows: list[Row] = [
        [
            ("\u3000" * o.depth + o.name, "s"),
            (o.group.saved_hours, "h"),
            (o.target_hours if o.targeted else None, "h"),
            (o.achievement, "%"),
            (o.coverage_label, "s"),
            (o.prev.saved_hours, "h"),
            (o.prev_ratio, "%"),
            (o.yen, "yen"),
        ]
        for o in org_rollup(d)
    ]
    return {"title": tr("組織別", "By organisation"), "headers": labels.org_headers(), "rows": rows}


def _robots_section(d: ReportData) -> dict[str, Any]:
    rows: list[Row] = [
        [
            (g.key[0] if g.key[0] is not None else labels.no_robot(), "s"),
            (g.title, "s"),
            (department_label(g.key[1]), "s"),
            (g.runs, "n"),
            (g.items, "n"),
            (g.succeeded, "n"),
            (g.failed, "n"),
            (g.failure_rate, "%"),
            (g.saved_hours, "h"),
            (g.human_minutes / 60, "h"),
            (robot_flag(g), "s"),
        ]
        for g in d.robots
    ]
    return {"title": tr("ロボット別", "By robot"), "headers": labels.robot_headers(), "rows": rows}


def _shared_section(d: ReportData) -> dict[str, Any]:
    """One robot run for several 区: each 区's part (see ``dxrpa.engine.units``)."""
    rows: list[Row] = [
        [
            (sr.name, "s"),
            (sr.title, "s"),
            (tr(f"{sr.unit_count} 区", f"{sr.unit_count} units"), "s"),
            (u.unit, "s"),
            (u.department, "s"),
            (u.runs, "n"),
            (u.succeeded, "n"),
            (u.saved_minutes / 60, "h"),
        ]
        for sr in d.shared
        for u in sr.units
    ]
    return {
        "title": tr("共有ロボット（区ごと）", "Shared robots (by 区)"),
        "headers": labels.shared_headers(),
        "rows": rows,
    }


def _details_section(d: ReportData, limit: int) -> dict[str, Any]:
    kinds = "sssssss" + "nnn" + "hhhhhh"
    rows: list[Row] = []
    for raw in d.details(limit=limit):
        vals = detail_values(d, raw)
        vals[0] = f"{vals[0]:%Y-%m-%d %H:%M}"
        rows.append(list(zip(vals, kinds, strict=True)))
    after = labels.truncated_note(len(rows), d.details_count) if len(rows) < d.details_count else ""
    return {"title": tr("明細", "Details"), "headers": labels.detail_headers(), "rows": rows, "after": after}


def _human_section(d: ReportData, limit: int) -> dict[str, Any]:
    rows: list[Row] = [
        [
            (f"{d.local(at):%Y-%m-%d %H:%M}", "s"),
            (department_label(dept), "s"),
            (robot or labels.no_robot(), "s"),
            (labels.reason_label(reason), "s"),
            (labels.source_label(ref), "s"),
            (float(minutes), "h"),
        ]
        for at, dept, robot, reason, ref, minutes in d.human_records(limit=limit)
    ]
    after = labels.truncated_note(len(rows), d.human_count) if len(rows) < d.human_count else ""
    return {
        "title": tr("人手時間", "Staff time"),
        "headers": labels.human_headers(),
        "rows": rows,
        "after": after,
    }


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(
        loader=PackageLoader("dxrpa.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=False,
    )
    env.globals["cell"] = lambda v, k: Markup(_num(v, k))
    return env.get_template("report.html")


def render_html(d: ReportData, *, details_limit: int = HTML_DETAILS_LIMIT) -> str:
    sections = [_summary_section(d)]
    if d.projection is not None:
        sections.append(_estimate_section(d))
    sections += [_months_section(d), _departments_section(d)]
    if d.org is not None:
        sections.append(_org_section(d))
    sections.append(_robots_section(d))
    if d.shared:
        sections.append(_shared_section(d))
    sections += [_details_section(d, details_limit), _human_section(d, details_limit)]
    return _template().render(
        lang="en" if d.lang == "en" else "ja",
        title=labels.title(d.fy),
        css=Markup(_CSS),
        generated=f"{tr('作成', 'Generated')}: {date_label(d.generated_at.date())} {d.generated_at:%H:%M}",
        meeting=_meeting(d),
        sections=sections,
    )


def write_html(data: ReportData, path: Path, *, details_limit: int = HTML_DETAILS_LIMIT) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(render_html(data, details_limit=details_limit), encoding="utf-8")
    return path
