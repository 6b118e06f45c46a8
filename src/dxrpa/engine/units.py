"""Shared robots: one definition run for several 区 (``shared:`` in the robot file).

``dxrpa run NAME --unit 北区`` runs the robot for one 区:

* **data**: ``{{ unit }}`` in ``data.csv`` / ``data.excel`` / ``data.ocr.folder`` / ``results.excel``
  becomes the 区 (``data/{{ unit }}/転入.csv`` → ``data/北区/転入.csv``); steps read ``{{ run.unit }}``;
* **work items**: every key is stored as ``北区/KEY``, so the same 受付番号 in two 区 are two items
  and each 区 keeps its own exactly-once record;
* **secrets**: ``NAME@北区`` is looked up first, then the shared ``NAME``
  (``dxrpa secrets set APP_PASSWORD --unit 北区``);
* **ledger**: the run (``runs.unit`` / ``runs.department``) and its ledger row count for that 区's 課,
  so reports show one robot, N 区 and the hours of each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dxrpa.config import Settings
from dxrpa.engine.data import DataBatch, DataItem
from dxrpa.engine.definitions import LoadedRobot, parse_robot
from dxrpa.engine.pii import KeyMap
from dxrpa.errors import DefinitionError, DxrpaError, UsageError
from dxrpa.i18n import tr
from dxrpa.model.robot import UNIT_RE, Robot
from dxrpa.orgtree import OrgTree, load_org
from dxrpa.store import robots_repo
from dxrpa.store.ledger_tables import LedgerEntry

SEP = "/"


@dataclass(frozen=True)
class UnitRun:
    """The robot as it runs for one 区, and the 課 its hours count for."""

    loaded: LoadedRobot
    unit: str
    department: str


def _org(settings: Settings) -> OrgTree | None:
    path = Path(settings.ledger.org_file)
    return load_org(path if path.is_absolute() else settings.home / path)


def department_for(robot: Robot, unit: str, org: OrgTree | None, source: str) -> str:
    """The 課 a shared robot's run for ``unit`` counts for (named in the file, or found in the tree)."""
    named = robot.shared.get(unit, "")
    if named:
        if org is not None and named not in org.departments:
            raise DefinitionError(
                tr(
                    f"shared: {unit} の課「{named}」が組織ファイル {org.source} にありません",
                    f"shared: {unit}'s department {named!r} is not in {org.source}",
                ),
                path=source,
                hint=tr(
                    f"`dxrpa org add {named} --under <{unit}の部>` で足すか、課の名前を直してください",
                    f"add it with `dxrpa org add {named} --under <a 部 of {unit}>`, or fix the name",
                ),
            )
        return named
    if org is None:
        raise DefinitionError(
            tr(
                f"shared: {unit} の課を決めるには組織ファイルが要ります",
                f"shared: finding {unit}'s department needs the organisation file",
            ),
            path=source,
            hint=tr(
                f"shared を「{unit}: {unit}{robot.department}」の形で書くか、"
                "configs/org.yaml を作ってください",
                f"write shared as '{unit}: {unit}{robot.department}', or create configs/org.yaml",
            ),
        )
    under = [u.name for u in org.units if unit in u.path and u.name in set(org.departments)]
    if unit not in {u.name for u in org.units}:
        raise DefinitionError(
            tr(
                f"shared: 「{unit}」が組織ファイルにありません",
                f"shared: {unit!r} is not in the organisation file",
            ),
            path=source,
            hint=tr("`dxrpa org add` で区を足すか、名前を直してください", "add it with `dxrpa org add`"),
        )
    found = [d for d in under if d.endswith(robot.department)]
    if len(found) != 1:
        how_ja, how_en = ("ありません", "no") if not found else ("複数あります", "several")
        listed_ja, listed_en = "、".join(under) or "なし", ", ".join(under) or "none"
        raise DefinitionError(
            tr(
                f"shared: {unit} の下に「…{robot.department}」の課が{how_ja}",
                f"shared: {unit} has {how_en} department(s) ending in {robot.department}",
            ),
            path=source,
            hint=tr(
                f"shared を「{unit}: <課の名前>」の形で書いてください（{unit} の課: {listed_ja}）",
                f"write shared as '{unit}: <department>' ({unit}'s departments: {listed_en})",
            ),
        )
    return found[0]


