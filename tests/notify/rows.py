"""Real rows in the test database: a registered robot and a finished run with its counts."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from dxrpa.store.base import Store, utcnow
from dxrpa.store.robots_repo import register
from dxrpa.store.tables import Robot, RobotVersion, Run


def finished_run(
    store: Store,
    robot: str = "juminhyo_entry",
    department: str = "市民課",
    *,
    status: str = "partial",
    trigger: str = "schedule",
    done: int = 7,
    business: int = 2,
    system: int = 1,
    error_class: str | None = None,
) -> str:
    """Register ``robot`` (once) and store a finished run of it; the run id."""
    with store.session() as s:
        if s.scalar(select(Robot).where(Robot.name == robot)) is None:
            text = f"name: {robot}\ntitle: t\ndepartment: {department}\nbaseline: {{minutes_per_item: 1}}\n"
            register(
                s, name=robot, title="t", department=department, owner="", text=text,
                content_hash=uuid.uuid4().hex, source_path=f"robots/{robot}.yaml", minutes_per_item=1,
                minutes_per_run=0, rework_minutes_per_failed_item=0, actor="test",
            )  # fmt: skip
        row = s.scalar(select(Robot).where(Robot.name == robot))
        assert row is not None
        version = s.scalar(select(RobotVersion).where(RobotVersion.robot_id == row.id))
        assert version is not None
        run_id = uuid.uuid4().hex
        s.add(
            Run(
                id=run_id, robot_id=row.id, robot_version_id=version.id, status=status, trigger=trigger,
                items_total=done + business + system, items_done=done, items_business_error=business,
                items_system_error=system, error_class=error_class, started_at=utcnow(), finished_at=utcnow(),
            )
        )  # fmt: skip
    return run_id
