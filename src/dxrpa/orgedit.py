"""Edits of the organisation tree (``configs/org.yaml``): add, rename, move, remove.

Pure operations on :class:`~dxrpa.orgtree.OrgTree` that return a new tree or raise a
:class:`~dxrpa.errors.UsageError` naming what is wrong and what to do, and :func:`write_org`, which
writes the file atomically (a temporary file renamed over it) under a lock so the CLI and the
console never interleave. Whether a 課 is still used by robots or ledger rows is the caller's
question (it needs the database): see ``dxrpa.reports.org_admin``.

The file is rewritten in the loader's own nested form (mappings for 局/区 and 部, a list of 課);
the comment lines at its top are kept.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from dxrpa.errors import UsageError
from dxrpa.fileio import atomic_path
from dxrpa.i18n import tr
from dxrpa.orgtree import LEVELS_JA, MAX_DEPTH, OrgTree, Unit, load_org


def level_name(depth: int) -> str:
    return LEVELS_JA[min(depth, MAX_DEPTH - 1)]


def children(tree: OrgTree) -> dict[str | None, list[str]]:
    """Parent name (None for the top) → child names in file order."""
    out: dict[str | None, list[str]] = {None: []}
    for u in tree.units:
        out.setdefault(u.path[-1] if u.path else None, []).append(u.name)
        out.setdefault(u.name, [])
    return out


def groups(tree: OrgTree) -> set[str]:
    """Names of the 局/区 and 部 (kept as such when empty, never counted as a 課)."""
    return {u.name for u in tree.units if u.group}


def _rebuild(source: str, kids: dict[str | None, list[str]], group: set[str]) -> OrgTree:
    tree = OrgTree(source=source)

    def walk(parent: str | None, path: tuple[str, ...]) -> None:
        for name in kids.get(parent, []):
            is_group = name in group and len(path) < MAX_DEPTH - 1
            tree.units.append(Unit(name=name, path=path, line=0, group=is_group))
            walk(name, (*path, name))

    walk(None, ())
    return tree


def _unit(tree: OrgTree, name: str) -> Unit:
    for u in tree.units:
        if u.name == name:
            return u
    raise UsageError(
        tr(f"組織に「{name}」はありません", f"{name!r} is not in the organisation tree"),
        hint=tr("`dxrpa org show` で名前を確認してください", "check the names with `dxrpa org show`"),
    )


def _clean(name: str) -> str:
    name = name.strip()
    if not name or name.startswith(".") or any(c in name for c in "\n\r\t:#[]{}/\\@"):
        raise UsageError(
            tr(f"組織の名前「{name}」は使えません", f"{name!r} cannot be an organisation unit's name"),
            hint=tr(
                "改行・: # [ ] { } / \\ @ を含まない名前にしてください（例: 市民課）",
                "use a name without line breaks or : # [ ] { } / \\ @ (e.g. 市民課)",
            ),
        )
    return name


def _height(kids: dict[str | None, list[str]], name: str) -> int:
    """Levels in the subtree of ``name`` (1 for a 課)."""
    return 1 + max((_height(kids, c) for c in kids.get(name, [])), default=0)


def _check_new_name(tree: OrgTree, name: str) -> None:
    for u in tree.units:
        if u.name == name:
            where = " → ".join((*u.path, u.name))
            raise UsageError(
                tr(f"「{name}」はすでにあります（{where}）", f"{name!r} already exists ({where})"),
                hint=tr("組織の名前は市全体で一意にしてください", "names must be unique in the whole tree"),
            )


def _check_depth(kids: dict[str | None, list[str]], tree: OrgTree, parent: str | None, name: str) -> None:
    depth = 0 if parent is None else _unit(tree, parent).depth + 1
    if depth + _height(kids, name) > MAX_DEPTH:
        raise UsageError(
            tr(
                f"「{parent}」の下には置けません: 局/区 → 部 → 課 の3階層までです",
                f"cannot go under {parent!r}: the tree has three levels (局/区 → 部 → 課)",
            ),
            hint=tr("局/区 か 部 の下を指定してください", "name a 局/区 or a 部 as the parent"),
        )


def add_unit(tree: OrgTree, name: str, parent: str | None) -> OrgTree:
    """``name`` as the last child of ``parent`` (None: a new 局/区)."""
    name = _clean(name)
    _check_new_name(tree, name)
    if parent is not None:
        _unit(tree, parent)
    kids = children(tree)
    _check_depth(kids, tree, parent, name)
    group = groups(tree)
    siblings = kids.get(parent, [])
    depth = 0 if parent is None else _unit(tree, parent).depth + 1
    # Like its siblings (a 部 among 部, a 課 among 課); the first child by its level.
    is_group = any(n in group for n in siblings) if siblings else depth < MAX_DEPTH - 1
    if is_group:
        group.add(name)
    kids.setdefault(parent, []).append(name)
    return _rebuild(tree.source, kids, group)


def rename_unit(tree: OrgTree, old: str, new: str) -> OrgTree:
    _unit(tree, old)
    new = _clean(new)
    _check_new_name(tree, new)
    kids = children(tree)
    renamed: dict[str | None, list[str]] = {}
    for parent, names in kids.items():
        key = new if parent == old else parent
        renamed[key] = [new if n == old else n for n in names]
    group = groups(tree)
    if old in group:
        group = (group - {old}) | {new}
    return _rebuild(tree.source, renamed, group)


def move_unit(tree: OrgTree, name: str, parent: str | None) -> OrgTree:
    """``name`` (with everything under it) to the end of ``parent``'s children."""
    unit = _unit(tree, name)
    if parent is not None:
        target = _unit(tree, parent)
        if parent == name or name in target.path:
            raise UsageError(
                tr(
                    f"「{name}」を自分の下（{parent}）には移せません（循環になります）",
                    f"cannot move {name!r} under {parent!r}: it would be inside itself",
                ),
                hint=tr("上の階層か別の局/区・部を指定してください", "name a unit outside it"),
            )
    kids = children(tree)
    _check_depth(kids, tree, parent, name)
    kids[unit.path[-1] if unit.path else None].remove(name)
    kids.setdefault(parent, []).append(name)
    return _rebuild(tree.source, kids, groups(tree))


