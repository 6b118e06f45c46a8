"""Registered robots and their immutable versions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.store.tables import Robot, RobotVersion, Run


@dataclass(frozen=True)
class Registration:
    robot: Robot
    version: RobotVersion
    created: bool  # False: the same content was already the current version


def register(
    session: Session,
    *,
    name: str,
    title: str,
    department: str,
    owner: str,
    text: str,
    content_hash: str,
    source_path: str,
    minutes_per_item: float,
    minutes_per_run: float,
    rework_minutes_per_failed_item: float,
    actor: str,
) -> Registration:
    """Store a new version unless the content is unchanged; the robot points at it."""
    robot = session.scalar(select(Robot).where(Robot.name == name))
    if robot is None:
        robot = Robot(name=name, title=title, department=department, owner=owner, current_version=0)
        session.add(robot)
        session.flush()
    current = current_version(session, robot)
    if current is not None and current.content_hash == content_hash:
        return Registration(robot, current, created=False)
    number = (
        session.scalar(select(func.max(RobotVersion.version)).where(RobotVersion.robot_id == robot.id)) or 0
    ) + 1
    version = RobotVersion(
        robot_id=robot.id,
        version=number,
        content_hash=content_hash,
        source_path=source_path,
        yaml_text=text,
        minutes_per_item=minutes_per_item,
        minutes_per_run=minutes_per_run,
        rework_minutes_per_failed_item=rework_minutes_per_failed_item,
        registered_by=actor,
    )
    session.add(version)
    robot.current_version = number
    robot.title, robot.department, robot.owner = title, department, owner
    session.flush()
    return Registration(robot, version, created=True)


def get_robot(session: Session, name: str) -> Robot:
    robot = session.scalar(select(Robot).where(Robot.name == name))
    if robot is None:
        known = session.scalars(select(Robot.name).order_by(Robot.name)).all()
        raise UsageError(
            tr(f"ロボット '{name}' は登録されていません", f"robot '{name}' is not registered"),
            hint=tr(
                "dxrpa robots register robots/NAME.yaml で登録してください",
                "register it with dxrpa robots register",
            )
            + (f" ({tr('登録済み', 'registered')}: {', '.join(known)})" if known else ""),
        )
    return robot


def current_version(session: Session, robot: Robot) -> RobotVersion | None:
    return session.scalar(
        select(RobotVersion).where(
            RobotVersion.robot_id == robot.id, RobotVersion.version == robot.current_version
        )
    )


def versions(session: Session, robot: Robot) -> list[RobotVersion]:
    return list(
        session.scalars(
            select(RobotVersion).where(RobotVersion.robot_id == robot.id).order_by(RobotVersion.version)
        )
    )


def list_robots(session: Session) -> list[tuple[Robot, Run | None]]:
    """Every robot with its latest run (one query each; robot counts are small)."""
    out: list[tuple[Robot, Run | None]] = []
    for robot in session.scalars(select(Robot).order_by(Robot.department, Robot.name)):
        last = session.scalar(
            select(Run).where(Run.robot_id == robot.id).order_by(Run.created_at.desc()).limit(1)
        )
        out.append((robot, last))
    return out


def current_versions(session: Session) -> list[tuple[Robot, RobotVersion]]:
    """Every robot with its current version (the scheduler rebuilds its jobs from these)."""
    rows = session.execute(
        select(Robot, RobotVersion)
        .join(
            RobotVersion,
            (RobotVersion.robot_id == Robot.id) & (RobotVersion.version == Robot.current_version),
        )
        .order_by(Robot.name)
    )
    return [(r, v) for r, v in rows]
