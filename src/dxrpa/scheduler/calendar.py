"""The office calendar (開庁日): weekends, national holidays, 年末年始 and local closures.

A day is closed when it is a weekend day (``settings.calendar.weekend``, Sat/Sun by default), a
national holiday of Japan from the ``holidays`` package (祝日, 振替休日, 国民の休日), inside the
year-end break (12/29–1/3 by default, ``calendar.year_end_start`` / ``year_end_end``), or listed
in the closures table (``dxrpa calendar close DATE --reason …``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy.orm import Session

from dxrpa.config import CalendarSettings
from dxrpa.errors import ConfigError
from dxrpa.i18n import tr

_WEEKDAY_JA = "月火水木金土日"
_SEARCH_LIMIT = 400  # days to look for an office day before giving up (misconfigured calendar)


def _mmdd(text: str, key: str) -> tuple[int, int]:
    try:
        month, day = (int(p) for p in text.split("-"))
        date(2000, month, day)
    except ValueError:
        raise ConfigError(
            f"setting 'calendar.{key}' = '{text}' is not a MM-DD date", hint='write it like "12-29"'
        ) from None
    return month, day


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("JP", years=year, language="ja").items())


class OfficeCalendar:
    """Answers "is this an office day, and if not why" for any date."""

    def __init__(self, settings: CalendarSettings | None = None, closures: Mapping[date, str] | None = None):
        cfg = settings or CalendarSettings()
        self.weekend = frozenset(cfg.weekend)
        self.year_end_start = _mmdd(cfg.year_end_start, "year_end_start")
        self.year_end_end = _mmdd(cfg.year_end_end, "year_end_end")
        self.closures: dict[date, str] = dict(closures or {})
        self._cache: dict[date, str | None] = {}

    def _year_end(self, d: date) -> bool:
        md = (d.month, d.day)
        start, end = self.year_end_start, self.year_end_end
        if start <= end:
            return start <= md <= end
        return md >= start or md <= end  # wraps over New Year

    def closed_reason(self, d: date) -> str | None:
        """Why ``d`` is closed (土曜日, 振替休日, 年末年始, a closure's reason …) or None if open."""
        if d in self._cache:
            return self._cache[d]
        reason: str | None = None
        if d in self.closures:
            reason = tr("閉庁", "closed") + (f": {self.closures[d]}" if self.closures[d] else "")
        elif self._year_end(d):
            name = _national_holidays(d.year).get(d)
            reason = tr("年末年始", "year-end holidays") + (f" ({name})" if name else "")
        elif (name := _national_holidays(d.year).get(d)) is not None:
            reason = name
        elif d.weekday() in self.weekend:
            reason = tr(f"{_WEEKDAY_JA[d.weekday()]}曜日", d.strftime("%A"))
        self._cache[d] = reason
        return reason

    def is_office_day(self, d: date) -> bool:
        return self.closed_reason(d) is None

    def next_office_day(self, d: date, *, include: bool = True) -> date:
        """The first office day on or after ``d`` (strictly after when ``include`` is False)."""
        return self._walk(d if include else d + timedelta(days=1), 1)

    def previous_office_day(self, d: date, *, include: bool = True) -> date:
        return self._walk(d if include else d - timedelta(days=1), -1)

    def _walk(self, d: date, step: int) -> date:
        for _ in range(_SEARCH_LIMIT):
            if self.is_office_day(d):
                return d
            d += timedelta(days=step)
        raise ConfigError(
            tr("開庁日が見つかりません", "no office day found") + f" ({_SEARCH_LIMIT} days from {d})",
            hint=tr("calendar の設定と閉庁日を確認してください", "check settings.calendar and the closures"),
        )

    def office_days_in_month(self, year: int, month: int) -> list[date]:
        d = date(year, month, 1)
        out: list[date] = []
        while d.month == month:
            if self.is_office_day(d):
                out.append(d)
            d += timedelta(days=1)
        return out

    def nth_office_day(self, year: int, month: int, n: int) -> date | None:
        """The n-th office day (1-based; -1 = last) or None when the month has fewer."""
        days = self.office_days_in_month(year, month)
        idx = n - 1 if n > 0 else n
        if -len(days) <= idx < len(days):
            return days[idx]
        return None

    def days(self, start: date, end: date) -> Iterator[tuple[date, str | None]]:
        """Each day from ``start`` to ``end`` inclusive with its closed reason (None = open)."""
        d = start
        while d <= end:
            yield d, self.closed_reason(d)
            d += timedelta(days=1)


def load_calendar(settings: CalendarSettings, session: Session) -> OfficeCalendar:
    """The office calendar with the closures stored in the database."""
    from dxrpa.store.schedule_repo import closures

    return OfficeCalendar(settings, closures(session))
