"""What every report format shows, gathered from the ledger with SQL aggregation.

Measured figures and the optional full-year estimate (推計) are kept in separate fields so no
format can mix them up. Details are not held here: :meth:`ReportData.details` streams them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dxrpa.i18n import get_lang, tr
from dxrpa.ledger import DEFAULT_TZ, Projection, annualize, date_label, fiscal_period, fte
from dxrpa.store import ledger_repo
from dxrpa.store.ledger_repo import Group

DEFAULT_DETAILS_LIMIT = 100_000
"""Rows of the details sheet in .xlsx/.html; beyond it the sheet says so (CSV has every row)."""


@dataclass
class MonthRow:
    month: int
    group: Group
    cumulative_minutes: float
    target_cumulative_hours: float | None  # linear target pace: target × fiscal period / 12


@dataclass
class DepartmentRow:
    group: Group
    target_hours: float | None

    @property
    def name(self) -> str:
        return department_label(self.group.key[0])

    @property
    def achievement(self) -> float | None:
        return self.group.saved_hours / self.target_hours if self.target_hours else None


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
    target_hours: float | None
    details_count: int
    human_count: int
    projection: Projection | None = None
    tz: str = DEFAULT_TZ
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def saved_hours(self) -> float:
        return self.totals.saved_hours

    @property
    def fte(self) -> float:
        return fte(self.saved_hours, self.hours_per_fte)

    @property
    def achievement(self) -> float | None:
        return self.saved_hours / self.target_hours if self.target_hours else None

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


def build_report(
    session: Session,
    fy: int,
    *,
    department: str | None = None,
    hours_per_fte: float = 1800.0,
    annualize_as_of: date | None = None,
    now: datetime | None = None,
) -> ReportData:
    """Aggregate the ledger for one fiscal year; pass ``annualize_as_of`` to add an estimate."""
    totals = ledger_repo.fy_totals(session, fy, department)
    target = ledger_repo.target_hours(session, fy, department)
    months: list[MonthRow] = []
    running = 0.0
    for g in ledger_repo.by_month(session, fy, department):
        running += g.saved_minutes
        m = int(g.key[0])
        pace = target * fiscal_period(m) / 12 if target is not None else None
        months.append(MonthRow(month=m, group=g, cumulative_minutes=running, target_cumulative_hours=pace))
    tmap = ledger_repo.targets(session, fy)
    dept_groups = {str(g.key[0]): g for g in ledger_repo.by_department(session, fy, department)}
    for (d, _y), _h in tmap.items():  # departments with a target but no entries yet
        if (department is None or d == department) and d not in dept_groups:
            dept_groups[d] = Group(key=(d,))
    departments = [
        DepartmentRow(group=dept_groups[d], target_hours=tmap.get((d, fy))) for d in sorted(dept_groups)
    ]
    projection = annualize(fy, totals.saved_minutes, annualize_as_of) if annualize_as_of else None
    return ReportData(
        session=session,
        fy=fy,
        department=department,
        lang=get_lang(),
        generated_at=(now or datetime.now(UTC)).astimezone(ZoneInfo(DEFAULT_TZ)),
        hours_per_fte=hours_per_fte,
        totals=totals,
        months=months,
        departments=departments,
        robots=ledger_repo.by_robot(session, fy, department),
        target_hours=target,
        details_count=ledger_repo.count_entries(session, fy, department),
        human_count=ledger_repo.count_human_minutes(session, fy, department),
        projection=projection,
    )


def detail_values(data: ReportData, raw: tuple[Any, ...]) -> list[Any]:
    """One details row (see ``labels.detail_headers``) from a streamed ledger tuple."""
    (
        finished,
        run_id,
        dept,
        robot,
        title,
        version,
        chash,
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
        str(chash)[:12],
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
