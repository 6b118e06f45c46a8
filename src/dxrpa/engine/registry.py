"""Registering robots: the one path used by the CLI, the web console and the scheduler."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dxrpa.engine.definitions import LoadedRobot, parse_robot
from dxrpa.store import audit_repo, robots_repo
from dxrpa.store.base import Store
from dxrpa.store.robots_repo import Registration
from dxrpa.store.tables import RobotVersion


def register_robots(
    store: Store, loaded: list[LoadedRobot], *, actor: str = "", approve: bool = True
) -> list[Registration]:
    """Store each robot as a new version when its content changed; audited. All or nothing.

    ``approve`` (the CLI run by an operator on the server, or an operator/admin in the console)
    makes the version live at once and audits ``robot.approve``; without it the version waits
    for :func:`approve_robot` and only dry runs use it.
    """
    actor = actor or audit_repo.current_actor()
    out: list[Registration] = []
    with store.session() as s:
        for item in loaded:
            r = item.robot
            reg = robots_repo.register(
                s,
                name=r.name,
                title=r.title,
                department=r.department,
                owner=r.owner,
                text=item.text,
                content_hash=item.content_hash,
                source_path=item.path,
                minutes_per_item=r.baseline.minutes_per_item,
                minutes_per_run=r.baseline.minutes_per_run,
                rework_minutes_per_failed_item=r.baseline.rework_minutes_per_failed_item,
                actor=actor,
                approve=approve,
            )
            if reg.created:
                action = "robot.register" if reg.version.version == 1 else "robot.change"
                audit_repo.append(
                    s,
                    actor,
                    action,
                    r.name,
                    {"version": reg.version.version, "hash": item.content_hash, "pending": not approve},
                )
            if reg.approved:
                _audit_approval(s, actor, reg.robot.name, reg.version, "register")
            out.append(reg)
    return out


def approve_robot(
    store: Store, name: str, number: int | None, *, actor: str, via: str
) -> tuple[RobotVersion, bool]:
    """Approve version ``number`` (default: the newest) of ``name``; audited ``robot.approve``.

    Returns the version and whether it was pending (approving twice is not an error)."""
    with store.session() as s:
        robot = robots_repo.get_robot(s, name)
        version, newly = robots_repo.approve(s, robot, number, actor)
        if newly:  # the ledger and pages name the robot as its live version does
            live = parse_robot(version.source_path or f"<{name}>", version.yaml_text).robot
            robot.title, robot.department, robot.owner = live.title, live.department, live.owner
            _audit_approval(s, actor, robot.name, version, via)
    return version, newly


def _audit_approval(s: Session, actor: str, name: str, version: RobotVersion, via: str) -> None:
    audit_repo.append(
        s,
        actor,
        "robot.approve",
        name,
        {"version": version.version, "hash": version.content_hash, "via": via},
    )
