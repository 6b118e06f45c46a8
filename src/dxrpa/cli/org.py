"""CLI: ``dxrpa org check`` — read the organisation tree (configs/org.yaml) and show it with each
課's robots and target, refusing a 課 that robots or the ledger use but the tree lacks."""

from __future__ import annotations

import typer

from dxrpa.app import open_app
from dxrpa.cli.printing import plain_console
from dxrpa.errors import ConfigError
from dxrpa.i18n import tr
from dxrpa.ledger import fiscal_year_of_date, today_local
from dxrpa.reports.data import check_org
from dxrpa.reports.inputs import report_inputs
from dxrpa.reports.numbers import fmt_hours
from dxrpa.store import ledger_repo

console = plain_console()
org_app = typer.Typer(help="組織（局/区 → 部 → 課） / the organisation tree", no_args_is_help=True)


@org_app.command("check")
def org_check() -> None:
    """組織ファイルを検査して表示 / check and show the organisation tree."""
    app = open_app()
    try:
        inputs = report_inputs(app.settings)
        org = inputs.org
        if org is None:
            raise ConfigError(
                tr(
                    f"組織ファイル {app.settings.ledger.org_file} がありません",
                    f"no organisation file {app.settings.ledger.org_file}",
                ),
                hint=tr(
                    "configs/org.example.yaml をコピーして書き換えてください",
                    "copy configs/org.example.yaml and edit it",
                ),
            )
        fy = fiscal_year_of_date(today_local(app.settings.timezone))
        with app.store.session() as session:
            used = sorted(ledger_repo.departments_with_robots(session))
            check_org(org, used)
            targets = {d: h for (d, _y), h in ledger_repo.targets(session, fy).items()}
        leaves = set(org.departments)
        for u in org.units:
            extra = ""
            if u.name in leaves:
                t = targets.get(u.name)
                extra = "  " + (
                    tr(f"目標 {fmt_hours(t)} 時間", f"target {fmt_hours(t)} h")
                    if t is not None
                    else tr("目標未設定", "no target")
                )
                if u.name not in used:
                    extra += tr("  （ロボットなし）", "  (no robots)")
            console.print("  " * u.depth + u.name + extra, markup=False, highlight=False)
        n = len(leaves)
        console.print(
            tr(
                f"{org.source}: {n} 課、目標設定 {sum(1 for d in leaves if d in targets)}/{n} 課",
                f"{org.source}: {n} departments, {sum(1 for d in leaves if d in targets)} with a target",
            ),
            markup=False,
            highlight=False,
        )
    finally:
        app.close()


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
