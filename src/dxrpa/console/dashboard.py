"""The manager dashboard: fiscal-year hours saved vs target, by month (the report's SVG chart), by
department and robot, robots that save nothing, and the .xlsx report download."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from dxrpa.console.ledger_view import dashboard_report, fiscal_years
from dxrpa.console.ledger_view import departments as known_departments
from dxrpa.console.web import ConsoleState, db, render, require, state
from dxrpa.ledger import fiscal_year_of_date, fy_label, parse_fiscal_year, today_local
from dxrpa.reports import build_report, export_report
from dxrpa.reports.data import robot_flag
from dxrpa.reports.export import default_filename
from dxrpa.reports.html import department_chart_svg, month_chart_svg
from dxrpa.store import audit_repo, robots_repo


def _fy(st: ConsoleState, raw: str | None) -> int:
    if raw:
        try:
            return parse_fiscal_year(raw)
        except ValueError:
            pass
    return fiscal_year_of_date(today_local(st.settings.timezone))


def _dept(raw: str | None) -> str | None:
    return raw.strip() if raw and raw.strip() else None


def _data(st: ConsoleState, fy: int, department: str | None) -> dict[str, Any]:
    with st.reader.session() as s:
        d = dashboard_report(s, fy, department=department, hours_per_fte=st.settings.ledger.hours_per_fte)
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
        }


async def dashboard(request: Request) -> Response:
    user = await require(request)
    st = state(request)
    fy = _fy(st, request.query_params.get("fy"))
    data = await db(request, _data, st, fy, _dept(request.query_params.get("department")))
    return render(request, "dashboard.html", user=user, **data)


def _export(st: ConsoleState, fy: int, department: str | None, user: str) -> Path:
    folder = Path(
        tempfile.mkdtemp(
            prefix="dxrpa-report-", dir=st.settings.var_dir if st.settings.var_dir.is_dir() else None
        )
    )
    path = folder / default_filename(fy, department, "xlsx")
    with st.store.session() as s:
        data = build_report(s, fy, department=department, hours_per_fte=st.settings.ledger.hours_per_fte)
        export_report(data, "xlsx", path, actor=user)
    return path


def _cleanup(path: Path) -> None:
    path.unlink(missing_ok=True)
    audit_repo.anchor_path(path).unlink(missing_ok=True)  # the signed head export_report wrote
    path.parent.rmdir()


async def report_xlsx(request: Request) -> Response:
    user = await require(request)
    st = state(request)
    fy = _fy(st, request.query_params.get("fy"))
    path = await db(request, _export, st, fy, _dept(request.query_params.get("department")), user.name)
    return FileResponse(
        path,
        filename=path.name,
        background=BackgroundTask(_cleanup, path),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
