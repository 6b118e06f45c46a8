"""Schedules page: next fire times from the scheduler's rules, pause/resume, closures by an admin."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect
from sqlalchemy import select

from dxrpa.engine.definitions import parse_robot
from dxrpa.engine.registry import register_robots
from dxrpa.scheduler.calendar import OfficeCalendar
from dxrpa.store import robots_repo
from dxrpa.store.schedule_repo import closures
from dxrpa.store.tables import AuditRow
from tests.console.conftest import ROOT, Console, login


def test_next_fire_times_pause_resume_and_closures(console: Console, page: Page) -> None:
    text = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    register_robots(console.store, [parse_robot("juminhyo_entry.yaml", text)], actor="admin1")
    cal = OfficeCalendar(console.settings.calendar)
    today = datetime.now(ZoneInfo(console.settings.timezone)).date()
    day = cal.next_office_day(today, include=False)

    login(page, console, "admin1")
    page.goto(console.url + "/schedules")
    row = page.locator("#schedule-juminhyo_entry")
    expect(row.locator("ul.fires li.run")).to_have_count(3)
    expect(row).to_contain_text(f"{day.isoformat()}(")
    expect(row.locator("td.state")).to_have_text("有効")
    expect(row.locator(".cron-words")).to_have_text("08:00 に実行")  # cron in words (cron-descriptor)
    expect(row.locator("code")).to_contain_text("0 8 * * *")  # the rule itself stays beside it
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1366, "height": 900})

    row.get_by_role("button", name="一時停止").click()
    expect(page.locator("#schedule-juminhyo_entry td.state")).to_have_text("一時停止")
    with console.store.session() as s:
        assert robots_repo.get_robot(s, "juminhyo_entry").paused is True
    page.locator("#schedule-juminhyo_entry").get_by_role("button", name="再開").click()
    expect(page.locator("#schedule-juminhyo_entry td.state")).to_have_text("有効")

    # an admin closes the next office day: the list shows it and that firing is skipped
    page.locator("#closure-form input[name=day]").fill(day.isoformat())
    page.locator("#closure-form input[name=reason]").fill("庁舎停電")
    page.locator("#closure-form button").click()
    expect(page.locator("#closures")).to_contain_text(day.isoformat())
    expect(page.locator("#closed-days")).to_contain_text("庁舎停電")
    skipped = page.locator("#schedule-juminhyo_entry ul.fires li.skip")  # weekends may come first
    expect(skipped.filter(has_text=day.isoformat())).to_contain_text("庁舎停電")
    with console.store.session() as s:
        assert closures(s) == {day: "庁舎停電"}
        actions = [(r.actor, r.action) for r in s.scalars(select(AuditRow))]
    assert ("admin1", "schedule.pause") in actions and ("admin1", "schedule.resume") in actions
    assert ("admin1", "calendar.close") in actions

    # an operator sees the calendar but cannot change it
    page.context.clear_cookies()
    login(page, console, "operator1")
    page.goto(console.url + "/schedules")
    expect(page.locator("#closure-form")).to_have_count(0)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    r = page.request.post(
        console.url + "/calendar/closures", form={"csrf": csrf, "day": "2030-01-07"}, max_redirects=0
    )
    assert r.status == 403


def test_month_calendar_of_runs_planned_runs_and_closed_days(console: Console, page: Page) -> None:
    from dxrpa.store import runs_repo
    from dxrpa.store.base import utcnow

    text = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    register_robots(console.store, [parse_robot("juminhyo_entry.yaml", text)], actor="admin1")
    with console.store.session() as s:
        robot = robots_repo.get_robot(s, "juminhyo_entry")
        version = robots_repo.current_version(s, robot)
        assert version is not None
        runs_repo.create_run(s, robot=robot, version=version, status="failed", created_at=utcnow())
        runs_repo.create_run(s, robot=robot, version=version, status="succeeded", created_at=utcnow())
    tz = ZoneInfo(console.settings.timezone)
    today = datetime.now(tz).date()
    cal = OfficeCalendar(console.settings.calendar)
    day = cal.next_office_day(today, include=False)
    login(page, console, "viewer1")
    page.goto(console.url + "/schedules")
    cell = page.locator(f'#month-calendar td[data-day="{today.isoformat()}"]')
    expect(cell).to_have_class(re.compile("today"))
    expect(cell.locator(".ran.bad")).to_have_text("失敗等 1")
    expect(cell.locator(".ran.ok")).to_have_text("成功 1")
    if day.month != today.month:
        page.click("#month-next")
    planned = page.locator(f'#month-calendar td[data-day="{day.isoformat()}"] .planned')
    expect(planned).to_have_text("予定: juminhyo_entry")
    # a closed day (weekend or holiday) of that month says why and plans nothing
    first = day.replace(day=1)
    closed = next(d for d in (first + timedelta(days=i) for i in range(31)) if cal.closed_reason(d))
    if closed.month == day.month:
        closed_cell = page.locator(f'#month-calendar td[data-day="{closed.isoformat()}"]')
        expect(closed_cell.locator(".closed-reason")).to_have_text(str(cal.closed_reason(closed)))
        expect(closed_cell.locator(".planned")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
