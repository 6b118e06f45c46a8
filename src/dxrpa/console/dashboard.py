"""The manager dashboard: fiscal-year hours saved vs target, by month (the report's SVG chart), by
department and robot, robots that save nothing, and the .xlsx report download."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.ledger_view import dashboard_report, fiscal_years
from dxrpa.console.ledger_view import departments as known_departments
from dxrpa.console.web import ConsoleState, db, render, require, state
from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.ledger import fiscal_year_of_date, fy_label, parse_fiscal_year, today_local
from dxrpa.orgtree import LEVELS_JA
from dxrpa.reports import build_report, export_report
from dxrpa.reports.data import ReportData, department_label, org_rollup, robot_flag, top_departments
from dxrpa.reports.export import default_filename
from dxrpa.reports.html import department_chart_svg, month_chart_svg
from dxrpa.reports.inputs import report_inputs
from dxrpa.reports.labels import org_headers, shared_headers
from dxrpa.reports.numbers import fmt_fte, fmt_hours, fmt_pct, fmt_yen
from dxrpa.reports.summary import headline
from dxrpa.store import robots_repo
from dxrpa.store.ledger_repo import Group


def _fy(st: ConsoleState, raw: str | None) -> int:
    if raw:
        try:
            return parse_fiscal_year(raw)
        except ValueError:
            pass
    return fiscal_year_of_date(today_local(st.settings.timezone))


def _dept(raw: str | None) -> str | None:
    return raw.strip() if raw and raw.strip() else None


@dataclass(frozen=True)
class RobotRank:
    name: str
    title: str
    departments: int  # a shared robot counts for one 課 per 区
    saved_hours: float


def robot_ranking(d: ReportData, n: int = 10) -> list[RobotRank]:
    """Robots by hours saved over all their 課 (a shared robot's 区 added up), largest first."""
    by: dict[str, list[Group]] = {}
    for g in d.robots:
        if g.key and g.key[0] is not None:
            by.setdefault(str(g.key[0]), []).append(g)
    ranks = [
        RobotRank(name, max(g.title for g in gs), len(gs), sum(g.saved_minutes for g in gs) / 60)
        for name, gs in by.items()
    ]
    return sorted((r for r in ranks if r.saved_hours > 0), key=lambda r: (-r.saved_hours, r.name))[:n]


def _level(raw: str | None) -> int | None:
    return int(raw) if raw in ("0", "1", "2") else None


def _data(st: ConsoleState, fy: int, department: str | None, level: int | None = None) -> dict[str, Any]:
    with st.reader.session() as s:
        d = dashboard_report(s, fy, department=department, **report_inputs(st.settings).kwargs())
        counted = {str(g.key[0]) for g in d.robots if g.key and g.key[0] is not None}
        idle = [
            r.name
            for r, _ in robots_repo.list_robots(s)
            if r.name not in counted and (department is None or r.department == department)
        ]
        years = fiscal_years(s)
        departments = known_departments(s)
        return {
            "d": d,
            "fy": fy,
            "fy_label": fy_label(fy),
            "department": department,
            "month_svg": month_chart_svg(d),
            "dept_svg": department_chart_svg(d),
            "flags": [(g, robot_flag(g)) for g in d.robots if robot_flag(g)],
            "idle": idle,
            "years": sorted(set(years) | {fy}),
            "departments": departments,
            "headline": headline(d),
            "h": fmt_hours,
            "pct": fmt_pct,
            "fte_text": fmt_fte,
            "yen_text": fmt_yen,
            "dept_label": department_label,
            "org_rows": [o for o in org_rollup(d) if level is None or o.depth == level],
            "org_level": level,
            "levels": LEVELS_JA,
            "org_headers": org_headers(),
            "rank_robots": robot_ranking(d),
            "rank_departments": top_departments(d, 10),
            "shared_headers": shared_headers(),
        }


async def dashboard(request: Request) -> Response:
    user = await require(request)
    st = state(request)
    fy = _fy(st, request.query_params.get("fy"))
    department, level = (
        _dept(request.query_params.get("department")),
        _level(request.query_params.get("level")),
    )
    data = await db(request, _data, st, fy, department, level)
    return render(request, "dashboard.html", user=user, **data)


def _export(st: ConsoleState, fy: int, department: str | None, user: str) -> tuple[bytes, str]:
    """The .xlsx report as bytes and its download name. Written to a private temporary folder with
    a fixed name (nothing from the request reaches the file system) and read back; only that
    folder is removed. An unknown department is refused (400)."""
    with st.store.session() as s:
        if department is not None and department not in known_departments(s):
            raise UsageError(
                tr(f"課「{department}」は見つかりません", f"department {department!r} not found"),
                hint=tr("ダッシュボードの課の一覧から選んでください", "pick one from the dashboard's list"),
            )
        data = build_report(s, fy, department=department, **report_inputs(st.settings).kwargs())
        name = default_filename(fy, department, "xlsx")
        var = st.settings.var_dir
        with tempfile.TemporaryDirectory(prefix="dxrpa-report-", dir=var if var.is_dir() else None) as tmp:
            path = export_report(data, "xlsx", Path(tmp) / "report.xlsx", actor=user, name=name)
            return path.read_bytes(), name


async def report_xlsx(request: Request) -> Response:
    user = await require(request)
    st = state(request)
    fy = _fy(st, request.query_params.get("fy"))
    content, name = await db(
        request, _export, st, fy, _dept(request.query_params.get("department")), user.name
    )
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=utf-8''{quote(name)}"},
    )
