"""``dxrpa robots disable|enable|archive NAME``: a robot's lifecycle, audited (OS user)."""

from __future__ import annotations

import typer

from dxrpa.app import open_app
from dxrpa.cli.printing import line, plain_console, styled
from dxrpa.engine.lifecycle import set_state, state_text
from dxrpa.i18n import tr
from dxrpa.store import audit_repo

console = plain_console()


def _apply(name: str, action: str) -> None:
    app = open_app()
    state, changed = set_state(app.store, name, action, actor=audit_repo.current_actor(), via="cli")
    if not changed:
        console.print(tr(f"{name} はすでに{state_text(state)}です", f"{name} is already {state_text(state)}"))
        return
    console.print(line(styled(state_text(state), "green" if state == "active" else "yellow"), f": {name}"))
    if state != "active":
        console.print(
            tr(
                f"  実行と定期実行を止めました (再開: dxrpa robots enable {name})",
                f"  runs and schedules are refused (undo: dxrpa robots enable {name})",
            )
        )


def disable(name: str = typer.Argument(..., help="registered robot name")) -> None:
    """ロボットを停止します(実行・定期実行を拒否)/ disable a robot: runs and schedules refused."""
    _apply(name, "disable")


def enable(name: str = typer.Argument(..., help="registered robot name")) -> None:
    """停止・アーカイブしたロボットを再開します / enable a disabled or archived robot."""
    _apply(name, "enable")


def archive(name: str = typer.Argument(..., help="registered robot name")) -> None:
    """ロボットをアーカイブします(履歴・台帳は残ります)/ archive a robot (history and ledger kept)."""
    _apply(name, "archive")


def add_commands(app: typer.Typer) -> None:
    app.command("disable")(disable)
    app.command("enable")(enable)
    app.command("archive")(archive)
