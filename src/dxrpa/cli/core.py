"""Core commands: ``dxrpa robots …``, ``dxrpa run``, ``dxrpa runs …``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from dxrpa.app import open_app
from dxrpa.cli import ready
from dxrpa.cli.printing import line, plain_console, styled
from dxrpa.cli.progress import run_bar
from dxrpa.cli.timefmt import local
from dxrpa.engine.definitions import parse_robot
from dxrpa.engine.lifecycle import state_text
from dxrpa.errors import DefinitionError, DefinitionErrors, ExitCode, RobotDefect, RunFailed, UsageError
from dxrpa.i18n import tr
from dxrpa.log import redact
from dxrpa.model.status import ItemStatus, RunStatus, status_text
from dxrpa.reports.numbers import fmt_hours
from dxrpa.store import audit_repo, robots_repo

if TYPE_CHECKING:
    from dxrpa.engine.runner import RunSummary

console = plain_console()
robots_app = typer.Typer(
    help="ロボットの検証・登録・一覧 / validate, register and list robots", no_args_is_help=True
)
runs_app = typer.Typer(help="実行履歴 / run history", no_args_is_help=True)


def _robot_files(paths: list[Path]) -> list[Path]:
    if not paths:
        paths = [Path(open_app().settings.robots_dir)]
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
        elif p.exists():
            files.append(p)
        else:  # a wrong argument, not a wrong definition: exit 2
            raise UsageError(
                tr(f"{p}: ファイルがありません", f"{p}: no such file"),
                hint=tr(
                    "パスを確かめてください (例: robots/NAME.yaml)", "check the path, e.g. robots/NAME.yaml"
                ),
            )
    if not files:
        raise UsageError(
            tr("ロボットファイルが見つかりません", "no robot files found"), hint="robots/NAME.yaml"
        )
    return files


@robots_app.command("validate")
def validate(
    paths: list[Path] = typer.Argument(None, help="robot files or folders (default: robots/)"),
) -> None:
    """ロボットファイルを検証します(行番号つきで誤りを表示)/ check robot files, errors with line numbers."""
    bad: list[DefinitionError] = []
    for path in _robot_files(paths or []):
        try:
            loaded = parse_robot(path)
            console.print(line(styled("✓", "green"), f" {path} ({loaded.robot.name})"))
        except DefinitionErrors as exc:
            bad.extend(exc.errors)
        except DefinitionError as exc:
            bad.append(exc)
    if bad:
        raise DefinitionErrors(bad)


@robots_app.command("register")
def register_cmd(
    paths: list[Path] = typer.Argument(..., help="robot files to register"),
    pending: bool = typer.Option(
        False, "--pending", help="register without approving: only dry runs until approved"
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="start the robots' schedules without asking"),
) -> None:
    """ロボットを登録・承認します(変更があれば新しい版)/ register and approve robots (new version on change).

    サーバーで実行できる人(運用者)の登録なので、既定で承認済みになります(監査: OS ユーザー)。
    --pending を付けると承認待ちで登録します。新しく始まる定期実行は表示して確認します
    (--yes で確認なし。端末でなく --yes もないときは一時停止で登録)。
    """
    from dxrpa.cli.schedule_gate import confirm_schedules, hold_schedules, schedules_to_start
    from dxrpa.engine.registry import register_robots

    app = open_app()
    loaded_all = [parse_robot(p) for p in _robot_files(paths)]  # all valid before any is stored
    starting = [] if pending else schedules_to_start(app.store, loaded_all)
    start = confirm_schedules(console, starting, yes=yes)
    for reg in register_robots(app.store, loaded_all, actor=audit_repo.current_actor(), approve=not pending):
        name, number = reg.robot.name, reg.version.version
        if reg.created:
            console.print(
                line(
                    styled(tr("登録しました", "registered"), "green"),
                    tr(f" {name} 版 {number}", f" {name} version {number}"),
                    tr(" (承認待ち)", " (awaiting approval)") if pending else "",
                )
            )
        else:
            console.print(tr(f"変更なし {name} 版 {number}", f"unchanged {name} version {number}"))
        if reg.approved:
            console.print(tr(f"  承認しました: {name} 版 {number}", f"  approved {name} version {number}"))
        elif reg.version.approved_at is None:
            console.print(
                tr(
                    f"  承認待ちです: dxrpa robots approve {name} で本番実行・定期実行が有効になります",
                    f"  awaiting approval: dxrpa robots approve {name} makes runs and schedules live",
                )
            )
    if not start:
        hold_schedules(console, app.store, starting)


@robots_app.command("approve")
def approve_cmd(
    name: str = typer.Argument(..., help="registered robot name"),
    version: int = typer.Option(None, "--version", min=1, help="this version (default: the newest)"),
) -> None:
    """ロボットの版を承認します(本番実行・定期実行・台帳が有効に)/ approve a version for production."""
    from dxrpa.engine.registry import approve_robot

    app = open_app()
    chosen, newly = approve_robot(app.store, name, version, actor=audit_repo.current_actor(), via="cli")
    if newly:
        console.print(
            line(
                styled(tr("承認しました", "approved"), "green"),
                tr(f" {name} 版 {chosen.version}", f" {name} version {chosen.version}"),
            )
        )
    else:
        console.print(
            tr(
                f"{name} 版 {chosen.version} は承認済みです ({chosen.approved_by})",
                f"{name} version {chosen.version} was already approved ({chosen.approved_by})",
            )
        )


@robots_app.command("pending")
def pending_cmd(
    diff: bool = typer.Option(False, "--diff", help="print each pending change as a diff"),
) -> None:
    """承認待ちの版の一覧 / versions awaiting approval."""
    from dxrpa.engine.approval import yaml_diff

    app = open_app()
    with app.store.session() as s:
        rows = robots_repo.pending(s)
    table = Table(
        tr("ロボット", "robot"),
        tr("承認待ちの版", "pending version"),
        tr("登録者", "registered by"),
        tr("登録日時", "registered"),
        tr("本番の版", "live version"),
    )
    for robot, newest, live in rows:
        table.add_row(
            robot.name,
            str(newest.version),
            newest.registered_by,
            local(newest.registered_at, app.settings.timezone),
            str(live.version) if live else "-",
        )
    console.print(table)
    if not rows:
        console.print(tr("承認待ちの版はありません", "no versions await approval"))
    if diff:
        for robot, newest, live in rows:
            old, label = (live.yaml_text, f"{robot.name} v{live.version}") if live else ("", "(none)")
            for kind, line in yaml_diff(old, newest.yaml_text, label, f"{robot.name} v{newest.version}"):
                style = {"add": "green", "del": "red", "hunk": "cyan"}.get(kind)
                console.print(line, style=style, markup=False, highlight=False)


@robots_app.command("list")
def list_robots() -> None:
    """登録済みロボットの一覧 / registered robots."""
    app = open_app()
    with app.store.session() as s:
        rows = robots_repo.list_robots(s)
        live = {r.id: v.version for r, v in robots_repo.approved_versions(s)}
        table = Table(
            tr("ロボット", "robot"),
            tr("業務", "title"),
            tr("課", "department"),
            tr("版", "version"),
            tr("承認済みの版", "approved"),
            tr("最終実行", "last run"),
            tr("結果", "result"),
        )
        for robot, last in rows:
            approved = live.get(robot.id)
            table.add_row(
                robot.name + ("" if robot.state == "active" else f" ({state_text(robot.state)})"),
                robot.title,
                robot.department,
                str(robot.current_version),
                (str(approved) if approved else "-")
                + ("" if approved == robot.current_version else tr(" (承認待ちあり)", " (pending)")),
                local(last.created_at if last else None, app.settings.timezone),
                status_text(last.status) if last else "-",
            )
    console.print(table)


@robots_app.command("show")
def show(name: str, version: int = typer.Option(None, help="a past version")) -> None:
    """ロボットの版と内容を表示 / show a robot's versions and file."""
    app = open_app()
    with app.store.session() as s:
        robot = robots_repo.get_robot(s, name)
        versions = robots_repo.versions(s, robot)
    for v in versions:
        mark = "*" if v.version == robot.current_version else " "
        when = local(v.registered_at, app.settings.timezone)
        approval = (
            tr(f"承認: {v.approved_by}", f"approved by {v.approved_by}")
            if v.approved_at
            else tr("承認待ち", "pending")
        )
        console.print(
            f"{mark} v{v.version}  {when}  {v.registered_by}  {v.content_hash[:12]}  {approval}",
            highlight=False,
        )
    chosen = next((v for v in versions if v.version == (version or robot.current_version)), None)
    if chosen is None:
        raise UsageError(tr(f"版 {version} はありません", f"no version {version}"))
    console.print(chosen.yaml_text, markup=False, highlight=False)


