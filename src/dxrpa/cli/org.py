"""CLI: ``dxrpa org check`` — read the organisation tree (configs/org.yaml) and show it with each
課's robots and target, refusing a 課 that robots or the ledger use but the tree lacks; and
``dxrpa org show|add|rename|move|remove`` to edit it (checked, atomic, audited: reports.org_admin)."""

from __future__ import annotations

import typer

from dxrpa.app import open_app
from dxrpa.cli.printing import plain_console
from dxrpa.errors import ConfigError, UsageError
from dxrpa.i18n import tr
from dxrpa.ledger import fiscal_year_of_date, today_local
from dxrpa.orgedit import MAX_DEPTH, level_name
from dxrpa.orgtree import OrgTree, load_org
from dxrpa.reports.data import check_org
from dxrpa.reports.inputs import report_inputs
from dxrpa.reports.numbers import fmt_hours
from dxrpa.reports.org_admin import org_add, org_move, org_path, org_remove, org_rename
from dxrpa.store import audit_repo, ledger_repo

console = plain_console()
org_app = typer.Typer(help="組織（局/区 → 部 → 課） / the organisation tree", no_args_is_help=True)


@org_app.command("check")
def org_check() -> None:
    """組織ファイルを検査して表示 / check and show the organisation tree."""
    with open_app() as app:
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
        from dxrpa.engine.units import departments_with_robots  # engine only for the check

        with app.store.session() as session:
            used = sorted(departments_with_robots(session, org))
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


def _show(tree: OrgTree) -> None:
    leaves = set(tree.departments)
    for u in tree.units:
        level = level_name(u.depth) if u.name not in leaves else level_name(MAX_DEPTH - 1)
        console.print(f"{'  ' * u.depth}{u.name}  [{level}]", markup=False, highlight=False)
    console.print(
        tr(
            f"{tree.source}: {len(tree.units)} 件（課 {len(leaves)}）",
            f"{tree.source}: {len(tree.units)} units ({len(leaves)} departments)",
        ),
        markup=False,
        highlight=False,
    )


@org_app.command("show")
def org_show() -> None:
    """組織を表示 / show the organisation tree."""
    with open_app() as app:
        tree = load_org(org_path(app.settings))
        if tree is None:
            raise UsageError(
                tr(f"組織ファイル {org_path(app.settings)} がありません", "no organisation file"),
                hint=tr("`dxrpa org add 市民局` で作れます", "create it with `dxrpa org add 市民局`"),
            )
        _show(tree)


def _done(tree: OrgTree, ja: str, en: str) -> None:
    console.print(tr(ja, en), markup=False, highlight=False)
    _show(tree)


UNDER = typer.Option(None, "--under", help="親（局/区 か 部）/ the parent (a 局/区 or 部); none: a new 局/区")


@org_app.command("add")
def org_add_cmd(name: str = typer.Argument(..., help="名前 / name"), under: str | None = UNDER) -> None:
    """局/区・部・課を追加 / add a unit."""
    with open_app() as app:
        tree = org_add(app.settings, app.store, name, under, actor=audit_repo.current_actor())
        _done(tree, f"「{name}」を追加しました", f"added {name!r}")


@org_app.command("rename")
def org_rename_cmd(
    old: str = typer.Argument(..., help="今の名前 / current name"),
    new: str = typer.Argument(..., help="新しい名前 / new name"),
) -> None:
    """名前を変更 / rename a unit (a 課 robots or the ledger use keeps its name)."""
    with open_app() as app:
        tree = org_rename(app.settings, app.store, old, new, actor=audit_repo.current_actor())
        _done(tree, f"「{old}」を「{new}」に変更しました", f"renamed {old!r} to {new!r}")


@org_app.command("move")
def org_move_cmd(name: str = typer.Argument(..., help="名前 / name"), under: str | None = UNDER) -> None:
    """下の組織ごと別の親へ移動 / move a unit (with everything under it)."""
    with open_app() as app:
        tree = org_move(app.settings, app.store, name, under, actor=audit_repo.current_actor())
        where = under or tr("最上位", "the top")
        _done(tree, f"「{name}」を {where} の下へ移動しました", f"moved {name!r} under {where}")


@org_app.command("remove")
def org_remove_cmd(name: str = typer.Argument(..., help="名前 / name")) -> None:
    """削除（下に組織がなく、ロボット・台帳が使っていないものだけ）/ remove an unused unit."""
    with open_app() as app:
        tree = org_remove(app.settings, app.store, name, actor=audit_repo.current_actor())
        _done(tree, f"「{name}」を削除しました", f"removed {name!r}")


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
