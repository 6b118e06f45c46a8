"""The dashboard's :class:`~dxrpa.reports.data.ReportData`, read from the ledger rollup.

:func:`dxrpa.reports.build_report` aggregates ``ledger_entries`` itself, which takes seconds over a
million rows on SQLite; the dashboard instead sums ``console_ledger_rollup`` (kept current by
triggers, at most months × robots rows per year) and the small staff-minutes and targets tables,
then hands the same ReportData to the report's own charts. The download still uses build_report.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dxrpa.ledger import DEFAULT_TZ
from dxrpa.orgtree import OrgTree
from dxrpa.reports.data import ReportData, assemble
from dxrpa.reports.rates import RateTable
from dxrpa.store import ledger_repo, rollup_repo
from dxrpa.store.console_tables import LedgerRollup
from dxrpa.store.ledger_repo import Group

Key = tuple[object, ...]


def _add(groups: dict[Key, Group], key: Key, r: LedgerRollup, names: dict[Key, set[str]]) -> None:
    g = groups.setdefault(key, Group(key=key))
    g.runs += r.runs
    g.succeeded += r.succeeded
    g.business_errors += r.business_errors
    g.system_errors += r.system_errors
    g.gross_minutes += r.gross_minutes
    g.run_human_minutes += r.human_minutes
    names.setdefault(key, set()).add(r.robot_name)
    if r.robot_title:
        g.title = max(g.title, r.robot_title)


def _rollup(
    session: Session, fy: int, department: str | None
) -> tuple[dict[Key, Group], dict[Key, Group], dict[Key, Group], dict[Key, Group], dict[Key, Group]]:
    """(total, months, departments, robots, (department, month)) sums of one year from the rollup."""
    total: dict[Key, Group] = {}
    months: dict[Key, Group] = {}
    depts: dict[Key, Group] = {}
    robots: dict[Key, Group] = {}
    cells: dict[Key, Group] = {}
    names: dict[Key, set[str]] = {}
    for r in rollup_repo.rollup_rows(session, fy, department):
        _add(total, (), r, names)
        _add(months, (r.month,), r, names)
        _add(depts, (r.department,), r, names)
        _add(robots, (r.robot_name, r.department), r, names)
        _add(cells, (r.department or "", r.month), r, names)
    for groups in (total, months, depts, robots):
        for key, g in groups.items():
            g.robots = len(names.get(key, ()))
    for month, dept, robot, minutes in rollup_repo.human_minutes(session, fy, department):
        m = float(minutes or 0.0)
        if not m:
            continue
        for groups, key in (
            (total, ()),
            (months, (month,)),
            (depts, (dept,)),
            (robots, (robot, dept)),
            (cells, (dept or "", month)),
        ):
            groups.setdefault(key, Group(key=key)).outside_human_minutes += m
    return total, months, depts, robots, cells


def dashboard_report(
    session: Session,
    fy: int,
    *,
    department: str | None = None,
    hours_per_fte: float = 1800.0,
    rates: RateTable | None = None,
    org: OrgTree | None = None,
    tz: str = DEFAULT_TZ,
) -> ReportData:
    """The same figures as ``build_report`` (without details or estimate), from the rollup."""
    total, months, depts, robots, cells = _rollup(session, fy, department)
    prev_cells = _rollup(session, fy - 1, department)[4]
    robot_keys = sorted(robots, key=lambda k: (k[0] is None, str(k[1]), str(k[0] or "")))
    totals = total.get((), Group())
    targets = {d: h for (d, _y), h in ledger_repo.targets(session, fy).items() if department in (None, d)}
    return assemble(
        session=session,
        fy=fy,
        department=department,
        generated_at=datetime.now(UTC),
        hours_per_fte=hours_per_fte,
        totals=totals,
        months={int(str(k[0])): g for k, g in months.items()},
        departments={str(k[0] or ""): g for k, g in depts.items()},
        cells={(str(k[0]), int(str(k[1]))): g for k, g in cells.items()},
        prev_cells={(str(k[0]), int(str(k[1]))): g for k, g in prev_cells.items()},
        robots=[robots[k] for k in robot_keys],
        targets=targets,
        details_count=totals.runs,
        human_count=ledger_repo.count_human_minutes(session, fy, department),
        rates=rates,
        org=org,
        tz=tz,
    )


def fiscal_years(session: Session) -> list[int]:
    """Fiscal years with counted runs (from the rollup: no scan of the ledger)."""
    return rollup_repo.fiscal_years(session)


def departments(session: Session) -> list[str]:
    """Departments seen in the rollup, targets, robots or staff minutes (the small tables only)."""
    return rollup_repo.known_departments(session)
