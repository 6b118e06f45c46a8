"""The schedules page's month calendar: for each day of a month, whether the office is closed
(and why), the runs that happened (succeeded / not) and the runs the schedules plan."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dxrpa.model.status import RunStatus
from dxrpa.scheduler.calendar import OfficeCalendar
from dxrpa.scheduler.rules import iter_firings
from dxrpa.scheduler.service import RobotSchedule
from dxrpa.store import run_views

GOOD = (RunStatus.SUCCEEDED,)
UNDER_WAY = (RunStatus.QUEUED, RunStatus.RUNNING)
MAX_FIRINGS = 500  # per rule and month: an every-minute rule still draws in time


def month_of(text: str | None, today: date) -> date:
    """The first day of the month ``YYYY-MM`` (this month when missing or malformed)."""
    try:
        year, month = (int(x) for x in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_grid(
    s: Session,
    cal: OfficeCalendar,
    schedules: list[RobotSchedule],
    first: date,
    now: datetime,
    zone: str,
) -> dict[str, Any]:
    tz = ZoneInfo(zone)
    after = _next_month(first)
    start, end = datetime.combine(first, time(), tz), datetime.combine(after, time(), tz)
    ran: dict[date, Counter[str]] = {}
    for created, status in run_views.runs_created_between(s, start, end):
        kind = "ok" if status in GOOD else ("running" if status in UNDER_WAY else "bad")
        ran.setdefault(created.astimezone(tz).date(), Counter())[kind] += 1
    planned: dict[date, Counter[str]] = {}
    begin = max(now, start)
    for sched in schedules:
        if sched.paused or sched.problem or begin >= end:
            continue
        for rule in sched.rules:
            for firing in islice(iter_firings(rule, cal, begin, zone), MAX_FIRINGS):
                when = firing.when.astimezone(tz)
                if when >= end:
                    break
                if firing.runs:
                    planned.setdefault(when.date(), Counter())[sched.robot] += 1
    weeks: list[list[dict[str, Any]]] = []
    day = first - timedelta(days=first.weekday())
    while day < after:
        week = []
        for _ in range(7):
            week.append(
                {
                    "day": day,
                    "in_month": day.month == first.month,
                    "today": day == now.astimezone(tz).date(),
                    "closed": cal.closed_reason(day),
                    "ran": dict(ran.get(day, {})),
                    "planned": sorted(planned.get(day, {}).items()),
                }
            )
            day += timedelta(days=1)
        weeks.append(week)
    previous = (first - timedelta(days=1)).replace(day=1)
    return {"first": first, "weeks": weeks, "previous": f"{previous:%Y-%m}", "next": f"{after:%Y-%m}"}