@robots_app.command("schema")
def schema() -> None:
    """エディタ補完用の JSON Schema を出力 / print the JSON Schema of robot files for editors."""
    from dxrpa.model.schema_help import robot_json_schema

    typer.echo(json.dumps(robot_json_schema(), ensure_ascii=False, indent=2))


def _print_summary(summary: RunSummary) -> None:
    sm = summary
    skipped_ja = f"、スキップ {sm.items_skipped}" if sm.items_skipped else ""
    skipped_en = f", skipped {sm.items_skipped}" if sm.items_skipped else ""
    if sm.defect is not None:  # the item it stopped at went back to pending: say so, it is not "done"
        skipped_ja += "、ロボット定義の誤りで中止 1"
        skipped_en += ", stopped by a robot defect 1"
    console.print(
        tr(
            f"実行 {sm.run_id}: {status_text(sm.status)} — 対象 {sm.items_total} 件、完了 {sm.items_done}、"
            f"業務エラー {sm.items_business_error}、システムエラー {sm.items_system_error}{skipped_ja}"
            f" ({sm.seconds:.1f} 秒)",
            f"run {sm.run_id}: {sm.status} — {sm.items_total} items, done {sm.items_done}, "
            f"business errors {sm.items_business_error}, system errors {sm.items_system_error}{skipped_en}"
            f" ({sm.seconds:.1f} s)",
        )
    )
    if summary.not_taken:
        console.print(summary.not_taken_text(), highlight=False)
    for o in summary.outcomes:
        if o.status not in (ItemStatus.DONE, ItemStatus.SKIPPED):
            console.print(  # keys that are personal data arrive hashed; messages pass the redactor again
                line(
                    "  ",
                    styled(o.key, "yellow"),
                    f": {status_text(o.status)} — {redact(o.message or '')}"
                    + (f" [{o.step}]" if o.step else ""),
                ),
                highlight=False,
            )
    console.print(tr(f"記録: {summary.folder}", f"files: {summary.folder}"))


