"""CLI of the scheduler feature: ``scheduler run``, ``worker``, ``schedule …``, ``calendar …``."""

from __future__ import annotations

import getpass
import signal
import threading
from datetime import date, datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text

from dxrpa.app import open_app
from dxrpa.cli.printing import line, plain_console, styled
from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.scheduler.calendar import load_calendar
from dxrpa.scheduler.child import DEFAULT_TARGET
from dxrpa.scheduler.cron_words import cron_in_words
from dxrpa.scheduler.rules import Firing, firings_between, next_firings
from dxrpa.scheduler.service import load_schedules, run_scheduler, scheduler_alive
from dxrpa.store.schedule_repo import add_closure, list_events, remove_closure, set_paused

console = plain_console()
_WD = "月火水木金土日"


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            tr(f"'{text}' は日付ではありません", f"'{text}' is not a date"),
            hint=tr("YYYY-MM-DD で書いてください (例: 2026-08-14)", "write YYYY-MM-DD, e.g. 2026-08-14"),
        ) from None


def _fmt(f: Firing) -> Text:
    local = f.when
    text = f"{local:%Y-%m-%d}({_WD[local.weekday()]}) {local:%H:%M}"
    if f.kind == "skip":
        return styled(f"{text} {tr('休止', 'skipped')}: {f.reason}", "dim")
    if f.kind == "moved":
        return line(text, " ", styled(f"← {f.planned:%m-%d} {f.reason}", "yellow"))
    return Text(text)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


