"""Schedule rules as written in a robot file's ``schedule:`` list (owned by the scheduler feature).

Two shapes, both validated here so that a wrong rule is reported at ``file:line`` when the robot
file is validated or registered (not at 08:00 the next morning)::

    schedule:
      - cron: "0 8 * * *"                        # minute hour day month weekday
        days: office                              # only on 開庁日
      - monthly: {office_day: -1, at: "17:30"}    # last 開庁日 of each month
      - cron: "0 7 1 * *"
        if_closed: previous                       # move a closed-day firing to the previous 開庁日
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_OFFICE_DAY = 23  # no month has more than 23 開庁日


def parse_hhmm(text: str) -> tuple[int, int]:
    """``"17:30"`` → ``(17, 30)``; raises ValueError with a readable message."""
    m = _HHMM.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a time of day in HH:MM form (e.g. \"17:30\")")
    return int(m.group(1)), int(m.group(2))


def check_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA zone (e.g. ``Asia/Tokyo``), else raise ValueError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone '{name}' (use an IANA name such as \"Asia/Tokyo\")") from None
    return name


_DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]  # crontab numbering: 0 (and 7) = Sunday
_APS_ORDER = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _dow_value(token: str) -> int:
    t = token.strip().lower()
    if t.isdigit() and 0 <= int(t) <= 7:
        return int(t) % 7
    if t[:3] in _DOW_NAMES and len(t) == 3:
        return _DOW_NAMES.index(t[:3])
    raise ValueError(f"'{token}' is not a weekday (0-7 or sun..sat)")


def _dow_to_aps(field: str) -> str:
    """Crontab weekday field (0/7 = Sunday) → APScheduler 3 names (its 0 is Monday, a known trap)."""
    days: set[int] = set()
    for item in field.split(","):
        rng, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in weekday '{item}'")
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = _dow_value(a), _dow_value(b)
            if b.strip() == "7":
                hi = 7
            if hi < lo:
                raise ValueError(f"weekday range '{rng}' runs backwards")
        else:
            lo = hi = _dow_value(rng)
            if step_text:
                hi = 6
        days.update(d % 7 for d in range(lo, hi + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(n for n in _APS_ORDER if _DOW_NAMES.index(n) in days)


def cron_fields(expr: str) -> dict[str, str]:
    """Split a crontab expression into APScheduler CronTrigger keyword arguments.

    5 fields (minute hour day month weekday) as in crontab; 6 fields put seconds first (as in
    Quartz/Spring) for short intervals. Weekday numbers follow crontab: 0 or 7 = Sunday, 1 = Monday.
    """
    parts = expr.split()
    if len(parts) not in (5, 6):
        raise ValueError(
            f"cron '{expr}' must have 5 fields: minute hour day month weekday (e.g. \"0 8 * * 1-5\")"
        )
    second = parts.pop(0) if len(parts) == 6 else "0"
    minute, hour, day, month, dow = parts
    aps_dow = "*" if dow == "?" else _dow_to_aps(dow)
    if day not in ("*", "?") and dow not in ("*", "?"):
        raise ValueError(
            f"cron '{expr}' restricts both the day of month and the weekday; cron would run when "
            "EITHER matches, which is rarely meant: write two rules"
        )
    return {
        "second": second,
        "minute": minute,
        "hour": hour,
        "day": "*" if day == "?" else day,
        "month": month,
        "day_of_week": aps_dow,
    }


def check_cron(expr: str) -> str:
    """Validate a cron expression with APScheduler's own parser."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        fields = cron_fields(expr)
        CronTrigger(**fields, timezone="UTC")
    except ValueError as exc:
        msg = str(exc)
        if msg.startswith("cron '"):
            raise
        raise ValueError(f"invalid cron '{expr}': {msg}") from None
    return expr


class MonthlyRule(BaseModel):
    """The N-th 開庁日 of every month at a time of day; ``office_day: -1`` is the last one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    office_day: int  # 1 = first 開庁日, -1 = last, -2 = second to last
    at: str  # "HH:MM"

    @field_validator("office_day")
    @classmethod
    def _office_day(cls, v: int) -> int:
        if v == 0 or abs(v) > MAX_OFFICE_DAY:
            raise ValueError(
                f"office_day {v} is impossible: use 1..{MAX_OFFICE_DAY} (N-th 開庁日) "
                f"or -1..-{MAX_OFFICE_DAY} (-1 = last 開庁日 of the month)"
            )
        return v

    @field_validator("at")
    @classmethod
    def _at(cls, v: str) -> str:
        parse_hhmm(v)
        return v.strip()

    @property
    def hour_minute(self) -> tuple[int, int]:
        return parse_hhmm(self.at)


class ScheduleRule(BaseModel):
    """One rule: a cron expression or a monthly office-day rule, plus how to treat closed days."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    cron: str | None = None
    days: Literal["any", "office"] = "any"
    monthly: MonthlyRule | None = None
    if_closed: Literal["run", "skip", "previous", "next"] = "run"
    timezone: str | None = None  # default: settings.timezone (Asia/Tokyo)
    misfire_grace_seconds: int | None = Field(default=None, ge=1)  # default: settings.scheduler
    coalesce: bool = True  # several missed firings run once
    unit: str | None = None  # a shared robot's 区 this rule runs for (as ``dxrpa run NAME --unit 北区``)

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        return None if v is None else check_cron(v.strip())

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return None if v is None else check_timezone(v)

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduleRule:
        if (self.cron is None) == (self.monthly is None):
            raise ValueError("a schedule rule needs exactly one of 'cron:' or 'monthly:'")
        if self.monthly is not None and (self.days != "any" or self.if_closed != "run"):
            raise ValueError("'monthly:' already picks a 開庁日; remove 'days:' / 'if_closed:'")
        if self.days == "office" and self.if_closed in ("previous", "next"):
            raise ValueError(
                "'days: office' skips closed days; to move them use only 'if_closed: previous|next'"
            )
        return self

    @property
    def closed_policy(self) -> Literal["run", "skip", "previous", "next"]:
        """What to do when a firing falls on a closed day (``days: office`` means skip)."""
        return "skip" if self.days == "office" else self.if_closed

    def describe(self) -> str:
        """Short human-readable form for ``dxrpa schedule list``."""
        if self.monthly is not None:
            n = self.monthly.office_day
            which = "最終" if n == -1 else (f"最終から{-n}番目の" if n < 0 else f"第{n}")
            return f"毎月{which}開庁日 {self.monthly.at}"
        text = f"cron '{self.cron}'"
        policy = self.closed_policy
        if policy == "skip":
            text += " 開庁日のみ"
        elif policy == "previous":
            text += " 閉庁日は前の開庁日へ"
        elif policy == "next":
            text += " 閉庁日は次の開庁日へ"
        if self.timezone:
            text += f" ({self.timezone})"
        if self.unit:
            text += f" [{self.unit}]"
        return text


class _LimitsPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    run_timeout_minutes: float = Field(default=120, gt=0)  # same default as the robot model


class ScheduleSection(BaseModel):
    """The part of a robot file the scheduler reads (other keys belong to the robot model).

    ``limits.run_timeout_minutes`` is the hard time limit of a scheduled run: the child process
    gets SIGTERM then (finishes its item), SIGKILL 30 s later.
    """

    model_config = ConfigDict(extra="ignore")
    name: str
    schedule: list[ScheduleRule] = Field(default_factory=list)
    limits: _LimitsPart = Field(default_factory=_LimitsPart)