def run_command(
    name: str = typer.Argument(..., help="registered robot name"),
    data: Path = typer.Option(None, "--data", help="use this Excel/CSV instead of the robot's data:"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="the newest version, stopping at the steps marked submit (never entered)"
    ),
    no_submit_ok: bool = typer.Option(
        False, "--no-submit-steps-ok", help="dry-run a robot that has no submit: step (it submits nothing)"
    ),
    test: bool = typer.Option(False, "--test", help="a test run: recorded, never counted in the ledger"),
    headed: bool = typer.Option(False, "--headed", help="show the browser window"),
    limit: int = typer.Option(None, "--limit", min=1, help="at most N items"),
    workers: int = typer.Option(1, "--workers", min=1, max=16, help="parallel browser contexts"),
    resume: bool = typer.Option(
        True, "--resume/--no-resume", help="check interrupted items with verify: first"
    ),
    reprocess: list[str] = typer.Option(None, "--reprocess", help="enter this key again even if done"),
    now: bool = typer.Option(
        False, "--now", help="queue the run through the scheduler instead of running here"
    ),
    unit: str = typer.Option(None, "--unit", help="共有ロボットを実行する区 / the 区 of a shared robot"),
) -> None:
    """ロボットを実行します(承認済みの最新版、--dry-run は最新版)/ run a robot (newest approved version)."""
    if now and unit:
        raise UsageError(
            tr("--unit は --now と一緒には使えません", "--unit cannot be combined with --now"),
            hint=tr("--now を外してこの場で実行してください", "run it here without --now"),
        )
    app = open_app()
    if now:
        from dxrpa.scheduler.service import enqueue_now

        ref = enqueue_now(app.settings, name)
        console.print(tr(f"実行を依頼しました: {ref}", f"run queued: {ref}"))
        return
    from dxrpa.engine.runner import RunOptions, run_robot
    from dxrpa.notify.hooks import after_run
    from dxrpa.store.runs_repo import new_run_id

    ready()  # imports done: the cyclic GC runs again during the items (dxrpa.entry)
    opts = RunOptions(
        trigger="manual",
        dry_run=dry_run,
        test=test,
        limit=limit,
        workers=workers,
        resume=resume,
        reprocess=tuple(reprocess or ()),
        data=data,
        headed=headed,
        requested_by=audit_repo.current_actor(),
        allow_no_submit=no_submit_ok,
        run_id=new_run_id(app.settings.timezone),
        unit=unit,
    )
    with run_bar(console, name) as (on_total, on_item):
        opts.on_total = on_total
        try:
            summary = run_robot(app.settings, name, options=opts, progress=on_item, store=app.store)
        finally:  # the run is closed: notifications (rules for trigger "manual"); never raises
            after_run(app.settings, opts.run_id or "", app.store)
    _print_summary(summary)
    if summary.status == RunStatus.CANCELLED:  # SIGINT/SIGTERM or a cancel from the console
        console.print(
            tr(
                "取り消しました (未処理の項目は次回の実行で処理します)",
                "cancelled (items not done stay pending)",
            )
        )
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if summary.defect is not None:
        raise RobotDefect(str(summary.defect), step=summary.defect.step)
    if summary.items_failed:
        raise RunFailed(
            tr(f"{summary.items_failed} 件が失敗しました", f"{summary.items_failed} item(s) failed"),
            hint=f"dxrpa runs show {summary.run_id}",
        )