sched_app = typer.Typer(
    help="スケジューラ (1 データベースに 1 プロセス) / the scheduler process (one per database)",
    no_args_is_help=True,
)
schedule_app = typer.Typer(
    help="スケジュールの一覧・予定・一時停止 / list, preview, pause robot schedules", no_args_is_help=True
)
cal_app = typer.Typer(help="開庁日カレンダー / office calendar", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(sched_app, name="scheduler")
    app.add_typer(schedule_app, name="schedule")
    app.add_typer(cal_app, name="calendar")
    app.command("worker")(worker)


@sched_app.command("run")
def scheduler_run(
    standby: bool = typer.Option(
        False, "--standby", help=tr("ロック保持中なら待機する", "wait while another holds the lock")
    ),
    job_target: str = typer.Option(DEFAULT_TARGET, "--job-target", hidden=True),
) -> None:
    """スケジューラを起動する / run the scheduler (SIGTERM stops it cleanly)."""
    with open_app() as dx:
        stop = _stop_on_signals()
        console.print(
            tr("スケジューラを起動します", "starting the scheduler") + f" ({dx.settings.timezone}, "
            f"executor={dx.settings.scheduler.executor})"
        )
        waited = {"shown": False}

        def on_wait(holder: str) -> None:
            if not waited["shown"]:
                console.print(
                    tr(f"待機中: ロックは {holder} が保持しています", f"standby: lock held by {holder}")
                )
                waited["shown"] = True

        run_scheduler(dx.settings, dx.store, standby=standby, stop=stop, target=job_target, on_wait=on_wait)


def worker(
    concurrency: int = typer.Option(1, "--concurrency", "-c", min=1, help=tr("同時実行数", "parallel runs")),
    job_target: str = typer.Option(DEFAULT_TARGET, "--job-target", hidden=True),
) -> None:
    """procrastinate ワーカーを起動する / run a worker that executes queued runs (PostgreSQL)."""
    from dxrpa.scheduler.queue import conninfo, run_worker

    with open_app() as dx:
        conninfo(dx.settings)  # clear error on SQLite
        dx.store  # noqa: B018 - creates dxrpa's own tables
        run_worker(dx.settings, concurrency=concurrency, target=job_target)


@schedule_app.command("list")
def schedule_list(
    count: int = typer.Option(5, "--next", help=tr("表示する実行回数", "runs to show")),
) -> None:
    """全ロボットのスケジュールと次回実行 / every robot's rules and next fire times."""
    with open_app() as dx:
        with dx.store.session() as s:
            cal = load_calendar(dx.settings.calendar, s)
        now = datetime.now(ZoneInfo(dx.settings.timezone))
        table = Table(title=tr("スケジュール", "schedules"))
        table.add_column(tr("ロボット", "robot"))
        table.add_column(tr("状態", "state"))
        table.add_column(tr("ルール", "rule"))
        table.add_column(tr(f"次の{count}回 (休止日も表示)", f"next {count} runs (skipped days shown)"))
        for sched in load_schedules(dx.store, dx.settings):
            state = tr("一時停止", "paused") if sched.paused else tr("有効", "active")
            if sched.problem:
                table.add_row(sched.robot, styled(tr("エラー", "error"), "red"), sched.problem, "")
                continue
            if not sched.rules:
                table.add_row(sched.robot, state, tr("(なし)", "(none)"), "")
            for i, rule in enumerate(sched.rules):
                if i in sched.rule_problems:  # a shared robot's 区 that cannot run: not scheduled
                    bad = styled(tr("エラー", "error"), "red")
                    table.add_row(sched.robot if i == 0 else "", bad, sched.rule_problems[i], "")
                    continue
                fires = next_firings(rule, cal, now, dx.settings.timezone, runs=count)
                table.add_row(
                    sched.robot if i == 0 else "",
                    state if i == 0 else "",
                    rule.describe() + (f"\n{cron_in_words(rule.cron)}" if rule.cron else ""),
                    Text("\n").join(_fmt(f) for f in fires),
                )
        console.print(table)
        alive = scheduler_alive(dx.settings, dx.store)
        stopped = line(styled(tr("停止中", "not running"), "red"), " (dxrpa scheduler run)")
        console.print(
            line(tr("スケジューラ: ", "scheduler: "), tr("稼働中", "running") if alive else stopped)
        )


@schedule_app.command("preview")
def schedule_preview(
    name: str = typer.Argument(..., help=tr("ロボット名", "robot name")),
    days: int = typer.Option(90, "--days", min=1, max=3660),
) -> None:
    """今後 N 日の実行予定 / the firings of one robot over the next N days."""
    with open_app() as dx:
        sched = next((x for x in load_schedules(dx.store) if x.robot == name), None)
        if sched is None:
            raise UsageError(
                tr(f"ロボット '{name}' は登録されていません", f"robot '{name}' is not registered")
            )
        with dx.store.session() as s:
            cal = load_calendar(dx.settings.calendar, s)
        now = datetime.now(ZoneInfo(dx.settings.timezone))
        merged: list[tuple[Firing, int]] = []
        for i, rule in enumerate(sched.rules):
            merged += [
                (f, i)
                for f in firings_between(rule, cal, now, now + timedelta(days=days), dx.settings.timezone)
            ]
        merged.sort(key=lambda x: x[0].when)
        runs = sum(1 for f, _ in merged if f.runs)
        paused = styled(f" ({tr('一時停止中', 'paused')})", "yellow") if sched.paused else ""
        console.print(
            line(
                styled(name, "bold"),
                f" — {tr('今後', 'next')} {days} {tr('日', 'days')}: {runs} {tr('回実行', 'runs')}",
                paused,
            )
        )
        for f, i in merged:
            console.print(line(f"  #{i + 1} ", _fmt(f)))


def _pause(name: str, paused: bool) -> None:
    with open_app() as dx:
        with dx.store.session() as s:
            if not set_paused(s, name, paused):
                raise UsageError(
                    tr(f"ロボット '{name}' は登録されていません", f"robot '{name}' is not registered")
                )
        console.print(
            f"{name}: " + (tr("一時停止しました", "paused") if paused else tr("再開しました", "resumed"))
        )


@schedule_app.command("pause")
def schedule_pause(name: str) -> None:
    """スケジュール実行を一時停止 / stop scheduled runs of a robot."""
    _pause(name, True)


@schedule_app.command("resume")
def schedule_resume(name: str) -> None:
    """一時停止を解除 / resume scheduled runs."""
    _pause(name, False)


@schedule_app.command("events")
def schedule_events(
    name: str = typer.Argument(None, help=tr("ロボット名 (省略で全部)", "robot (all when omitted)")),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """発火・実行・休止・ミスファイアの記録 / what the scheduler did and why."""
    with open_app() as dx:
        tz = ZoneInfo(dx.settings.timezone)
        with dx.store.session() as s:
            rows = list_events(s, robot=name, limit=1_000_000)[-limit:]
        table = Table()
        for col in (
            tr("時刻", "at"),
            tr("ロボット", "robot"),
            tr("種類", "kind"),
            tr("予定", "planned"),
            "run",
            tr("詳細", "detail"),
        ):
            table.add_column(col)
        for e in rows:
            planned = f"{e.planned_at.astimezone(tz):%m-%d %H:%M:%S}" if e.planned_at else ""
            table.add_row(
                f"{e.at.astimezone(tz):%Y-%m-%d %H:%M:%S}",
                e.robot,
                e.kind,
                planned,
                (e.run_id or "")[:8],
                e.detail,
            )
        console.print(table)


@cal_app.command("show")
def calendar_show(year: int = typer.Argument(..., min=1990, max=2200)) -> None:
    """年間の開庁日数と閉庁日 / office days per month and every closed weekday of a year."""
    with open_app() as dx:
        with dx.store.session() as s:
            cal = load_calendar(dx.settings.calendar, s)
        table = Table(title=tr(f"{year}年 開庁日カレンダー", f"office calendar {year}"))
        table.add_column(tr("月", "month"), justify="right")
        table.add_column(tr("開庁日", "office days"), justify="right")
        table.add_column(tr("最初/最後の開庁日", "first/last office day"))
        table.add_column(tr("土日以外の閉庁日", "closed weekdays"))
        for month in range(1, 13):
            office = cal.office_days_in_month(year, month)
            last = (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            closed = [
                f"{d.day}日({_WD[d.weekday()]}) {reason}"
                for d, reason in cal.days(date(year, month, 1), last)
                if reason is not None and (d.weekday() not in cal.weekend or d in cal.closures)
            ]
            span = f"{office[0]:%m-%d} / {office[-1]:%m-%d}" if office else "-"
            table.add_row(str(month), str(len(office)), span, "\n".join(closed))
        console.print(table)


@cal_app.command("close")
def calendar_close(
    day: str = typer.Argument(..., help="YYYY-MM-DD"),
    reason: str = typer.Option("", "--reason", help=tr("理由 (例: 庁舎停電)", "why (e.g. power outage)")),
) -> None:
    """閉庁日を追加 (スケジュールが移動/休止する) / add a closed day."""
    d = _parse_day(day)
    with open_app() as dx:
        with dx.store.session() as s:
            add_closure(s, d, reason, getpass.getuser())
        console.print(tr(f"{d} を閉庁日にしました", f"{d} is now closed") + (f": {reason}" if reason else ""))


@cal_app.command("open")
def calendar_open(day: str = typer.Argument(..., help="YYYY-MM-DD")) -> None:
    """追加した閉庁日を取り消す / remove a closure."""
    d = _parse_day(day)
    with open_app() as dx:
        with dx.store.session() as s:
            removed = remove_closure(s, d)
        if not removed:
            raise UsageError(
                tr(f"{d} は追加された閉庁日ではありません", f"{d} is not a closure"),
                hint=tr("祝日・土日・年末年始は設定で決まります", "holidays/weekends come from the settings"),
            )
        console.print(tr(f"{d} の閉庁を取り消しました", f"{d} is open again"))
