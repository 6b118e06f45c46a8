"""Hours-saved arithmetic and the Japanese fiscal calendar (pure functions, no I/O).

The formula, per run::

    gross_minutes = succeeded × minutes_per_item + (minutes_per_run if succeeded ≥ 1 else 0)
    human_minutes = (business_errors + system_errors) × rework_minutes_per_failed_item + recorded minutes
    saved_minutes = gross_minutes − human_minutes          (may be negative: the robot cost time)

Robot runtime is not subtracted (robots run unattended). The fiscal year (年度) runs April–March
in the office time zone (Asia/Tokyo) and is decided by the date a run *finished*: a run that
starts on 3/31 and finishes on 4/1 counts in the new fiscal year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from dxrpa.i18n import get_lang

DEFAULT_TZ = "Asia/Tokyo"
FISCAL_MONTHS: tuple[int, ...] = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
"""Calendar months in fiscal order (4月 … 3月)."""

_ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "Reiwa"),
    (date(1989, 1, 8), "平成", "Heisei"),
    (date(1926, 12, 25), "昭和", "Showa"),
)
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Baseline:
    """What one item / one run of a robot would cost a person, in minutes (copied per version)."""

    minutes_per_item: float = 0.0
    minutes_per_run: float = 0.0
    rework_minutes_per_failed_item: float = 0.0


@dataclass(frozen=True)
class Saving:
    """The result of the formula for one run, in minutes."""

    gross_minutes: float
    rework_minutes: float
    recorded_minutes: float

    @property
    def human_minutes(self) -> float:
        return self.rework_minutes + self.recorded_minutes

    @property
    def saved_minutes(self) -> float:
        return self.gross_minutes - self.human_minutes


def compute_saving(
    baseline: Baseline, *, succeeded: int, failed: int, recorded_human_minutes: float = 0.0
) -> Saving:
    """Apply the ledger formula to one run's item counts (failed = business + system errors)."""
    if succeeded < 0 or failed < 0 or recorded_human_minutes < 0:
        raise ValueError("item counts and human minutes must not be negative")
    gross = succeeded * baseline.minutes_per_item + (baseline.minutes_per_run if succeeded >= 1 else 0.0)
    rework = failed * baseline.rework_minutes_per_failed_item
    return Saving(gross_minutes=gross, rework_minutes=rework, recorded_minutes=recorded_human_minutes)


# ---------------------------------------------------------------- fiscal calendar


def local_date(at: datetime, tz: str = DEFAULT_TZ) -> date:
    """The office-local calendar date of an aware timestamp."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: ledger timestamps must be timezone-aware")
    return at.astimezone(ZoneInfo(tz)).date()


def fiscal_year_of_date(d: date) -> int:
    """年度 of a local date: April–March, named by the year it starts in."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year(at: datetime, tz: str = DEFAULT_TZ) -> int:
    """年度 of an aware timestamp, taken in the office time zone."""
    return fiscal_year_of_date(local_date(at, tz))


def fiscal_period(month: int) -> int:
    """Position 1..12 of a calendar month in the fiscal year (4月 = 1, 3月 = 12)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return FISCAL_MONTHS.index(month) + 1


def calendar_year_of(fy: int, month: int) -> int:
    """Calendar year of ``month`` inside fiscal year ``fy`` (1–3月 belong to the next year)."""
    return fy if month >= 4 else fy + 1


def fiscal_year_dates(fy: int) -> tuple[date, date]:
    """First and last local date of a fiscal year (4/1 and 3/31)."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def fiscal_year_bounds_utc(fy: int, tz: str = DEFAULT_TZ) -> tuple[datetime, datetime]:
    """[start, end) of a fiscal year as UTC instants, for range queries."""
    zone = ZoneInfo(tz)
    start = datetime.combine(date(fy, 4, 1), time(), zone).astimezone(UTC)
    end = datetime.combine(date(fy + 1, 4, 1), time(), zone).astimezone(UTC)
    return start, end


def fiscal_year_days(fy: int) -> int:
    first, last = fiscal_year_dates(fy)
    return (last - first).days + 1


# ---------------------------------------------------------------- 和暦 labels


def era_of(d: date) -> tuple[str, str, int]:
    """(Japanese era name, romanised name, year in era) of a date."""
    for start, ja, en in _ERAS:
        if d >= start:
            return ja, en, d.year - start.year + 1
    raise ValueError(f"date before 昭和 is not supported: {d}")


def _era_year_text(n: int) -> str:
    return "元" if n == 1 else str(n)


def fy_label_ja(fy: int) -> str:
    """``令和8年度`` for 2026; ``令和元年度`` for 2019 (the 年度 takes the era in force on 5/1)."""
    ja, _en, n = era_of(date(fy, 5, 1))
    return f"{ja}{_era_year_text(n)}年度"


