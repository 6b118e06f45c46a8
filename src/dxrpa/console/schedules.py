"""Schedules: next fire times per robot (the scheduler's own rules and calendar), pause/resume,
and the office calendar whose extra closures an admin adds or removes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.month_calendar import month_grid, month_of
from dxrpa.console.web import ConsoleState, db, flash, posted, redirect, render, require, state
from dxrpa.i18n import tr
from dxrpa.scheduler.calendar import load_calendar
from dxrpa.scheduler.cron_words import cron_in_words
from dxrpa.scheduler.rules import next_firings
from dxrpa.scheduler.service import load_schedules, scheduler_alive
from dxrpa.store import audit_repo
from dxrpa.store.schedule_repo import add_closure, closures, remove_closure, set_paused

WEEKDAYS = "月火水木金土日"
NEXT_RUNS = 3
CALENDAR_DAYS = 62


def _page(st: ConsoleState, month: str | None = None) -> dict[str, Any]:
    tz = ZoneInfo(st.settings.timezone)
    now = datetime.now(tz)
    scheds = load_schedules(st.store)
    with st.store.session() as s:
        cal = load_calendar(st.settings.calendar, s)
        added = closures(s)
        first = month_of(month, now.date())
        calendar = month_grid(s, cal, scheds, first, now, st.settings.timezone)
    robots = []
    for sched in scheds:
        rules = []
        for rule in sched.rules:
            fires = next_firings(rule, cal, now, st.settings.timezone, runs=NEXT_RUNS)
            rules.append(
                {
                    "describe": rule.describe(),
                    "words": cron_in_words(rule.cron) if rule.cron else "",
                    "fires": [
                        {
                            "when": f"{f.when:%Y-%m-%d}({WEEKDAYS[f.when.weekday()]}) {f.when:%H:%M}",
                            "kind": f.kind,
                            "reason": f.reason or "",
                            "planned": f"{f.planned:%m-%d}",
                        }
                        for f in fires
                    ],
                }
            )
        robots.append({"name": sched.robot, "paused": sched.paused, "problem": sched.problem, "rules": rules})
    today = now.date()
    closed = [
        (d, reason)
        for d, reason in cal.days(today, today + timedelta(days=CALENDAR_DAYS))
        if reason is not None and (d.weekday() not in cal.weekend or d in added)
    ]
    return {
        "robots": robots,
        "closed": closed,
        "added": sorted(added.items()),
        "weekdays": WEEKDAYS,
        "alive": scheduler_alive(st.settings, st.store),
        "today": today,
        "calendar": calendar,
    }


async def schedules(request: Request) -> Response:
    user = await require(request)
    data = await db(request, _page, state(request), request.query_params.get("month"))
    return render(request, "schedules.html", user=user, **data)


def _pause(st: ConsoleState, name: str, paused: bool, user: str) -> bool:
    with st.store.session() as s:
        ok = set_paused(s, name, paused)
        if ok:
            audit_repo.append(s, user, "schedule.pause" if paused else "schedule.resume", name, {})
        return ok


async def pause(request: Request) -> Response:
    user, _form = await posted(request, "operator")
    name = str(request.path_params["name"])
    paused = request.path_params["action"] == "pause"
    if await db(request, _pause, state(request), name, paused, user.name):
        flash(
            request,
            f"{name}: " + (tr("一時停止しました", "paused") if paused else tr("再開しました", "resumed")),
        )
    else:
        flash(
            request,
            tr(f"ロボット '{name}' は登録されていません", f"robot '{name}' is not registered"),
            "error",
        )
    return redirect(str(request.url_for("schedules")))


def _close(st: ConsoleState, day: date, reason: str, user: str) -> None:
    with st.store.session() as s:
        add_closure(s, day, reason, user)
        audit_repo.append(s, user, "calendar.close", day.isoformat(), {"reason": reason})


def _open(st: ConsoleState, day: date, user: str) -> bool:
    with st.store.session() as s:
        ok = remove_closure(s, day)
        if ok:
            audit_repo.append(s, user, "calendar.open", day.isoformat(), {})
        return ok


async def closure_add(request: Request) -> Response:
    user, form = await posted(request, "admin")
    try:
        day = date.fromisoformat(str(form.get("day") or "").strip())
    except ValueError:
        flash(request, tr("日付は YYYY-MM-DD で入力してください", "enter the date as YYYY-MM-DD"), "error")
        return redirect(str(request.url_for("schedules")))
    reason = str(form.get("reason") or "").strip()[:200]
    await db(request, _close, state(request), day, reason, user.name)
    flash(request, tr(f"{day} を閉庁日にしました", f"{day} is now closed"))
    return redirect(str(request.url_for("schedules")))


async def closure_remove(request: Request) -> Response:
    user, _form = await posted(request, "admin")
    try:
        day = date.fromisoformat(str(request.path_params["day"]))
    except ValueError:
        return redirect(str(request.url_for("schedules")))
    if await db(request, _open, state(request), day, user.name):
        flash(request, tr(f"{day} の閉庁を取り消しました", f"{day} is open again"))
    return redirect(str(request.url_for("schedules")))
