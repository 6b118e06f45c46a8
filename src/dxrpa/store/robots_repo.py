"""Registered robots, their immutable versions, and which version is approved for production.

``Robot.current_version`` is the newest registered version (what a dry run tries). Production
(runs, schedules, ledger rows) uses the newest version an operator or admin approved: a version
an author registers waits until then (issue 12).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dxrpa.errors import NotApproved, NotRegistered, RobotDisabled, UsageError
from dxrpa.i18n import tr
from dxrpa.store.base import utcnow
from dxrpa.store.tables import Robot, RobotVersion, Run


@dataclass(frozen=True)
class Registration:
    robot: Robot
    version: RobotVersion
    created: bool  # False: the same content was already the current version
    approved: bool = False  # this call approved the version (new, or unchanged but pending)


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
    approve: bool = True,
) -> Registration:
    """Store a new version unless the content is unchanged; the robot points at it.

    ``approve`` marks the version approved by ``actor`` (an operator or admin, or someone with
    shell access); otherwise it waits for :func:`approve`. Registering unchanged content with
    ``approve`` approves a pending current version.
    """
    robot = session.scalar(select(Robot).where(Robot.name == name))
    if robot is None:
        robot = Robot(name=name, title=title, department=department, owner=owner, current_version=0)
        session.add(robot)
        session.flush()
    current = current_version(session, robot)
    if current is not None and current.content_hash == content_hash:
        newly = approve and current.approved_at is None
        if newly:
            _mark_approved(current, actor)
            robot.title, robot.department, robot.owner = title, department, owner
            session.flush()
        return Registration(robot, current, created=False, approved=newly)
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
    if approve:
        _mark_approved(version, actor)
    session.add(version)
    if approve or number == 1:  # a pending edit must not rename or move the robot in the ledger
        robot.title, robot.department, robot.owner = title, department, owner
    robot.current_version = number
    session.flush()
    return Registration(robot, version, created=True, approved=approve)


def _mark_approved(version: RobotVersion, actor: str) -> None:
    version.approved_by = actor
    version.approved_at = utcnow()


def approved_version(session: Session, robot: Robot) -> RobotVersion | None:
    """The newest approved version: the one production runs and schedules use."""
    return session.scalar(
        select(RobotVersion)
        .where(RobotVersion.robot_id == robot.id, RobotVersion.approved_at.is_not(None))
        .order_by(RobotVersion.version.desc())
        .limit(1)
    )


def production_version(session: Session, robot: Robot) -> RobotVersion:
    """The version a production run uses; :class:`NotApproved` when none is approved yet."""
    version = approved_version(session, robot)
    if version is None:
        raise NotApproved(
            tr(
                f"ロボット '{robot.name}' には承認された版がないため本番実行できません"
                f" (版 {robot.current_version} は承認待ち)",
                f"robot '{robot.name}' has no approved version, so it cannot run in production"
                f" (version {robot.current_version} awaits approval)",
            ),
            hint=tr(
                f"運用者か管理者が dxrpa robots approve {robot.name} またはコンソールのロボット画面の"
                "「承認」で承認してください。承認前はドライラン (--dry-run) だけができます",
                f"an operator or admin approves it with dxrpa robots approve {robot.name} or the"
                " Approve button on the console's robot page; until then only --dry-run works",
            ),
        )
    return version


def refuse_if_retired(robot: Robot) -> None:
    """Raise :class:`RobotDisabled` for a disabled or archived robot."""
    state = robot.state or "active"
    if state == "active":
        return
    if state == "archived":
        raise RobotDisabled(
            tr(
                f"ロボット '{robot.name}' はアーカイブ済みのため実行できません",
                f"robot '{robot.name}' is archived",
            ),
            hint=tr(
                f"再び使うときは dxrpa robots enable {robot.name} (履歴と台帳はそのままです)",
                f"to use it again: dxrpa robots enable {robot.name} (its history and ledger rows are kept)",
            ),
        )
    raise RobotDisabled(
        tr(f"ロボット '{robot.name}' は停止中のため実行できません", f"robot '{robot.name}' is disabled"),
        hint=tr(
            f"再開するには dxrpa robots enable {robot.name}",
            f"enable it with dxrpa robots enable {robot.name}",
        ),
    )


def version_for_run(session: Session, robot: Robot, *, dry_run: bool) -> RobotVersion:
    """A dry run tries the newest registered version; any other run the newest approved one.
    A disabled or archived robot runs neither (:class:`RobotDisabled`)."""
    refuse_if_retired(robot)
    if not dry_run:
        return production_version(session, robot)
    version = current_version(session, robot)
    assert version is not None  # a robot row always points at a stored version
    return version


def approve(session: Session, robot: Robot, number: int | None, actor: str) -> tuple[RobotVersion, bool]:
    """Approve version ``number`` (default: the newest); returns it and whether it was pending.

    An older version than the newest approved one cannot be approved: production would not use it.
    The caller copies the version's title/department/owner onto the robot (they live in its YAML).
    """
    number = number or robot.current_version
    version = session.scalar(
        select(RobotVersion).where(RobotVersion.robot_id == robot.id, RobotVersion.version == number)
    )
    if version is None:
        raise UsageError(
            tr(
                f"ロボット '{robot.name}' に版 {number} はありません",
                f"robot '{robot.name}' has no version {number}",
            ),
            hint=f"dxrpa robots show {robot.name}",
        )
    if version.approved_at is not None:
        return version, False
    live = approved_version(session, robot)
    if live is not None and live.version > version.version:
        raise UsageError(
            tr(
                f"版 {number} は承認済みの版 {live.version} より古いため承認できません",
                f"version {number} is older than the approved version {live.version}",
            ),
            hint=tr(
                "戻したい内容を新しい版として登録してから承認してください",
                "register the content you want back as a new version, then approve it",
            ),
        )
    _mark_approved(version, actor)
    session.flush()
    return version, True


def pending(session: Session) -> list[tuple[Robot, RobotVersion, RobotVersion | None]]:
    """Robots whose newest version is not approved: (robot, newest, approved or None)."""
    out = []
    for robot, newest in current_versions(session):
        if newest.approved_at is None:
            out.append((robot, newest, approved_version(session, robot)))
    return out


def approved_versions(session: Session) -> list[tuple[Robot, RobotVersion]]:
    """Every robot with an approved version, with its newest approved one (for the scheduler)."""
    newest = (
        select(RobotVersion.robot_id, func.max(RobotVersion.version).label("version"))
        .where(RobotVersion.approved_at.is_not(None))
        .group_by(RobotVersion.robot_id)
        .subquery()
    )
    rows = session.execute(
        select(Robot, RobotVersion)
        .join(newest, newest.c.robot_id == Robot.id)
        .join(
            RobotVersion,
            (RobotVersion.robot_id == Robot.id) & (RobotVersion.version == newest.c.version),
        )
        .order_by(Robot.name)
    )
    return [(r, v) for r, v in rows]


def approval_fingerprint(session: Session) -> tuple[int, str]:
    """Changes whenever a version is approved (the scheduler polls it to rebuild its jobs)."""
    count, last = session.execute(
        select(func.count(RobotVersion.id), func.max(RobotVersion.approved_at)).where(
            RobotVersion.approved_at.is_not(None)
        )
    ).one()
    return int(count or 0), str(last)


def get_robot(session: Session, name: str) -> Robot:
    robot = session.scalar(select(Robot).where(Robot.name == name))
    if robot is None:
        known = session.scalars(select(Robot.name).order_by(Robot.name)).all()
        raise NotRegistered(
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
