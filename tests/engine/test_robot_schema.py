"""`dxrpa robots schema`: every key is described (ja / en) with a valid example, and a step needs
exactly one action."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.engine.test_bad_input import ROOT, dx


def _schema(home: Path) -> dict[str, Any]:
    result = dx(home, "robots", "schema")
    assert result.returncode == 0, result.stderr
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def test_every_property_has_a_japanese_and_english_description(dx_home: Path) -> None:
    schema = _schema(dx_home)
    owners = [("Robot", schema), *schema["$defs"].items()]
    props = [(name, key, p) for name, d in owners for key, p in d.get("properties", {}).items()]
    assert len(props) > 200
    missing = [f"{name}.{key}" for name, key, p in props if " / " not in p.get("description", "")]
    assert missing == []
    assert "ラベル" in schema["$defs"]["FillArgs"]["properties"]["label"]["description"]


def test_schema_accepts_the_shipped_robots_and_refuses_zero_or_two_actions(dx_home: Path) -> None:
    validator = jsonschema.Draft202012Validator(_schema(dx_home))
    for path in sorted((ROOT / "robots").glob("*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert errors == [], (path.name, [e.message for e in errors][:3])
    base = {"name": "x_robot", "title": "t", "department": "d", "baseline": {"minutes_per_item": 1}}
    for bad_step in ({"name": "何もしない"}, {"goto": "http://x", "log": "two"}):
        assert not validator.is_valid({**base, "item": [bad_step]}), bad_step
    assert validator.is_valid({**base, "item": [{"goto": "http://x", "name": "開く"}]})


def test_every_property_has_an_example_that_is_valid_there(dx_home: Path) -> None:
    schema = _schema(dx_home)
    owners = [("Robot", schema), *schema["$defs"].items()]
    props = [(name, key, p) for name, d in owners for key, p in d.get("properties", {}).items()]
    missing = [f"{name}.{key}" for name, key, p in props if not p.get("examples")]
    assert missing == []
    invalid = []
    for name, key, prop in props:
        check = jsonschema.Draft202012Validator({**prop, "$defs": schema["$defs"]})
        if not check.is_valid(prop["examples"][0]):
            invalid.append(f"{name}.{key}: {prop['examples'][0]!r}")
    assert invalid == []
