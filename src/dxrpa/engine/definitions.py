"""Loading a robot file: YAML → :class:`~dxrpa.model.robot.Robot` with line numbers, plus the
static checks pydantic cannot do (templates compile, secrets are declared, names make sense)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dxrpa.config import Loc, Positions, check_yaml_limits, load_definition
from dxrpa.engine import templating
from dxrpa.errors import DefinitionError, DefinitionErrors
from dxrpa.model.robot import Robot, Step

SECTIONS = ("setup", "item", "verify", "teardown")


@dataclass(frozen=True)
class LoadedRobot:
    robot: Robot
    path: str
    text: str
    content_hash: str


def _label_for(data: Any) -> Any:
    """Prefix errors with ``item step 3 (fill)`` so staff find the step quickly."""

    def label(loc: Loc) -> str | None:
        if len(loc) >= 2 and loc[0] in SECTIONS and isinstance(loc[1], int):
            try:
                raw = data[loc[0]][loc[1]]
            except (KeyError, IndexError, TypeError):
                return None
            action = next(iter(raw), "?") if isinstance(raw, dict) and raw else "?"
            return f"{loc[0]} step {loc[1] + 1} ({action})"
        return None

    return label


def _set_lines(steps: list[Step], loc: Loc, pos: Positions) -> None:
    for i, step in enumerate(steps):
        step._line = pos.find((*loc, i))[0]
        for nested_key, attr in (("if", "then"), ("if", "else"), ("for_each", "steps"), ("frame", "steps")):
            args = getattr(step, "if_" if nested_key == "if" else nested_key)
            if args is not None:
                field = "else_" if attr == "else" else attr
                if hasattr(args, field):
                    _set_lines(getattr(args, field), (*loc, i, nested_key, attr), pos)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _check_templates(robot: Robot, pos: Positions, raw: dict[str, Any]) -> list[DefinitionError]:
    problems: list[DefinitionError] = []
    declared = set(robot.secrets)
    for section in SECTIONS:
        for i, step_raw in enumerate(raw.get(section) or []):
            where = pos.find((section, i))
            label = (
                f"{section} step {i + 1} ({next(iter(step_raw), '?')})" if isinstance(step_raw, dict) else ""
            )
            for text in _strings(step_raw):
                try:
                    templating.validate_syntax(text)
                except templating.TemplateProblem as exc:
                    problems.append(
                        DefinitionError(f"{label}: {exc}", path=pos.path, line=where[0], col=where[1])
                    )
                    continue
                for name in templating.references(text, "secret") - declared:
                    problems.append(
                        DefinitionError(
                            f"{label}: secret '{name}' is used but not declared",
                            path=pos.path,
                            line=where[0],
                            col=where[1],
                            hint=f"add it to 'secrets: [{', '.join([*robot.secrets, name])}]'",
                        )
                    )
    return problems


def parse_robot(path: str | Path, text: str | None = None) -> LoadedRobot:
    """Load and check a robot file; raises DefinitionErrors listing every problem with its line."""
    spath = str(path)
    if text is None:
        try:
            text = Path(path).read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise DefinitionError("file not found", path=spath, hint="check the path") from None
        except UnicodeDecodeError:
            raise DefinitionError("the file is not UTF-8", path=spath, hint="save it as UTF-8") from None
    import yaml

    try:
        check_yaml_limits(text, spath)  # alias bombs and deep nesting, before safe_load
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        raw = None  # load_definition reports the syntax error with its position
    robot, pos = load_definition(spath, Robot, text=text, label=_label_for(raw))
    assert isinstance(raw, dict)
    for section in SECTIONS:
        _set_lines(getattr(robot, section), (section,), pos)
    problems = _check_templates(robot, pos, raw)
    stem = Path(spath).stem
    if stem != robot.name and not spath.startswith("<"):
        line, col = pos.find(("name",))
        problems.append(
            DefinitionError(
                f"name '{robot.name}' differs from the file name '{stem}'",
                path=spath,
                line=line,
                col=col,
                hint=f"rename the file to {robot.name}.yaml or change name:",
            )
        )
    if problems:
        raise DefinitionErrors(sorted(problems, key=lambda e: (e.line or 0, e.col or 0)))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedRobot(robot=robot, path=spath, text=text, content_hash=digest)


def item_columns(robot: Robot) -> set[str]:
    """Every ``item.X`` a robot's steps refer to (checked against the data before a run starts)."""
    found: set[str] = set()
    for section in SECTIONS:
        for step in getattr(robot, section):
            for text in _strings(step.model_dump(by_alias=True, exclude_none=True)):
                found |= templating.references(text, "item")
    return found


def iter_steps(steps: list[Step]) -> Iterator[Step]:
    """Every step, nested ones (if/else, for_each, frame) included."""
    for step in steps:
        yield step
        for args, attr in (
            (step.if_, "then"),
            (step.if_, "else_"),
            (step.for_each, "steps"),
            (step.frame, "steps"),
        ):
            if args is not None:
                yield from iter_steps(getattr(args, attr))


def uses_action(robot: Robot, action: str) -> bool:
    return any(step.action == action for section in SECTIONS for step in iter_steps(getattr(robot, section)))
