"""Registering robots: the one path used by the CLI, the web console and the scheduler."""

from __future__ import annotations

from dxrpa.engine.definitions import LoadedRobot
from dxrpa.store import audit_repo, robots_repo
from dxrpa.store.base import Store
from dxrpa.store.robots_repo import Registration


def register_robots(store: Store, loaded: list[LoadedRobot], *, actor: str = "") -> list[Registration]:
    """Store each robot as a new version when its content changed; audited. All or nothing."""
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
            )
            if reg.created:
                action = "robot.register" if reg.version.version == 1 else "robot.change"
                audit_repo.append(
                    s, actor, action, r.name, {"version": reg.version.version, "hash": item.content_hash}
                )
            out.append(reg)
    return out
