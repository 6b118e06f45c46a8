"""Editing the organisation tree from the CLI and the console: one function per edit, each one
checked against the database (a 課 robots or the ledger still use is kept, with what to do),
written atomically under a lock and recorded in the audit log (``org.add`` / ``org.rename`` /
``org.move`` / ``org.remove``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from dxrpa.config import Settings
from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.orgedit import add_unit, children, locked, move_unit, remove_unit, rename_unit, write_org
from dxrpa.orgtree import OrgTree, load_org
from dxrpa.store import Store, audit_repo
from dxrpa.store.ledger_tables import DepartmentTarget, LedgerEntry
from dxrpa.store.tables import Robot


def org_path(settings: Settings) -> Path:
    path = Path(settings.ledger.org_file)
    return path if path.is_absolute() else settings.home / path


@dataclass(frozen=True)
class Usage:
    robots: list[str]
    ledger_rows: int
    targets: int

    @property
    def used(self) -> bool:
        return bool(self.robots or self.ledger_rows)


def usage(store: Store, names: list[str]) -> Usage:
    """Robots, ledger rows and targets that name any of ``names`` (as 課 or as the shared unit)."""
    with store.session() as s:
        robots = sorted(s.scalars(select(Robot.name).where(Robot.department.in_(names))))
        rows = s.scalar(
            select(func.count(LedgerEntry.id)).where(
                LedgerEntry.department.in_(names) | LedgerEntry.unit.in_(names)
            )
        )
        targets = s.scalar(
            select(func.count(DepartmentTarget.id)).where(DepartmentTarget.department.in_(names))
        )
    return Usage(robots, int(rows or 0), int(targets or 0))


def _subtree(tree: OrgTree, name: str) -> list[str]:
    kids = children(tree)
    out, todo = [], [name]
    while todo:
        n = todo.pop()
        out.append(n)
        todo.extend(kids.get(n, []))
    return out


def _refuse_used(store: Store, names: list[str], name: str, verb_ja: str, verb_en: str) -> None:
    used = usage(store, names)
    if not used.used:
        return
    parts_ja, parts_en = [], []
    if used.robots:
        parts_ja.append(f"ロボット {len(used.robots)} 件（{'、'.join(used.robots[:5])}）")
        parts_en.append(f"{len(used.robots)} robot(s) ({', '.join(used.robots[:5])})")
    if used.ledger_rows:
        parts_ja.append(f"台帳 {used.ledger_rows:,} 行")
        parts_en.append(f"{used.ledger_rows:,} ledger row(s)")
    raise UsageError(
        tr(
            f"「{name}」は{verb_ja}できません: {'・'.join(parts_ja)}が使っています",
            f"cannot {verb_en} {name!r}: {' and '.join(parts_en)} use it",
        ),
        hint=tr(
            "ロボットの department を別の課に直して再登録（dxrpa robots register）してください"
            if used.robots and not used.ledger_rows
            else "台帳の行は過去の実績として残るため、その課は組織に残してください"
            "（組織改編は `dxrpa org move` で別の部へ移せます）"
            + ("。ロボットは department を直して再登録（dxrpa robots register）" if used.robots else ""),
            "change the robots' department and register them again (dxrpa robots register)"
            if used.robots and not used.ledger_rows
            else "ledger rows are history: keep that 課 in the tree (`dxrpa org move` moves it elsewhere)"
            + ("; re-register the robots with another department" if used.robots else ""),
        ),
    )


def _load(settings: Settings, *, must_exist: bool) -> OrgTree:
    path = org_path(settings)
    tree = load_org(path)
    if tree is None:
        if must_exist:
            raise UsageError(
                tr(f"組織ファイル {path} がありません", f"no organisation file {path}"),
                hint=tr(
                    "`dxrpa org add 市民局` で作るか、configs/org.example.yaml をコピーしてください",
                    "create it with `dxrpa org add 市民局` or copy configs/org.example.yaml",
                ),
            )
        tree = OrgTree(source=str(path))
    return tree


def _edit(
    settings: Settings,
    store: Store,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, str | None],
    change: Callable[[OrgTree], OrgTree],
    *,
    must_exist: bool = True,
) -> OrgTree:
    path = org_path(settings)
    with locked(path):
        tree = change(_load(settings, must_exist=must_exist))
        write_org(path, tree)
        with store.session() as s:
            audit_repo.append(s, actor, action, subject, {k: v for k, v in detail.items() if v})
    return tree


def org_add(settings: Settings, store: Store, name: str, parent: str | None, *, actor: str = "") -> OrgTree:
    return _edit(
        settings,
        store,
        actor,
        "org.add",
        name,
        {"under": parent},
        lambda t: add_unit(t, name, parent),
        must_exist=parent is not None,
    )


def org_rename(settings: Settings, store: Store, old: str, new: str, *, actor: str = "") -> OrgTree:
    def change(tree: OrgTree) -> OrgTree:
        out = rename_unit(tree, old, new)  # refuses an unknown or a taken name
        _refuse_used(store, [old], old, "名前を変更", "rename")  # a used 課, or a 区 of shared runs
        return out

    return _edit(settings, store, actor, "org.rename", old, {"to": new}, change)


def org_move(settings: Settings, store: Store, name: str, parent: str | None, *, actor: str = "") -> OrgTree:
    return _edit(
        settings, store, actor, "org.move", name, {"under": parent}, lambda t: move_unit(t, name, parent)
    )


def org_remove(settings: Settings, store: Store, name: str, *, actor: str = "") -> OrgTree:
    def change(tree: OrgTree) -> OrgTree:
        out = remove_unit(tree, name)  # refuses a unit with units under it, or an unknown name
        _refuse_used(store, _subtree(tree, name), name, "削除", "remove")
        return out

    return _edit(settings, store, actor, "org.remove", name, {}, change)


__all__ = ["Usage", "org_add", "org_move", "org_path", "org_remove", "org_rename", "usage"]
