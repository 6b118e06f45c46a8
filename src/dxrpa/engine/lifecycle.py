"""A robot's lifecycle: disable, enable, archive — audited; nothing is deleted.

A disabled or archived robot refuses to run (:class:`dxrpa.errors.RobotDisabled`, raised where
every run picks its version) and the scheduler skips it. Archiving keeps its versions, runs,
work items and ledger rows; enabling an archived robot brings it back.
"""

from __future__ import annotations

from sqlalchemy import select

from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.model.status import RunStatus
from dxrpa.store import audit_repo, robots_repo
from dxrpa.store.base import Store
from dxrpa.store.tables import Robot, Run

STATES = ("active", "disabled", "archived")
ACTIONS = {"disable": "disabled", "enable": "active", "archive": "archived"}
_RUNNING = (RunStatus.QUEUED, RunStatus.RUNNING)


def state_text(state: str) -> str:
    return {
        "active": tr("有効", "active"),
        "disabled": tr("停止中", "disabled"),
        "archived": tr("アーカイブ済み", "archived"),
    }.get(state, state)


def set_state(store: Store, name: str, action: str, *, actor: str, via: str) -> tuple[str, bool]:
    """Apply ``action`` (disable | enable | archive) to robot ``name``; returns the new state and
    whether it changed. Audited as ``robot.disable`` / ``robot.enable`` / ``robot.archive``."""
    target = ACTIONS.get(action)
    if target is None:
        raise UsageError(
            tr(f"操作 {action} はありません", f"no action {action}"), hint="disable | enable | archive"
        )
    with store.session() as s:
        robot = robots_repo.get_robot(s, name)
        before = robot.state or "active"
        if before == target:
            return target, False
        running = s.scalar(select(Run.id).where(Run.robot_id == robot.id, Run.status.in_(_RUNNING)).limit(1))
        robot.state = target
        detail = {"from": before, "to": target, "via": via}
        if running and target != "active":
            detail["running"] = running  # the run under way finishes; no new run starts
        audit_repo.append(s, actor, f"robot.{action}", name, detail)
    return target, True


def state_of(store: Store, name: str) -> str:
    with store.session() as s:
        state = s.scalar(select(Robot.state).where(Robot.name == name))
    return state or "active"
