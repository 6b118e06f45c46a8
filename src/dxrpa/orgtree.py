"""The organisation tree 局/区 → 部 → 課 from ``configs/org.yaml`` (optional).

The file is nested YAML: mappings for 局/区 and 部, a list of 課 names at the bottom::

    市民局:
      市民部: [市民課, 保険年金課]
    北区:
      区民部: [北区区民課]

Reports list 課 in the file's order and roll the figures up to every level above. Without the
file, 課 are listed by hours saved (largest first). A name used twice, or a unit inside itself,
is refused with its line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dxrpa.errors import DefinitionError
from dxrpa.i18n import tr

LEVELS_JA = ("局・区", "部", "課")
MAX_DEPTH = len(LEVELS_JA)  # 局/区 → 部 → 課


@dataclass(frozen=True)
class Unit:
    name: str
    path: tuple[str, ...]  # ancestors, top first
    line: int
    group: bool = False  # a 局/区 or 部 (written as a mapping key): never a 課, even when empty

    @property
    def depth(self) -> int:
        return len(self.path)


@dataclass
class OrgTree:
    source: str
    units: list[Unit] = field(default_factory=list)  # pre-order (file order)

    @property
    def departments(self) -> list[str]:
        """The 課 (leaves that are not an empty 局/区 or 部) in file order."""
        parents = {p for u in self.units for p in u.path}
        return [u.name for u in self.units if u.name not in parents and not u.group]

    def ancestors(self, department: str) -> tuple[str, ...]:
        for u in self.units:
            if u.name == department:
                return u.path
        return ()

    def order(self, department: str) -> int:
        try:
            return self.departments.index(department)
        except ValueError:
            return len(self.units)


def _err(source: str, line: int, ja: str, en: str, hint_ja: str, hint_en: str) -> DefinitionError:
    return DefinitionError(tr(ja, en), path=source, line=line, hint=tr(hint_ja, hint_en))


def load_org(path: Path) -> OrgTree | None:
    """Read the tree, or None when the file does not exist."""
    if not path.is_file():
        return None
    source = str(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _err(
            source,
            (mark.line + 1) if mark else 1,
            f"組織ファイルが YAML として読めません: {exc}",
            f"the organisation file is not valid YAML: {exc}",
            "字下げとコロンを確認してください",
            "check indentation and colons",
        ) from exc
    tree = OrgTree(source=source)
    if root is None:
        return tree
    seen: dict[str, int] = {}

    def add(name_node: yaml.Node, path: tuple[str, ...], group: bool = False) -> str:
        line = name_node.start_mark.line + 1
        if not isinstance(name_node, yaml.ScalarNode) or not str(name_node.value).strip():
            raise _err(
                source,
                line,
                "組織の名前は文字列で書いてください",
                "an organisation unit's name must be text",
                "例: 市民課",
                "e.g. 市民課",
            )
        name = str(name_node.value).strip()
        if name in path:
            raise _err(
                source,
                line,
                f"「{name}」が自分自身の下にあります（循環: {' → '.join((*path, name))}）",
                f"{name!r} is inside itself (cycle: {' → '.join((*path, name))})",
                "下の階層から同じ名前を消してください",
                "remove the repeated name from the lower level",
            )
        if name in seen:
            raise _err(
                source,
                line,
                f"「{name}」が2か所にあります（{seen[name]} 行目にも）",
                f"{name!r} appears twice (also on line {seen[name]})",
                "1つの課は1か所にだけ書いてください（共有ロボットは課ごとに実行を分けます）",
                "list each unit once",
            )
        seen[name] = line
        # A mapping key is a 局/区 or 部 except at the 課 level (``市民課: null`` under a 部).
        tree.units.append(Unit(name=name, path=path, line=line, group=group and len(path) < MAX_DEPTH - 1))
        return name

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = add(key, path, group=True)
                walk(value, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if isinstance(item, yaml.MappingNode):
                    walk(item, path)
                else:
                    add(item, path)
        elif isinstance(node, yaml.ScalarNode) and node.value not in ("", "~", "null"):
            add(node, path)

    walk(root, ())
    return tree