def remove_unit(tree: OrgTree, name: str) -> OrgTree:
    """Remove a unit that has nothing under it (usage by robots and the ledger is checked by the caller)."""
    unit = _unit(tree, name)
    kids = children(tree)
    if kids.get(name):
        raise UsageError(
            tr(
                f"「{name}」の下に {len(kids[name])} 件あります（{'、'.join(kids[name])}）",
                f"{name!r} still has {len(kids[name])} unit(s) under it ({', '.join(kids[name])})",
            ),
            hint=tr(
                "先に下の組織を `dxrpa org move` で移すか削除してください",
                "move (`dxrpa org move`) or remove the units under it first",
            ),
        )
    kids[unit.path[-1] if unit.path else None].remove(name)
    kids.pop(name, None)
    return _rebuild(tree.source, kids, groups(tree))


def dump_org(tree: OrgTree) -> str:
    """The tree as YAML the loader reads back: 局/区 and 部 as mapping keys (``北区: []`` when
    empty), 課 as list items; a level that holds both is a list (``- 市民部: [...]`` and ``- 総務課``)."""
    kids = children(tree)
    group = groups(tree)
    lines: list[str] = []

    def q(name: str) -> str:
        return yaml.safe_dump(name, allow_unicode=True, default_flow_style=True).splitlines()[0]

    def walk(parent: str | None, indent: str) -> None:
        names = kids.get(parent, [])
        as_list = any(not kids.get(n) and n not in group for n in names)
        dash = "- " if as_list else ""
        for n in names:
            if kids.get(n):
                lines.append(f"{indent}{dash}{q(n)}:")
                walk(n, indent + ("    " if as_list else "  "))
            elif n in group:
                lines.append(f"{indent}{dash}{q(n)}: []")
            else:
                lines.append(f"{indent}- {q(n)}")

    walk(None, "")
    return "\n".join(lines) + "\n" if lines else "{}\n"


def _header(path: Path) -> str:
    """The comment lines at the top of the current file (kept on rewrite)."""
    if not path.is_file():
        return ""
    head: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        head.append(line)
    return "\n".join(head) + "\n" if head else ""


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """One writer of the organisation file at a time (CLI and console)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_org(path: Path, tree: OrgTree) -> None:
    """Write ``tree`` atomically, checked by reading it back first (nothing is written half)."""
    text = _header(path) + dump_org(tree)
    mode = (path.stat().st_mode & 0o777) if path.exists() else 0o644
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_text(text, encoding="utf-8")
        back = load_org(tmp)
        shape = [(u.name, u.path, u.group) for u in tree.units]
        if back is None or [(u.name, u.path, u.group) for u in back.units] != shape:
            raise UsageError(tr("組織ファイルを書けませんでした", "the organisation file did not read back"))
        os.chmod(tmp, mode)


__all__ = [
    "MAX_DEPTH",
    "add_unit",
    "children",
    "dump_org",
    "groups",
    "level_name",
    "locked",
    "move_unit",
    "remove_unit",
    "rename_unit",
    "write_org",
]