def demo_command(
    folder: Path = typer.Option(Path("dxrpa-demo"), "--dir", help="demo folder (recreated)"),
    forms: int = typer.Option(20, "--forms", min=2, max=500, help="scanned applications to render"),
    workers: int = typer.Option(2, "--workers", min=1, max=8),
    keep_serving: bool = typer.Option(False, "--keep-serving", help="keep the sample app up to inspect it"),
) -> None:
    """デモ: スキャン → AI-OCR → 確認 → 入力ロボット → 台帳 → 年度レポート / the whole job end to end."""
    from dxrpa.demo.run import run_demo

    result, sample = run_demo(
        folder,
        forms=forms,
        workers=workers,
        keep_app=keep_serving,
        say=lambda text: console.print(text, markup=False, highlight=False),
    )
    r = result
    console.print(line("\n", styled(tr("デモの結果", "Demo summary"), "bold")))
    rows = [
        (
            tr("申請書(スキャン)", "scanned forms"),
            f"{r.forms + r.unreadable}"
            + tr(f"(うち読取不可 {r.ocr_failed})", f" ({r.ocr_failed} unreadable)"),
        ),
        (
            tr("AI-OCR", "AI-OCR"),
            tr(
                f"自動受理 {r.ocr_ok} / 要確認 {r.ocr_review} ({r.reviewed_fields} 項目、"
                f"{r.review_minutes:.1f} 分)",
                f"{r.ocr_ok} auto-accepted / {r.ocr_review} reviewed ({r.reviewed_fields} "
                f"fields, {r.review_minutes:.1f} min)",
            ),
        ),
        (
            tr("ロボット入力", "entered by the robot"),
            tr(
                f"完了 {r.run.items_done} / 業務エラー {r.run.items_business_error} / システムエラー "
                f"{r.run.items_system_error}",
                f"done {r.run.items_done} / business errors {r.run.items_business_error} / system errors "
                f"{r.run.items_system_error}",
            ),
        ),
        (
            tr("システム側の確認", "checked in the app"),
            tr(
                f"1 回だけ登録 {r.entered_once} 件、二重登録 {r.entered_twice} 件、"
                f"未登録 {len(r.missing)} 件",
                f"entered once {r.entered_once}, twice {r.entered_twice}, missing {len(r.missing)}",
            ),
        ),
        (tr("削減時間(正味)", "hours saved (net)"), f"{fmt_hours(r.saved_hours)} h"),  # the reports' rule
        (tr("レポート", "reports"), f"{r.report_xlsx}\n{r.report_html}"),
        (tr("フォルダ", "folder"), f"{r.folder.resolve()} ({r.seconds:.0f} s)"),
    ]
    table = Table(show_header=False)
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)
    if sample is not None:
        console.print(
            tr(
                f"サンプルシステム: {sample.url} (ユーザー staff01 / demo-pass、Ctrl+C で終了)",
                f"sample app: {sample.url} (user staff01 / demo-pass; Ctrl+C to stop)",
            )
        )
        try:
            import time

            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sample.stop()
    if r.entered_twice or r.missing:
        raise RunFailed(tr("入力の確認で不一致がありました", "the entry check found a mismatch"))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("demo")(demo_command)
    app.add_typer(robots_app, name="robots")
    from dxrpa.cli import robot_lifecycle, runs_view

    robot_lifecycle.add_commands(robots_app)
    runs_view.add_commands(runs_app)
    app.add_typer(runs_app, name="runs")
    app.command("run")(run_command)
