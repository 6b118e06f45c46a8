"""The shared robot every issue-15 test runs: one definition for 北区 and 中央区, its org tree and
each 区's CSV (北区 two rows, 中央区 one, both with 受付番号 A001)."""

from __future__ import annotations

from pathlib import Path

ROBOT = """\
name: tennyu
title: 転入届入力
department: 区民課
baseline: {minutes_per_item: 6}
shared: [北区, 中央区]
data: {csv: "data/{{ unit }}/転入.csv", key: 受付番号}
item:
  - set: {where: "{{ run.unit }}"}
outputs: [where]
"""

ORG = """\
北区:
  区民部: [北区区民課]
中央区:
  区民部（中央）: [中央区区民課]
"""


def write_shared_home(home: Path, robot: str = ROBOT, org: str = ORG) -> Path:
    """``robots/tennyu.yaml``, ``configs/org.yaml`` and ``data/<区>/転入.csv`` under ``home``."""
    (home / "robots").mkdir(exist_ok=True)
    (home / "robots" / "tennyu.yaml").write_text(robot, encoding="utf-8")
    (home / "configs").mkdir(exist_ok=True)
    (home / "configs" / "org.yaml").write_text(org, encoding="utf-8")
    for unit, rows in (("北区", "A001\nA002\n"), ("中央区", "A001\n")):
        (home / "data" / unit).mkdir(parents=True, exist_ok=True)
        (home / "data" / unit / "転入.csv").write_text("受付番号\n" + rows, encoding="utf-8")
    return home
