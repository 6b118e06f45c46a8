"""Schedule rules of a shared robot that name a 区 (``unit: 北区``): each is checked as the run
would be (``dxrpa run NAME --unit 北区``, :mod:`dxrpa.engine.units`), so a 区 missing from
``shared:`` or from the organisation tree is named with the robot file, the rule and what to do,
and that rule is not scheduled (the robot's other 区 keep theirs)."""

from __future__ import annotations

from pathlib import Path

from dxrpa.config import Settings
from dxrpa.engine.definitions import parse_robot
from dxrpa.engine.units import department_for
from dxrpa.errors import DxrpaError
from dxrpa.i18n import tr
from dxrpa.model.schedule import ScheduleRule
from dxrpa.orgtree import load_org


def unit_problems(
    settings: Settings, yaml_text: str, source: str, rules: list[ScheduleRule]
) -> dict[int, str]:
    """Rule index → why that rule's 区 cannot run (nothing for rules without ``unit:``)."""
    named = [(i, r.unit) for i, r in enumerate(rules) if r.unit]
    if not named:
        return {}
    try:
        robot = parse_robot(source, yaml_text).robot
        path = Path(settings.ledger.org_file)
        org = load_org(path if path.is_absolute() else settings.home / path)
    except DxrpaError as exc:
        return {i: f"{source}: {exc}" for i, _ in named}
    out: dict[int, str] = {}
    for i, unit in named:
        assert unit is not None
        where = f"{source}: schedule[{i}].unit {unit}"
        if unit not in robot.shared:
            out[i] = where + tr(
                f": shared: にない区です（区: {'、'.join(robot.shared) or 'なし'}）"
                " — shared: に足すか unit: を直して登録し直してください",
                f": not in shared: (units: {', '.join(robot.shared) or 'none'})"
                " — add it to shared: or fix unit:, then register again",
            )
            continue
        try:
            department_for(robot, unit, org, source)
        except DxrpaError as exc:
            out[i] = f"{where}: {exc}"
    return out


__all__ = ["unit_problems"]