def for_unit(settings: Settings, loaded: LoadedRobot, unit: str | None) -> UnitRun | None:
    """The robot for ``unit`` (None: not a shared run). An unknown unit, or ``--unit`` for a robot
    that is not shared, is a :class:`UsageError` naming the robot's 区."""
    robot = loaded.robot
    if unit is None:
        if robot.shared:
            raise UsageError(
                tr(
                    f"ロボット「{robot.name}」は {len(robot.shared)} 区の共有ロボットです:"
                    " --unit で区を指定してください",
                    f"robot {robot.name!r} is shared by {len(robot.shared)} units: name one with --unit",
                ),
                hint=tr("区: ", "units: ") + "、".join(robot.shared),
            )
        return None
    if unit not in robot.shared:
        raise UsageError(
            tr(
                f"ロボット「{robot.name}」に区「{unit}」はありません"
                if robot.shared
                else f"ロボット「{robot.name}」は共有ロボットではありません（--unit は使えません）",
                f"robot {robot.name!r} has no unit {unit!r}"
                if robot.shared
                else f"robot {robot.name!r} is not shared (no --unit)",
            ),
            hint=tr("区: ", "units: ") + "、".join(robot.shared)
            if robot.shared
            else tr(
                "ロボットの YAML に shared: [北区, 中央区] のように書いて登録し直してください",
                "add shared: [北区, 中央区] to the robot file and register it again",
            ),
        )
    department = department_for(robot, unit, _org(settings), loaded.path)

    def sub(raw: str | None) -> str | None:
        return None if raw is None else UNIT_RE.sub(unit, raw)

    data = robot.data.model_copy(update={"csv": sub(robot.data.csv), "excel": sub(robot.data.excel)})
    if robot.data.ocr is not None:
        data = data.model_copy(
            update={"ocr": robot.data.ocr.model_copy(update={"folder": sub(robot.data.ocr.folder)})}
        )
    update: dict[str, object] = {"data": data}
    if robot.results is not None:
        update["results"] = robot.results.model_copy(update={"excel": sub(robot.results.excel)})
    copy = LoadedRobot(
        robot=robot.model_copy(update=update),
        path=loaded.path,
        text=loaded.text,
        content_hash=loaded.content_hash,
    )
    return UnitRun(copy, unit, department)


def scope_keys(batch: DataBatch, unit: str | None, keys: KeyMap) -> None:
    """Store every key of a shared run as ``北区/KEY`` (also the rows a streamed source reads later)."""
    if unit is None:
        return
    prefix = unit + SEP

    def one(item: DataItem) -> DataItem:
        raw = keys.raw.pop(item.key, item.key)
        item.key = prefix + item.key
        keys.raw[item.key] = raw
        return item

    for item in batch.items:
        one(item)
    if batch.rest is not None:
        rest = batch.rest

        def scoped() -> Iterator[DataItem]:
            for item in rest:
                yield one(item)

        batch.rest = scoped()


def departments_with_robots(session: Session, org: OrgTree | None) -> set[str]:
    """The 課 a target may be set for: a registered robot's 課 or a 課 with ledger rows. A shared
    robot counts for each of its 区's 課 (from its current version's ``shared:``), before the
    first run, and not for its bare ``department:`` (区民課, which no tree lists). A unit whose 課
    cannot be found yet is left out (its run says why)."""
    out = {str(v) for v in session.execute(select(LedgerEntry.department).distinct()).scalars() if v}
    for robot, version in robots_repo.current_versions(session):
        if robot.state == "archived":
            continue
        shared: list[str] = []
        live: Robot | None = None
        if "shared" in version.yaml_text:
            try:
                live = parse_robot(version.source_path or f"<{robot.name}>", version.yaml_text).robot
                shared = list(live.shared)
            except DxrpaError:
                shared = []
        if live is None or not shared:
            if robot.department:
                out.add(robot.department)
            continue
        for unit in shared:
            try:
                out.add(department_for(live, unit, org, version.source_path))
            except DxrpaError:
                continue
    return out


def unit_secret(name: str, unit: str) -> str:
    """The name a 区's own value of a secret is stored under (``APP_PASSWORD@北区``)."""
    return f"{name}@{unit}"


__all__ = [
    "SEP",
    "UnitRun",
    "department_for",
    "departments_with_robots",
    "for_unit",
    "scope_keys",
    "unit_secret",
]
