"""Office calendar and rule golden dates for FY2026–FY2027 (April 2026 – March 2028)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dxrpa.cli import main
from dxrpa.config import CalendarSettings, Settings
from dxrpa.errors import ExitCode
from dxrpa.model.schedule import ScheduleRule
from dxrpa.scheduler.calendar import OfficeCalendar, load_calendar
from dxrpa.scheduler.rules import firings_between, next_firings
from dxrpa.store.base import Store

from .conftest import RegisterFn

TZ = ZoneInfo("Asia/Tokyo")
CAL = OfficeCalendar()


def jst(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def runs(
    rule: Mapping[str, object], start: datetime, end: datetime, cal: OfficeCalendar = CAL
) -> list[datetime]:
    return [
        f.when
        for f in firings_between(ScheduleRule.model_validate(rule), cal, start, end, "Asia/Tokyo")
        if f.runs
    ]


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 5, 6), "振替休日"),  # 憲法記念日 on Sunday 5/3
        (date(2026, 9, 21), "敬老の日"),
        (date(2026, 9, 22), "国民の休日"),  # between 敬老の日 and 秋分の日 (FY2026 silver week)
        (date(2026, 9, 23), "秋分の日"),
        (date(2027, 3, 22), "振替休日"),  # 春分の日 on Sunday 3/21
        (date(2026, 12, 29), "年末年始"),
        (date(2026, 12, 31), "年末年始"),
        (date(2027, 1, 1), "年末年始"),
        (date(2027, 1, 3), "年末年始"),
        (date(2027, 12, 29), "年末年始"),
        (date(2026, 11, 28), "土曜日"),
        (date(2026, 11, 29), "日曜日"),
    ],
)
def test_closed_days(day: date, reason: str) -> None:
    got = CAL.closed_reason(day)
    assert got is not None and got.startswith(reason), (day, got)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 28),
        date(2027, 1, 4),
        date(2027, 3, 31),
        date(2026, 9, 24),
        date(2026, 5, 7),
        date(2027, 9, 21),
    ],
)
def test_open_days(day: date) -> None:
    assert CAL.is_office_day(day), (day, CAL.closed_reason(day))


def test_no_national_holiday_between_in_september_2027() -> None:
    # 2027: 敬老の日 9/20, 秋分の日 9/23 — 9/21 and 9/22 are ordinary office days
    assert CAL.is_office_day(date(2027, 9, 21)) and CAL.is_office_day(date(2027, 9, 22))


def test_nth_and_last_office_days() -> None:
    assert CAL.nth_office_day(2027, 3, -1) == date(2027, 3, 31)  # last office day of FY2026
    assert CAL.nth_office_day(2028, 3, -1) == date(2028, 3, 31)  # last office day of FY2027 (Fri)
    assert CAL.nth_office_day(2026, 4, 1) == date(2026, 4, 1)
    assert CAL.nth_office_day(2026, 5, 3) == date(2026, 5, 8)  # 5/1, 5/7, 5/8 (GW 5/2–5/6)
    assert CAL.nth_office_day(2027, 1, 1) == date(2027, 1, 4)  # after 年末年始
    assert CAL.nth_office_day(2026, 12, -1) == date(2026, 12, 28)  # before 年末年始
    assert CAL.nth_office_day(2026, 9, 15) == date(2026, 9, 24)
    assert CAL.nth_office_day(2026, 5, 23) is None  # May 2026 has 18 office days


def test_monthly_rules() -> None:
    last = runs({"monthly": {"office_day": -1, "at": "17:30"}}, jst(2026, 4, 1), jst(2027, 4, 1))
    assert len(last) == 12
    assert last[-1] == jst(2027, 3, 31, 17, 30)
    assert jst(2026, 12, 28, 17, 30) in last
    third = runs({"monthly": {"office_day": 3, "at": "09:00"}}, jst(2026, 4, 1), jst(2026, 7, 1))
    assert third == [jst(2026, 4, 3, 9), jst(2026, 5, 8, 9), jst(2026, 6, 3, 9)]


def test_cron_office_days_skip_and_show_skips() -> None:
    rule = ScheduleRule(cron="0 8 * * *", days="office")
    fires = next_firings(rule, CAL, jst(2026, 9, 18, 9), "Asia/Tokyo", runs=2)
    assert [f.when for f in fires if f.runs] == [jst(2026, 9, 24, 8), jst(2026, 9, 25, 8)]
    skipped = [(f.when.date(), f.reason) for f in fires if not f.runs]
    assert (date(2026, 9, 22), "国民の休日") in skipped and len(skipped) == 5  # 19..23


def test_crontab_weekday_numbers_are_crontab_not_apscheduler() -> None:
    got = runs({"cron": "0 8 * * 1-5"}, jst(2026, 11, 23), jst(2026, 11, 30))
    assert [d.weekday() for d in got] == [0, 1, 2, 3, 4]  # Mon..Fri (APScheduler alone would give Tue..Sat)
    assert runs({"cron": "0 8 * * 0"}, jst(2026, 11, 23), jst(2026, 11, 30)) == [jst(2026, 11, 29, 8)]


def test_if_closed_previous_and_next() -> None:
    first = {"cron": "0 7 1 * *"}
    prev = runs({**first, "if_closed": "previous"}, jst(2026, 10, 1), jst(2027, 2, 1))
    nxt = runs({**first, "if_closed": "next"}, jst(2026, 10, 1), jst(2027, 2, 1))
    skip = runs({**first, "if_closed": "skip"}, jst(2026, 10, 1), jst(2027, 2, 1))
    # 11/1 is a Sunday, 1/1 is 元日 in 年末年始
    assert prev == [jst(2026, 10, 1, 7), jst(2026, 10, 30, 7), jst(2026, 12, 1, 7), jst(2026, 12, 28, 7)]
    assert nxt == [jst(2026, 10, 1, 7), jst(2026, 11, 2, 7), jst(2026, 12, 1, 7), jst(2027, 1, 4, 7)]
    assert skip == [jst(2026, 10, 1, 7), jst(2026, 12, 1, 7)]


def test_moved_run_already_due_before_start_is_kept() -> None:
    # planned Sat 11/28 07:00 → next office day Mon 11/30 07:00; start looking on Sunday
    got = runs({"cron": "0 7 * * 6", "if_closed": "next"}, jst(2026, 11, 29, 12), jst(2026, 12, 1))
    assert got == [jst(2026, 11, 30, 7)]


def test_year_end_is_configurable() -> None:
    cal = OfficeCalendar(CalendarSettings(year_end_start="12-28", year_end_end="01-04"))
    assert not cal.is_office_day(date(2026, 12, 28)) and not cal.is_office_day(date(2027, 1, 4))
    assert cal.nth_office_day(2027, 1, 1) == date(2027, 1, 5)


def test_closure_added_by_cli_moves_a_run(
    sched_settings: Settings, store: Store, register_robot: RegisterFn, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = {"cron": "0 9 14 8 *", "if_closed": "next"}
    with store.session() as s:
        assert runs(rule, jst(2026, 8, 1), jst(2026, 9, 1), load_calendar(sched_settings.calendar, s)) == [
            jst(2026, 8, 14, 9)
        ]
    assert main(["calendar", "close", "2026-08-14", "--reason", "庁舎停電"]) == 0
    with store.session() as s:
        cal = load_calendar(sched_settings.calendar, s)
    assert cal.closed_reason(date(2026, 8, 14)) == "閉庁: 庁舎停電"
    assert runs(rule, jst(2026, 8, 1), jst(2026, 9, 1), cal) == [jst(2026, 8, 17, 9)]  # Fri → Mon
    assert main(["calendar", "show", "2026"]) == 0
    assert "庁舎停電" in capsys.readouterr().out
    assert main(["calendar", "open", "2026-08-14"]) == 0
    with store.session() as s:
        assert load_calendar(sched_settings.calendar, s).is_office_day(date(2026, 8, 14))


def test_closure_date_in_wrong_format(sched_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "close", "2026/08/14", "--reason", "x"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "2026/08/14" in err and "YYYY-MM-DD" in err


def test_calendar_show_lists_holidays(sched_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "show", "2027"]) == 0
    out = capsys.readouterr().out
    assert "振替休日" in out and "年末年始" in out


def test_schedule_list_and_preview(
    sched_settings: Settings, register_robot: RegisterFn, capsys: pytest.CaptureFixture[str], dx_home: Path
) -> None:
    register_robot("daily", '  - cron: "0 8 * * *"\n    days: office\n')
    register_robot("monthly_end", '  - monthly: {office_day: -1, at: "17:30"}\n')
    assert main(["schedule", "list"]) == 0
    out = capsys.readouterr().out
    assert "daily" in out and "monthly_end" in out and "最終開庁日" in out and "休止" in out
    assert "に実行" in out  # the cron rule also in words (cron-descriptor, Japanese)
    assert main(["schedule", "preview", "daily", "--days", "400"]) == 0
    out = capsys.readouterr().out
    assert "年末年始" in out and "08:00" in out
    assert main(["schedule", "pause", "daily"]) == 0
    assert main(["schedule", "preview", "daily", "--days", "3"]) == 0
    assert "一時停止中" in capsys.readouterr().out
    assert main(["schedule", "pause", "nosuch"]) == ExitCode.USAGE
