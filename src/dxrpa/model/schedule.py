"""Schedule rules as written in a robot file's ``schedule:`` list (owned by the scheduler feature)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class MonthlyRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    office_day: int  # 1 = first 開庁日, -1 = last
    at: str  # "HH:MM"


class ScheduleRule(BaseModel):
    """One rule: a cron expression or a monthly office-day rule."""

    model_config = ConfigDict(extra="forbid")
    cron: str | None = None
    days: Literal["any", "office"] = "any"
    monthly: MonthlyRule | None = None
    if_closed: Literal["run", "skip", "previous", "next"] = "run"
    timezone: str | None = None
