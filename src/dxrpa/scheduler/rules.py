"""From a schedule rule and the office calendar to concrete firings.

A *firing* is one decision of a rule: run at a time, run moved from a closed day, or skip a
closed day. :func:`iter_firings` yields them in time order (the time a run starts, or the
planned time of a skip), which is what both ``dxrpa schedule preview`` and the APScheduler
trigger (:class:`RuleTrigger`) consume, so what staff preview is exactly what runs.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import count, islice
from typing import Any, Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from dxrpa.model.schedule import ScheduleRule, cron_fields
from dxrpa.scheduler.calendar import OfficeCalendar

Kind = Literal["run", "moved", "skip"]
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class Firing:
    """``when``: the moment something happens (run start, or the skipped planned time)."""

    when: datetime
    planned: datetime = field(compare=False)
    kind: Kind = field(compare=False, default="run")
    reason: str | None = field(compare=False, default=None)  # why the planned day is closed

    @property
    def runs(self) -> bool:
        return self.kind != "skip"


def rule_timezone(rule: ScheduleRule, default_tz: str) -> ZoneInfo:
    return ZoneInfo(rule.timezone or default_tz)


def _midnight(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=tz)


def _at_day(d: date, like: datetime) -> datetime:
    """Same wall-clock time as ``like`` on day ``d`` (in ``like``'s zone)."""
    assert like.tzinfo is not None
    return datetime.combine(d, like.timetz().replace(tzinfo=None), tzinfo=like.tzinfo)


@lru_cache(maxsize=4096)
def _cron_trigger(expr: str, tz: tzinfo) -> CronTrigger:
    """Parsed triggers are immutable for our use: parse each (expression, zone) once."""
    return CronTrigger(**cron_fields(expr), timezone=tz)


def _cron_times(trigger: CronTrigger, start: datetime) -> Iterator[datetime]:
    t = trigger.get_next_fire_time(None, start)
    while t is not None:
        yield t
        t = trigger.get_next_fire_time(t, t + _MICRO)


def _monthly_firings(
    rule: ScheduleRule, cal: OfficeCalendar, start: datetime, tz: tzinfo
) -> Iterator[Firing]:
    assert rule.monthly is not None
    hh, mm = rule.monthly.hour_minute
    local = start.astimezone(tz)
    year, month = local.year, local.month
    for _ in range(12 * 200):
        d = cal.nth_office_day(year, month, rule.monthly.office_day)
        if d is not None:
            when = datetime.combine(d, time(hh, mm), tzinfo=tz)
            if when >= start:
                yield Firing(when, when, "run")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _closed_streak_start(cal: OfficeCalendar, d: date) -> date:
    """First day of the run of closed days that ends right before (or at) ``d``."""
    probe = d if not cal.is_office_day(d) else d - timedelta(days=1)
    while not cal.is_office_day(probe - timedelta(days=1)):
        probe -= timedelta(days=1)
    return probe if not cal.is_office_day(probe) else d


def _placed(cal: OfficeCalendar, planned: datetime, policy: str) -> Firing:
    """Where a planned time fires under a moving policy: as planned on an office day, else on the
    office day before (``previous``) or after (``next``)."""
    reason = cal.closed_reason(planned.date())
    if reason is None:
        return Firing(planned, planned, "run", reason)
    day = planned.date()
    moved = cal.previous_office_day(day) if policy == "previous" else cal.next_office_day(day)
    return Firing(_at_day(moved, planned), planned, "moved", reason)


def _cron_firings(rule: ScheduleRule, cal: OfficeCalendar, start: datetime, tz: tzinfo) -> Iterator[Firing]:
    assert rule.cron is not None
    trig = _cron_trigger(rule.cron, tz)
    policy = rule.closed_policy
    local = start.astimezone(tz)
    if policy in ("run", "skip"):  # a firing never moves: no look-ahead needed
        for planned in _cron_times(trig, local):
            reason = cal.closed_reason(planned.date())
            yield Firing(
                planned, planned, "skip" if reason is not None and policy == "skip" else "run", reason
            )
        return
    stream_from = local
    if policy == "next":  # a closed day just before start may move a run to start's day or later
        stream_from = min(local, _midnight(_closed_streak_start(cal, local.date()), tz))
    heap: list[tuple[datetime, int, Firing]] = []
    pending: set[datetime] = set()
    seq = count()

    def push(f: Firing) -> None:
        if f.runs and f.when in pending:
            return  # two closed-day firings moved onto the same time: one run
        if f.runs:
            pending.add(f.when)
        heapq.heappush(heap, (f.when, next(seq), f))

    for planned in _cron_times(trig, stream_from):
        push(_placed(cal, planned, policy))
        # every later planned time produces a firing at or after this bound
        bound = planned
        if policy == "previous":
            bound = _midnight(cal.previous_office_day(planned.date()), tz)
        while heap and heap[0][0] < bound:
            f = heapq.heappop(heap)[2]
            pending.discard(f.when)
            if f.when >= start:
                yield f
    while heap:
        f = heapq.heappop(heap)[2]
        if f.when >= start:
            yield f


def iter_firings(
    rule: ScheduleRule, cal: OfficeCalendar, start: datetime, default_tz: str
) -> Iterator[Firing]:
    """Firings of ``rule`` at or after ``start`` (aware datetime), in time order, forever."""
    tz = rule_timezone(rule, default_tz)
    if rule.monthly is not None:
        return _monthly_firings(rule, cal, start, tz)
    return _cron_firings(rule, cal, start, tz)


def firings_between(
    rule: ScheduleRule,
    cal: OfficeCalendar,
    start: datetime,
    end: datetime,
    default_tz: str,
    *,
    max_items: int = 100_000,
) -> list[Firing]:
    """Firings in ``[start, end)``, at most ``max_items`` of them (the first ones)."""
    out: list[Firing] = []
    for f in iter_firings(rule, cal, start, default_tz):
        if f.when >= end or len(out) >= max_items:
            break
        out.append(f)
    return out


def next_firings(
    rule: ScheduleRule,
    cal: OfficeCalendar,
    start: datetime,
    default_tz: str,
    *,
    runs: int = 5,
    limit: int = 200,
) -> list[Firing]:
    """The next ``runs`` firings that run, with the skips in between (at most ``limit`` items)."""
    out: list[Firing] = []
    n = 0
    for f in islice(iter_firings(rule, cal, start, default_tz), limit):
        out.append(f)
        n += f.runs
        if n >= runs:
            break
    return out


class RuleTrigger(BaseTrigger):  # type: ignore[misc]
    """APScheduler trigger that fires at each :class:`Firing` of a rule (runs and skips).

    The job looks up which firing it is executing with :meth:`firing_at`, so skipped closed
    days are recorded at the time they would have run.
    """

    __slots__ = (
        "_answer",
        "_iter",
        "_last",
        "_memory",
        "calendar",
        "default_tz",
        "lookback",
        "not_before",
        "rule",
    )

    def __init__(
        self,
        rule: ScheduleRule,
        calendar: OfficeCalendar,
        default_tz: str,
        lookback: timedelta = timedelta(0),
    ) -> None:
        self.rule = rule
        self.calendar = calendar
        self.default_tz = default_tz
        self.lookback = lookback  # first computation looks back (a firing missed within grace runs)
        self.not_before: datetime | None = None  # ...but not before the last scheduler's activity
        self._memory: dict[datetime, Firing] = {}
        self._iter: Iterator[Firing] | None = None  # continues from _last: one cron step per call
        self._last: datetime | None = None
        self._answer: tuple[datetime, Firing | None] | None = None  # APScheduler asks twice per firing

    def _after(self, previous: datetime) -> Firing | None:
        if self._answer is not None and self._answer[0] == previous:
            return self._answer[1]
        if self._iter is None or self._last != previous:
            self._iter = iter_firings(self.rule, self.calendar, previous + _MICRO, self.default_tz)
        found = next(self._iter, None)
        self._last = found.when if found is not None else None
        self._answer = (previous, found)
        return found

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        found: Firing | None = None
        if previous_fire_time is None:
            # first computation: the latest firing missed within the grace time (coalesced), if any
            start = now - self.lookback
            if self.not_before is not None and self.not_before > start:
                start = self.not_before
            for f in iter_firings(self.rule, self.calendar, start, self.default_tz):
                if f.when > now:
                    found = found if found is not None and found.runs else f
                    break
                found = f
        else:
            found = next(
                iter_firings(self.rule, self.calendar, previous_fire_time + _MICRO, self.default_tz), None
            )
        if found is None:
            return None
        if len(self._memory) > 64:
            for k in sorted(self._memory)[:32]:
                del self._memory[k]
        self._memory[found.when] = found
        return found.when

    def firing_at(self, when: datetime) -> Firing:
        """The firing planned for ``when`` (a scheduled run time APScheduler reports)."""
        found = self._memory.get(when)
        if found is not None:
            return found
        return Firing(when, when, "run")

    def current_firing(self, now: datetime) -> Firing:
        """The latest firing due at ``now`` (what a job that is executing now was fired for)."""
        due = [t for t in list(self._memory) if t <= now]
        return self._memory[max(due)] if due else Firing(now, now, "run")

    def __getstate__(self) -> dict[str, Any]:  # pragma: no cover - memory job store only
        raise TypeError("RuleTrigger lives in the memory job store only")

    def __str__(self) -> str:
        return f"rule[{self.rule.describe()}]"
