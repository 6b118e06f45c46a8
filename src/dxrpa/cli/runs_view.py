"""``dxrpa runs list`` and ``dxrpa runs show``: run ids that copy whole at 80 columns, status
filters, and each attempt's own outputs and evidence (outputs declared ``pii: true`` stay masked)."""

from __future__ import annotations

import typer
from rich.table import Table

from dxrpa.app import open_app
from dxrpa.cli.printing import plain_console
from dxrpa.cli.timefmt import local
from dxrpa.engine.pii import shown_output
from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.model.status import RUN_STATUSES, run_status_of, status_text
from dxrpa.store import runs_repo
from dxrpa.store.tables import Run

console = plain_console()


def _statuses(words: list[str]) -> list[str]:
    chosen: list[str] = []
    for word in words:
        for part in word.split(","):
            status = run_status_of(part)
            if status is None:
                raise UsageError(
                    tr(f"--status {part}: その結果はありません", f"--status {part}: no such status"),
                    hint=tr("使える値: ", "one of: ") + ", ".join(RUN_STATUSES),
                )
            chosen.append(status)
    return chosen


def runs_list(
    robot: str = typer.Option(None, help="only this robot"),
    status: list[str] = typer.Option(
        None, "--status", help="only runs in this status (failed, partial, succeeded, …; repeatable)"
    ),
    limit: int = typer.Option(20, min=1),
) -> None:
    """最近の実行(--status failed で絞り込み)/ recent runs (filter with --status failed)."""
    statuses = _statuses(status or [])
    app = open_app()
    with app.store.session() as s:
        rows = runs_repo.list_runs(s, robot=robot, limit=limit, status=statuses)
    table = Table(
        "run",
        tr("ロボット", "robot"),
        tr("開始", "started"),
        tr("結果", "status"),
        tr("完了/業務/システム", "done/biz/sys"),
        tr("種別", "trigger"),
    )
    table.columns[0].no_wrap = True  # the id is copied from here: never folded or cut
    table.columns[0].min_width = 22
    for run, name in rows:
        table.add_row(
            run.id,
            name,
            local(run.started_at or run.created_at, app.settings.timezone, "%m-%d %H:%M"),
            status_text(run.status) + (tr(" (ドライラン)", " (dry)") if run.dry_run else ""),
            f"{run.items_done}/{run.items_business_error}/{run.items_system_error}",
            run.trigger,
        )
    console.print(table)
    if not rows:
        console.print(tr("該当する実行はありません", "no matching runs"))


def _outputs_text(outputs: dict[str, object] | None) -> str:
    return "\n".join(f"{k}={shown_output(v)}" for k, v in (outputs or {}).items())


def runs_show(run_id: str = typer.Argument(..., help="a run id, or a unique part of it")) -> None:
    """実行の項目・試行・出力・証跡 / a run's items, attempts, outputs and evidence."""
    app = open_app()
    with app.store.session() as s:
        found = runs_repo.resolve_run_id(s, run_id)
        run = s.get(Run, found) if found else None
        if run is None:
            raise UsageError(tr(f"実行 {run_id} はありません", f"no run {run_id}"), hint="dxrpa runs list")
        attempts = runs_repo.attempts_of(s, run.id)
    console.print(f"run {run.id}: {status_text(run.status)}  {run.folder}", highlight=False)
    if run.error_message:
        console.print(f"  {run.error_message}", highlight=False)
    table = Table(
        tr("キー", "key"),
        tr("試行", "try"),
        tr("結果", "status"),
        tr("ステップ", "step"),
        tr("内容", "message"),
        tr("出力", "outputs"),
        tr("証跡", "evidence"),
    )
    for a in attempts:  # each attempt with its own evidence; a verify attempt has none of its own
        table.add_row(
            a.key,
            str(a.attempt),
            status_text(a.status),
            a.error_step or "",
            a.error_message or "",
            _outputs_text(a.outputs),
            "\n".join(x for x in (a.screenshot, a.trace) if x),
        )
    console.print(table)


def add_commands(app: typer.Typer) -> None:
    app.command("list")(runs_list)
    app.command("show")(runs_show)