def fy_label(fy: int, lang: str | None = None) -> str:
    """Both labels, Japanese first by default: ``令和8年度 (FY2026)`` / ``FY2026 (Reiwa 8)``."""
    lang = lang or get_lang()
    if lang == "en":
        _ja, en, n = era_of(date(fy, 5, 1))
        return f"FY{fy} ({en} {n})"
    return f"{fy_label_ja(fy)} (FY{fy})"


def wareki_date(d: date) -> str:
    """``令和8年4月1日`` (元年 for the first year of an era)."""
    ja, _en, n = era_of(d)
    return f"{ja}{_era_year_text(n)}年{d.month}月{d.day}日"


def month_label(fy: int, month: int, lang: str | None = None) -> str:
    """Label of a month of a fiscal year: ``令和8年4月`` / ``Apr 2026``."""
    lang = lang or get_lang()
    year = calendar_year_of(fy, month)
    if lang == "en":
        return f"{_EN_MONTHS[month - 1]} {year}"
    ja, _en, n = era_of(date(year, month, 28))
    return f"{ja}{_era_year_text(n)}年{month}月"


def date_label(d: date, lang: str | None = None) -> str:
    """A date as a Japanese reader expects it (和暦) or ISO for English."""
    return d.isoformat() if (lang or get_lang()) == "en" else wareki_date(d)


# ---------------------------------------------------------------- derived figures


def hours(minutes: float) -> float:
    return minutes / 60.0


def fte(hours_saved: float, hours_per_fte: float) -> float:
    """Full-time-equivalent staff: hours saved / annual working hours of one person."""
    if hours_per_fte <= 0:
        raise ValueError("hours_per_fte must be positive")
    return hours_saved / hours_per_fte


def rate(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Projection:
    """A full-year estimate from a partial year (推計): clearly not a measured figure."""

    as_of: date
    elapsed_days: int
    total_days: int
    measured_minutes: float

    @property
    def factor(self) -> float:
        return self.total_days / self.elapsed_days

    @property
    def projected_minutes(self) -> float:
        return self.measured_minutes * self.factor


def annualize(fy: int, measured_minutes: float, as_of: date) -> Projection | None:
    """Project a fiscal year's measured minutes to the full year, linearly by elapsed days.

    Returns None when ``as_of`` is before the year started; a finished year projects to itself.
    """
    first, last = fiscal_year_dates(fy)
    if as_of < first:
        return None
    total = fiscal_year_days(fy)
    elapsed = min((as_of - first).days + 1, total)
    return Projection(
        as_of=min(as_of, last), elapsed_days=elapsed, total_days=total, measured_minutes=measured_minutes
    )


def today_local(tz: str = DEFAULT_TZ) -> date:
    return datetime.now(ZoneInfo(tz)).date()


# ---------------------------------------------------------------- parsing user input

_ERA_STARTS = {"令和": 2019, "R": 2019, "平成": 1989, "H": 1989}
_FY_RE = re.compile(r"^(?:FY)?(\d{4})(?:年度)?$", re.IGNORECASE)
_ERA_FY_RE = re.compile(r"^(令和|平成|R|H)(元|\d{1,2})(?:年度?)?$", re.IGNORECASE)
_TARGET_RE = re.compile(
    r"^([0-9][0-9,]*(?:\.[0-9]+)?)\s*(h|hr|hrs|hours?|時間|m|min|mins|minutes?|分)?$", re.IGNORECASE
)


def parse_fiscal_year(text: str) -> int:
    """``2026``, ``FY2026``, ``2026年度``, ``令和8年度``, ``R8``, ``令和元`` → 2026 / 2019.

    Raises ValueError with a message naming the accepted forms.
    """
    t = text.strip().replace(" ", "")
    if m := _FY_RE.match(t):
        fy = int(m.group(1))
    elif m := _ERA_FY_RE.match(t):
        n = 1 if m.group(2) == "元" else int(m.group(2))
        fy = _ERA_STARTS[m.group(1).upper() if m.group(1).isascii() else m.group(1)] + n - 1
    else:
        raise ValueError(f"not a fiscal year: {text!r} (use 2026, FY2026 or 令和8年度)")
    if not 2000 <= fy <= 2200:
        raise ValueError(f"fiscal year out of range: {text!r} (use e.g. 2026)")
    return fy


def parse_target_hours(text: str) -> float:
    """``1200h``, ``1,200時間``, ``1200`` (hours) or ``72000m`` / ``72000分`` (minutes) → hours."""
    t = text.strip().replace(" ", "").replace("，", ",")
    m = _TARGET_RE.match(t)
    if not m:
        raise ValueError(f"not a target: {text!r} (use e.g. 1200h or 72000m)")
    value = float(m.group(1).replace(",", ""))
    unit = (m.group(2) or "h").lower()
    return value / 60.0 if unit in {"m", "min", "mins", "minute", "minutes", "分"} else value
