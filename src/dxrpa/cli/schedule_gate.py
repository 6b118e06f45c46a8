"""Registering never starts a robot's schedule silently (issue 14).

``dxrpa robots register`` shows the rules a file would start and asks; without a terminal and
without ``--yes`` the version is registered but the robot's schedule is paused, with the command
that starts it. Schedules that are already running are left as they are.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from dxrpa.engine.definitions import LoadedRobot
from dxrpa.i18n import tr
from dxrpa.scheduler.service import load_schedules
from dxrpa.store import Store
from dxrpa.store.schedule_repo import set_paused


def schedules_to_start(store: Store, loaded: list[LoadedRobot]) -> list[LoadedRobot]:
    """The robots whose rules would become active now (not yet running, and not paused)."""
    current = {s.robot: s for s in load_schedules(store)}
    out = []
    for item in loaded:
        now = current.get(item.robot.name)
        if item.robot.schedule and (now is None or (not now.paused and not now.rules)):
            out.append(item)
    return out


def confirm_schedules(console: Console, starting: list[LoadedRobot], *, yes: bool) -> bool:
    """Show the rules to start; True to start them (``--yes`` or the user said yes on a terminal)."""
    if not starting:
        return True
    console.print(tr("この登録で始まる定期実行:", "schedules this registration would start:"))
    for item in starting:
        for rule in item.robot.schedule:
            console.print(f"  {item.robot.name}: {rule.describe()}", markup=False, highlight=False)
    if yes:
        return True
    if not sys.stdin.isatty():
        return False
    return typer.confirm(tr("定期実行を始めますか?", "start these schedules?"), default=False)


def hold_schedules(console: Console, store: Store, starting: list[LoadedRobot]) -> None:
    """Pause the robots just registered so their rules do not fire, and say how to start them."""
    with store.session() as s:
        for item in starting:
            set_paused(s, item.robot.name, True)
    for item in starting:
        name = item.robot.name
        console.print(
            tr(
                f"  {name} の定期実行はまだ始まっていません (一時停止)。始めるには"
                f" dxrpa schedule resume {name} (スクリプトでは登録時に --yes)",
                f"  {name}: schedule not started (paused); start it with dxrpa schedule resume {name}"
                " (in scripts: register with --yes)",
            ),
            markup=False,
            highlight=False,
        )
