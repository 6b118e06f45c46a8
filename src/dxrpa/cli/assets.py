"""``dxrpa assets set|list|delete``: per-environment values (本番 / 検証) of robots' ``env:`` names."""

from __future__ import annotations

import typer
from rich.table import Table

from dxrpa.app import open_app
from dxrpa.cli.printing import line, plain_console, styled
from dxrpa.cli.timefmt import local
from dxrpa.engine.assets import check_asset, environment_of, environment_text
from dxrpa.i18n import tr
from dxrpa.store import assets_repo, audit_repo

console = plain_console()
assets_app = typer.Typer(
    help="アセット: 本番/検証ごとの env: の値 / per-environment values of env: names", no_args_is_help=True
)
ENV_HELP = "本番 (production) | 検証 (staging); default: settings.environment"


def _environment(word: str | None) -> str:
    return environment_of(word) if word else open_app().settings.environment


@assets_app.command("set")
def assets_set(
    name: str = typer.Argument(..., help="env: name, e.g. APP_URL"),
    value: str = typer.Argument(..., help="the value (not a secret: use dxrpa secrets set)"),
    env: str = typer.Option(None, "--env", help=ENV_HELP),
) -> None:
    """アセットの値を設定します(監査されます)/ set an asset's value (audited)."""
    check_asset(name, value)
    environment = _environment(env)
    app = open_app()
    with app.store.session() as s:
        created = assets_repo.put(s, name, environment, value, actor=audit_repo.current_actor(), via="cli")
    done = tr("追加しました", "added") if created else tr("更新しました", "updated")
    console.print(line(styled(done, "green"), f" {name} ({environment_text(environment)})"))


@assets_app.command("list")
def assets_list() -> None:
    """アセットの一覧 / every asset, by environment."""
    app = open_app()
    with app.store.session() as s:
        rows = assets_repo.list_assets(s)
    table = Table(tr("名前", "name"), tr("環境", "environment"), tr("値", "value"), tr("更新", "updated"))
    for a in rows:
        mark = " *" if a.environment == app.settings.environment else ""
        updated = f"{local(a.updated_at, app.settings.timezone)} {a.updated_by}"
        table.add_row(a.name, environment_text(a.environment) + mark, a.value, updated)
    console.print(table)
    current = environment_text(app.settings.environment)
    console.print(tr(f"実行が使う環境: {current} (*)", f"runs use: {current} (*)"))


@assets_app.command("delete")
def assets_delete(
    name: str = typer.Argument(..., help="env: name"),
    env: str = typer.Option(None, "--env", help=ENV_HELP),
) -> None:
    """アセットを削除します / delete an asset."""
    environment = _environment(env)
    app = open_app()
    with app.store.session() as s:
        removed = assets_repo.remove(s, name, environment, actor=audit_repo.current_actor(), via="cli")
    if removed:
        console.print(tr(f"削除しました {name} ({environment_text(environment)})", f"deleted {name}"))
    else:
        console.print(tr(f"{name} ({environment_text(environment)}) はありません", f"no asset {name}"))


def register(app: typer.Typer) -> None:
    app.add_typer(assets_app, name="assets")
