"""Bad schedule rules are rejected when the robot file is validated, at the rule's file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dxrpa.engine.definitions import parse_robot
from dxrpa.errors import DefinitionError
from dxrpa.model.schedule import ScheduleRule

from .conftest import robot_yaml

BAD = [
    ('  - cron: "0 8 * * *"\n  - cron: "61 8 * * *"\n', "61", 9),
    ('  - cron: "0 8 * *"\n', "5 fields", 8),
    ('  - monthly: {office_day: 25, at: "17:30"}\n', "office_day 25 is impossible", 8),
    ('  - monthly: {office_day: 0, at: "17:30"}\n', "office_day 0 is impossible", 8),
    ('  - monthly: {office_day: 2, at: "25:00"}\n', "HH:MM", 8),
    ('  - cron: "0 8 * * *"\n    timezone: Asia/Tokio\n', "unknown timezone 'Asia/Tokio'", 9),
    ('  - cron: "0 8 * * *"\n    if_closed: later\n', "if_closed", 9),
    ('  - cron: "0 8 * * *"\n    dayz: office\n', "もしかして 'days'?", 9),  # tests run in Japanese
]


@pytest.mark.parametrize(("schedule", "message", "line"), BAD)
def test_bad_rule_reported_at_file_and_line(tmp_path: Path, schedule: str, message: str, line: int) -> None:
    path = tmp_path / "robots" / "bad.yaml"
    path.parent.mkdir()
    text = robot_yaml("bad", schedule)
    assert text.splitlines()[6] == "schedule:"  # rules start on line 8
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        parse_robot(path)
    shown = str(info.value)
    assert message in shown, shown
    assert f"bad.yaml:{line}:" in shown, shown


def test_good_rules() -> None:
    ScheduleRule(cron="0 8 * * 1-5", days="office")
    ScheduleRule(monthly={"office_day": -1, "at": "17:30"})
    ScheduleRule(cron="*/10 * * * * *", timezone="UTC")  # 6 fields: seconds first


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({}, "exactly one of"),
        ({"cron": "0 8 * * *", "monthly": {"office_day": 1, "at": "08:00"}}, "exactly one of"),
        ({"cron": "0 8 1 * 1"}, "EITHER"),
        ({"cron": "0 8 * * *", "days": "office", "if_closed": "next"}, "days: office"),
    ],
)
def test_contradictory_rules(rule: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ScheduleRule.model_validate(rule)
