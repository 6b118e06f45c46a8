"""What every report format shows, gathered from the ledger with SQL aggregation.

Measured figures and the optional full-year estimate (推計) are kept in separate fields so no
format can mix them up. Details are not held here: :meth:`ReportData.details` streams them.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dxrpa.errors import DefinitionError
from dxrpa.i18n import get_lang, tr
from dxrpa.ledger import (
    DEFAULT_TZ,
    FISCAL_MONTHS,
    Projection,
    annualize,
    calendar_year_of,
    date_label,
    fiscal_period,
    fiscal_year_dates,
    fte,
)
from dxrpa.orgtree import OrgTree
from dxrpa.reports.rates import RateTable
from dxrpa.store import ledger_repo, report_stats
from dxrpa.store.ledger_repo import Group
from dxrpa.store.report_stats import OcrShare, SharedRow

DEFAULT_DETAILS_LIMIT = 100_000
"""Rows of the details sheet in .xlsx/.html; beyond it the sheet says so (CSV has every row)."""


@dataclass
class MonthRow:
    month: int
    group: Group
    cumulative_minutes: float | None  # None after the last closed day (no line into the future)
    target_cumulative_hours: float | None  # target pace of the targeted 課, up to the last closed day
    targeted_cumulative_minutes: float | None = None  # cumulative of the 課 that have a target
    prev_group: Group | None = None  # 前年同月
    yen: float | None = None

    @property
    def prev_ratio(self) -> float | None:
        """前年同月比 (this month's hours / the same month last year), only when last year saved time."""
        prev = self.prev_group.saved_minutes if self.prev_group else 0.0
        return self.group.saved_minutes / prev if prev > 0 else None


@dataclass
class DepartmentRow:
    group: Group
    target_hours: float | None
    prev_group: Group | None = None  # 前年度
    yen: float | None = None
    hours_per_fte: float = 1800.0
    path: tuple[str, ...] = ()  # 局/区, 部 from the organisation tree

    @property
    def name(self) -> str:
        return department_label(self.group.key[0])

    @property
    def achievement(self) -> float | None:
        return self.group.saved_hours / self.target_hours if self.target_hours else None

    @property
    def fte(self) -> float:
        return fte(self.group.saved_hours, self.hours_per_fte)

    @property
    def prev_ratio(self) -> float | None:
        prev = self.prev_group.saved_minutes if self.prev_group else 0.0
        return self.group.saved_minutes / prev if prev > 0 else None


@dataclass
class SharedRobot:
    """A robot shared by several 区: its total and each 区's part (largest first)."""

    name: str
    title: str
    units: list[SharedRow]

    @property
    def saved_hours(self) -> float:
        return sum(u.saved_minutes for u in self.units) / 60

    @property
    def unit_count(self) -> int:
        return len({u.unit for u in self.units})


def shared_robots(rows: list[SharedRow], org: OrgTree | None) -> list[SharedRobot]:
    """Group the per-区 rows by robot; 区 in the tree's order (else by hours), robots by hours."""
    order = {u.name: i for i, u in enumerate(org.units)} if org else {}
    by: dict[str, list[SharedRow]] = {}
    for r in rows:
        by.setdefault(r.robot_name, []).append(r)
    out = [
        SharedRobot(
            name,
            max(r.robot_title for r in units),
            sorted(units, key=lambda r: (order.get(r.unit, 1 << 30), -r.saved_minutes)),
        )
        for name, units in by.items()
    ]
    return sorted(out, key=lambda s: (-s.saved_hours, s.name))


@dataclass
class ReportData:
    """Everything a report shows for one fiscal year (and optionally one department)."""

    session: Session
    fy: int
    department: str | None
    lang: str
    generated_at: datetime
    hours_per_fte: float
    totals: Group
    months: list[MonthRow]
    departments: list[DepartmentRow]
    robots: list[Group]
    target_hours: float | None  # sum of the targets set (only 課 with a target)
    details_count: int
    human_count: int
    projection: Projection | None = None
    tz: str = DEFAULT_TZ
    extra: dict[str, Any] = field(default_factory=dict)
    targeted_saved_minutes: float = 0.0  # hours saved by the 課 that have a target
    targeted_departments: int = 0
    last_closed: date | None = None  # the last day counted as over (yesterday, or the year's end)
    prev_totals: Group = field(default_factory=Group)
    yen: float | None = None  # None: no 人件費単価 configured
    unpriced: list[str] = field(default_factory=list)  # 課 with hours but no rate in effect
    ocr: OcrShare | None = None
    org: OrgTree | None = None
    shared: list[SharedRobot] = field(default_factory=list)  # one robot run for several 区

    @property
    def saved_hours(self) -> float:
        return self.totals.saved_hours

    @property
    def fte(self) -> float:
        return fte(self.saved_hours, self.hours_per_fte)

    @property
    def achievement(self) -> float | None:
        """Hours saved by the 課 that have a target ÷ the sum of their targets (others left out)."""
        return self.targeted_saved_minutes / 60 / self.target_hours if self.target_hours else None

    @property
    def prev_ratio(self) -> float | None:
        """前年度比: this year's hours ÷ last year's, only when last year saved time."""
        prev = self.prev_totals.saved_minutes
        return self.totals.saved_minutes / prev if prev > 0 else None

    @property
    def coverage_label(self) -> str:
        """「目標設定 3/12 課」: how many of the 課 in the report have a target."""
        n, total = self.targeted_departments, len(self.departments)
        return tr(f"目標設定 {n}/{total} 課", f"targets set for {n} of {total} departments")

    @property
    def scope_label(self) -> str:
        return self.department or tr("全課", "all departments")

    def local(self, at: datetime) -> datetime:
        """A stored UTC instant as a naive office-local datetime (what Excel can hold)."""
        return at.astimezone(ZoneInfo(self.tz)).replace(tzinfo=None)

    def details(self, limit: int | None = None) -> Iterator[tuple[Any, ...]]:
        """Ledger entries of the year, streamed, in ``ledger_repo.DETAIL_COLUMNS`` order."""
        return ledger_repo.iter_details(self.session, self.fy, self.department, limit=limit)

    def human_records(self, limit: int | None = None) -> Iterator[tuple[Any, ...]]:
        return ledger_repo.iter_human_minutes(self.session, self.fy, self.department, limit=limit)


def department_label(name: object) -> str:
    """A department name for display; robots registered without one are grouped as 課未設定."""
    return str(name) if name else tr("（課未設定）", "(no department)")


def robot_flag(group: Group) -> str:
    """A warning for robots that saved nothing or cost staff time."""
    if group.key and group.key[0] is None:
        return ""
    if group.saved_minutes < 0:
        return tr("要確認: 時間増（マイナス）", "check: cost time")
    if group.saved_minutes == 0:
        return tr("要確認: 削減なし", "check: saved nothing")
    return ""


def last_closed_day(fy: int, now_local: date) -> date:
    """The last day of ``fy`` that is over as of ``now_local`` (yesterday, at most 3/31)."""
    return min(now_local - timedelta(days=1), fiscal_year_dates(fy)[1])


def _merge(into: Group, g: Group) -> None:
    into.runs += g.runs
    into.succeeded += g.succeeded
    into.business_errors += g.business_errors
    into.system_errors += g.system_errors
    into.gross_minutes += g.gross_minutes
    into.run_human_minutes += g.run_human_minutes
    into.outside_human_minutes += g.outside_human_minutes


def _has_data(g: Group) -> bool:
    return bool(g.runs or g.outside_human_minutes)


def month_rows(
    fy: int,
    months: dict[int, Group],
    cells: dict[tuple[str, int], Group],
    prev_cells: dict[tuple[str, int], Group],
    targets: dict[str, float],
    last_closed: date,
    yen_by_month: dict[int, float] | None = None,
) -> list[MonthRow]:
    """Twelve rows in fiscal order. Cumulative and pace stop at ``last_closed`` (a month after it
    is shown only if it already holds entries); the pace is that of the targeted 課 only."""
    target = sum(targets.values()) if targets else None
    prev_months: dict[int, Group] = {}
    for (_d, m), g in prev_cells.items():
        _merge(prev_months.setdefault(m, Group(key=(m,))), g)
    targeted: dict[int, float] = {}
    for (d, m), g in cells.items():
        if d in targets:
            targeted[m] = targeted.get(m, 0.0) + g.saved_minutes
    data_until = max(
        (fiscal_period(m) for m, g in months.items() if _has_data(g)),
        default=0,
    )
    rows: list[MonthRow] = []
    running = targeted_running = 0.0
    for m in FISCAL_MONTHS:
        period = fiscal_period(m)
        g = months.get(m, Group(key=(m,)))
        first = date(calendar_year_of(fy, m), m, 1)
        last = date(first.year, m, monthrange(first.year, m)[1])
        running += g.saved_minutes
        targeted_running += targeted.get(m, 0.0)
        share: float | None = None  # the pace stops at the last closed day
        if last <= last_closed:
            share = float(period)
        elif first <= last_closed:
            share = period - 1 + last_closed.day / last.day
        shown = share is not None or period <= data_until  # entries already made are never hidden
        rows.append(
            MonthRow(
                month=m,
                group=g,
                cumulative_minutes=running if shown else None,
                target_cumulative_hours=target * share / 12
                if share is not None and target is not None
                else None,
                targeted_cumulative_minutes=targeted_running if shown and targets else None,
                prev_group=prev_months.get(m, Group(key=(m,))),
                yen=(yen_by_month or {}).get(m) if yen_by_month is not None else None,
            )
        )
    return rows


def department_order(names: list[str], org: OrgTree | None, saved: dict[str, float]) -> list[str]:
    """The organisation tree's order; without one, hours saved (largest first), then name."""
    if org is not None:
        return sorted(names, key=lambda d: (org.order(d), d))
    return sorted(names, key=lambda d: (-saved.get(d, 0.0), d == "", d))


def check_org(org: OrgTree | None, names: list[str]) -> None:
    """Every 課 in the report must be in the tree (when there is one)."""
    if org is None:
        return
    known = set(org.departments)
    missing = [d for d in names if d and d not in known]
    if missing:
        raise DefinitionError(
            tr(
                f"課「{'」「'.join(missing)}」が組織ファイルにありません",
                f"department(s) {', '.join(missing)} are not in the organisation file",
            ),
            path=org.source,
            hint=tr(
                "組織ファイルの該当する部の下に課を書き足すか、ロボットの department を直してください",
                "add them under their 部 in the file, or fix the robots' department",
            ),
        )


def value_yen(
    fy: int, cells: dict[tuple[str, int], Group], rates: RateTable
) -> tuple[dict[str, float], dict[int, float], list[str]]:
    """Yen saved per 課 and per month at the rate in effect on each month's first day."""
    by_dept: dict[str, float] = {}
    by_month: dict[int, float] = {}
    unpriced: set[str] = set()
    for (d, m), g in cells.items():
        rate = rates.rate(d, date(calendar_year_of(fy, m), m, 1))
        if rate is None:
            if g.saved_minutes:
                unpriced.add(d)
            continue
        v = g.saved_hours * rate
        by_dept[d] = by_dept.get(d, 0.0) + v
        by_month[m] = by_month.get(m, 0.0) + v
    return by_dept, by_month, sorted(unpriced)


def _robots_in_order(robots: list[Group], order: list[str]) -> list[Group]:
    """Robots grouped by 課 in the report's 課 order, largest saving first within a 課."""
    rank = {d: i for i, d in enumerate(order)}
    return sorted(
        robots,
        key=lambda g: (
            rank.get(str(g.key[1] or ""), len(rank)),
            g.key[0] is None,
            -g.saved_minutes,
            str(g.key[0]),
        ),
    )


def assemble(
    *,
    session: Session,
    fy: int,
    department: str | None,
    generated_at: datetime,
    hours_per_fte: float,
    totals: Group,
    months: dict[int, Group],
    departments: dict[str, Group],
    cells: dict[tuple[str, int], Group],
    prev_cells: dict[tuple[str, int], Group],
    robots: list[Group],
    targets: dict[str, float],
    details_count: int,
    human_count: int,
    rates: RateTable | None = None,
    org: OrgTree | None = None,
    tz: str = DEFAULT_TZ,
) -> ReportData:
    """The report's figures from grouped sums (the ledger's or the console rollup's)."""
    depts = dict(departments)
    for d in targets:  # departments with a target but no entries yet
        depts.setdefault(d, Group(key=(d,)))
    prev_depts: dict[str, Group] = {}
    prev_totals = Group()
    for (d, _m), g in prev_cells.items():
        _merge(prev_depts.setdefault(d, Group(key=(d,))), g)
        _merge(prev_totals, g)
    check_org(org, list(depts))
    now_local = generated_at.astimezone(ZoneInfo(tz)).date()
    closed = last_closed_day(fy, now_local)
    yen_dept: dict[str, float] = {}
    yen_month: dict[int, float] | None = None
    unpriced: list[str] = []
    if rates:
        yen_dept, yen_month, unpriced = value_yen(fy, cells, rates)
    order = department_order(list(depts), org, {d: g.saved_minutes for d, g in depts.items()})
    rows = [
        DepartmentRow(
            group=depts[d],
            target_hours=targets.get(d),
            prev_group=prev_depts.get(d, Group(key=(d,))),
            yen=yen_dept.get(d, 0.0) if rates else None,
            hours_per_fte=hours_per_fte,
            path=org.ancestors(d) if org else (),
        )
        for d in order
    ]
    return ReportData(
        session=session,
        fy=fy,
        department=department,
        lang=get_lang(),
        generated_at=generated_at.astimezone(ZoneInfo(tz)),
        hours_per_fte=hours_per_fte,
        totals=totals,
        months=month_rows(fy, months, cells, prev_cells, targets, closed, yen_month),
        departments=rows,
        robots=_robots_in_order(robots, order),
        target_hours=sum(targets.values()) if targets else None,
        details_count=details_count,
        human_count=human_count,
        tz=tz,
        targeted_saved_minutes=sum(depts[d].saved_minutes for d in targets),
        targeted_departments=len(targets),
        last_closed=closed,
        prev_totals=prev_totals,
        yen=sum(yen_dept.values()) if rates else None,
        unpriced=unpriced,
        org=org,
        shared=shared_robots(report_stats.shared_rows(session, fy, department), org),
    )


def build_report(
    session: Session,
    fy: int,
    *,
    department: str | None = None,
    hours_per_fte: float = 1800.0,
    annualize_as_of: date | None = None,
    now: datetime | None = None,
    rates: RateTable | None = None,
    org: OrgTree | None = None,
    tz: str = DEFAULT_TZ,
) -> ReportData:
    """Aggregate the ledger for one fiscal year; pass ``annualize_as_of`` to add an estimate."""
    totals = ledger_repo.fy_totals(session, fy, department)
    targets = {d: h for (d, _y), h in ledger_repo.targets(session, fy).items() if department in (None, d)}
    data = assemble(
        session=session,
        fy=fy,
        department=department,
        generated_at=now or datetime.now(UTC),
        hours_per_fte=hours_per_fte,
        totals=totals,
        months={int(g.key[0]): g for g in ledger_repo.by_month(session, fy, department)},
        departments={str(g.key[0] or ""): g for g in ledger_repo.by_department(session, fy, department)},
        cells=ledger_repo.by_department_month(session, fy, department),
        prev_cells=ledger_repo.by_department_month(session, fy - 1, department),
        robots=ledger_repo.by_robot(session, fy, department),
        targets=targets,
        details_count=ledger_repo.count_entries(session, fy, department),
        human_count=ledger_repo.count_human_minutes(session, fy, department),
        rates=rates,
        org=org,
        tz=tz,
    )
    data.projection = annualize(fy, totals.saved_minutes, annualize_as_of) if annualize_as_of else None
    data.ocr = report_stats.ocr_share(session, fy, department, tz)
    return data


def detail_values(data: ReportData, raw: tuple[Any, ...]) -> list[Any]:
    """One details row (see ``labels.detail_headers``) from a streamed ledger tuple."""
    (
        finished,
        run_id,
        dept,
        robot,
        title,
        version,
        _chash,  # the content hash stays in the database (audit), not on the page
        ok,
        be,
        se,
        mpi,
        mpr,
        rework,
        gross,
        human,
        saved,
    ) = raw
    local = data.local(finished)
    return [
        local,
        date_label(local.date(), data.lang),
        run_id,
        dept,
        robot,
        title,
        int(version),
        int(ok),
        int(be),
        int(se),
        float(mpi),
        float(mpr),
        float(rework),
        float(gross),
        float(human),
        float(saved),
    ]


# ---------------------------------------------------------------- roll-up and summary figures


@dataclass
class OrgRow:
    """One unit of the organisation tree with the sums of the 課 below it."""

    name: str
    depth: int  # 0 = 局/区, 1 = 部, 2 = 課 …
    group: Group
    prev: Group
    departments: int = 0
    targeted: int = 0
    target_hours: float = 0.0
    targeted_saved_minutes: float = 0.0
    yen: float | None = None

    @property
    def achievement(self) -> float | None:
        return self.targeted_saved_minutes / 60 / self.target_hours if self.target_hours else None

    @property
    def coverage_label(self) -> str:
        return tr(
            f"目標設定 {self.targeted}/{self.departments} 課",
            f"targets for {self.targeted} of {self.departments}",
        )

    @property
    def prev_ratio(self) -> float | None:
        return self.group.saved_minutes / self.prev.saved_minutes if self.prev.saved_minutes > 0 else None


def org_rollup(d: ReportData) -> list[OrgRow]:
    """Every unit of the tree (pre-order) that has a 課 in the report, with its roll-up."""
    if d.org is None:
        return []
    rows: dict[str, OrgRow] = {}
    for u in d.org.units:
        rows[u.name] = OrgRow(name=u.name, depth=u.depth, group=Group(key=(u.name,)), prev=Group())
    for r in d.departments:
        name = str(r.group.key[0] or "")
        for unit in (*r.path, name):
            o = rows.get(unit)
            if o is None:
                continue
            _merge(o.group, r.group)
            if r.prev_group is not None:
                _merge(o.prev, r.prev_group)
            o.departments += 1
            if r.target_hours is not None:
                o.targeted += 1
                o.target_hours += r.target_hours
                o.targeted_saved_minutes += r.group.saved_minutes
            if r.yen is not None:
                o.yen = (o.yen or 0.0) + r.yen
    return [o for o in rows.values() if o.departments]


def same_period_last_year(d: ReportData) -> float:
    """Minutes saved last year in the months this year has closed (for a fair 前年同期比)."""
    return sum(
        m.prev_group.saved_minutes
        for m in d.months
        if m.cumulative_minutes is not None and m.prev_group is not None
    )


def top_departments(d: ReportData, n: int = 5) -> list[DepartmentRow]:
    return sorted(
        (r for r in d.departments if r.group.key[0] and r.group.saved_minutes > 0),
        key=lambda r: (-r.group.saved_minutes, r.name),
    )[:n]


def top_robots(d: ReportData, n: int = 5) -> list[Group]:
    return sorted(
        (g for g in d.robots if g.key[0] is not None and g.saved_minutes > 0),
        key=lambda g: (-g.saved_minutes, str(g.key[0])),
    )[:n]


def in_progress(d: ReportData) -> bool:
    """True while the fiscal year is not over (the figures are to date)."""
    return d.last_closed is not None and d.last_closed < fiscal_year_dates(d.fy)[1]


def last_pace(d: ReportData) -> MonthRow | None:
    """The row of the month holding the last closed day (the trend against target up to then)."""
    if d.last_closed is None:
        return None
    shown = [
        m
        for m in d.months
        if m.cumulative_minutes is not None
        and date(calendar_year_of(d.fy, m.month), m.month, 1) <= d.last_closed
    ]
    return shown[-1] if shown else None
