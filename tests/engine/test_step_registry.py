"""Every step action is wired everywhere it must be: a handler, its nested step lists (line
numbers, taint checks), the JSON Schema's one-action rule and the docs table."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from dxrpa.engine.steps import _HANDLERS
from dxrpa.model.robot import ACTIONS, NESTED_STEPS, Step
from dxrpa.model.schema_help import robot_json_schema
from dxrpa.model.step_specs import STEPS, StepSpec, docs_table

ROOT = Path(__file__).resolve().parents[2]
NAMES = [a.rstrip("_") for a in ACTIONS]


def test_every_action_has_a_handler_and_nothing_else_does() -> None:
    assert sorted(_HANDLERS) == sorted(NAMES)


def test_a_half_added_action_is_refused_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """An action in the registry without a Step field or a handler stops the import, naming it."""
    from dxrpa.engine import steps
    from dxrpa.model import robot

    extra = (*STEPS, StepSpec("scroll", ja="スクロール", en="scroll", doc="scroll"))
    monkeypatch.setattr(robot, "STEPS", extra)
    with pytest.raises(RuntimeError, match="scroll"):
        robot._check_step_fields()
    monkeypatch.setattr(steps, "STEPS", extra)
    with pytest.raises(RuntimeError, match="scroll"):
        steps._check_handlers()


def test_the_docs_table_is_the_registry() -> None:
    """docs/steps.md's English steps table is generated from the registry."""
    text = (ROOT / "docs" / "steps.md").read_text(encoding="utf-8")
    assert docs_table() in text, "regenerate the table: python -m dxrpa.model.step_specs"


def test_the_schema_describes_each_action_from_the_registry() -> None:
    props = robot_json_schema()["$defs"]["Step"]["properties"]
    for spec in STEPS:
        assert props[spec.key]["description"].startswith(spec.ja), spec.key


def test_every_action_is_a_step_field() -> None:
    fields = {info.alias or name for name, info in Step.model_fields.items()}
    assert set(NAMES) <= fields


def _holds_steps(action: str) -> bool:
    for args in typing.get_args(Step.model_fields[action].annotation):
        for f in getattr(args, "model_fields", {}).values():
            if typing.get_origin(f.annotation) is list and typing.get_args(f.annotation) == (Step,):
                return True
    return False


def test_actions_holding_steps_are_listed_as_nested() -> None:
    for action in ACTIONS:
        assert _holds_steps(action) == (action.rstrip("_") in NESTED_STEPS), action


def test_schema_requires_exactly_one_of_every_action() -> None:
    one_of = robot_json_schema()["$defs"]["Step"]["oneOf"]
    assert sorted(r["required"][0] for r in one_of) == sorted(NAMES)


def test_every_action_is_documented_in_both_languages() -> None:
    text = (ROOT / "docs" / "steps.md").read_text(encoding="utf-8")
    first_cells = re.findall(r"^\| ((?:`\w+`(?: / )?)+) \|", text, re.M)
    table = {w for cell in first_cells for w in re.findall(r"`(\w+)`", cell)}
    headings = set(re.findall(r"^#### ([\w /]+?) —", text, re.M))
    ja = {w for h in headings for w in h.replace("/", " ").split()}
    for name in NAMES:
        assert name in table, f"{name} missing from the English steps table in docs/steps.md"
        assert name in ja, f"{name} has no Japanese section (#### {name} — …) in docs/steps.md"


def test_every_nested_list_is_walked() -> None:
    """iter_steps (dry-run submit check, path checks, `uses_action`) reaches steps inside every
    step that holds steps, popup and window included."""
    from dxrpa.engine.approval import has_submit
    from dxrpa.engine.definitions import iter_steps
    from tests.browser.conftest import make_robot

    inner = [{"click": {"css": "#ok", "submit": True}}]
    for outer in (
        {"popup": {"click": {"css": "#a"}, "steps": inner}},
        {"window": {"title": "詳細", "steps": inner}},
        {"frame": {"selector": "#f", "steps": inner}},
        {"if": {"condition": "true", "then": [], "else": inner}},
    ):
        robot = make_robot([outer])
        assert has_submit(robot.item), outer
        assert [s.action for s in iter_steps(robot.item)][-1] == "click"
