"""Test double of the *job* (not of the scheduler): records each run into ``<home>/jobs.log``.

The scheduler under test starts it in a real child process exactly as it would start
``dxrpa.engine.runner:run_robot``; ``<home>/sleep.json`` ({robot: seconds}) makes a run last.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Summary:
    run_id: str
    status: str = "succeeded"
    items_done: int = 0
    items_failed: int = 0


def _log(home: Path, **entry: Any) -> None:
    line = json.dumps({**entry, "t": time.time(), "pid": os.getpid(), "ppid": os.getppid()}) + "\n"
    with open(home / "jobs.log", "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()


def record(
    settings: Any, robot_name: str, *, trigger: str = "manual", run_id: str | None = None, **_: Any
) -> Summary:
    home = Path(settings.home)
    sleeps_file = home / "sleep.json"
    sleep = json.loads(sleeps_file.read_text()).get(robot_name, 0) if sleeps_file.exists() else 0
    _log(home, event="start", robot=robot_name, run_id=run_id, trigger=trigger)
    time.sleep(float(sleep))
    _log(home, event="end", robot=robot_name, run_id=run_id, trigger=trigger)
    return Summary(run_id or "")


def read_log(home: Path) -> list[dict[str, Any]]:
    path = home / "jobs.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def until_cancelled(settings: Any, robot_name: str, *, run_id: str | None = None, **kw: Any) -> Summary:
    """Like the engine between items: writes its Run row, then works until ``cancel_requested``."""
    from dxrpa.store.base import Store
    from dxrpa.store.robots_repo import get_robot, version_for_run
    from dxrpa.store.runs_repo import create_run
    from dxrpa.store.tables import Run

    home = Path(settings.home)
    store = Store(settings.db_url)
    with store.session() as s:
        robot = get_robot(s, robot_name)
        create_run(s, robot=robot, version=version_for_run(s, robot, dry_run=False), run_id=run_id)
    _log(home, event="start", robot=robot_name, run_id=run_id, trigger=kw.get("trigger"))
    for _ in range(600):
        with store.session() as s:
            if s.get(Run, run_id).cancel_requested:  # type: ignore[union-attr]
                _log(home, event="cancelled", robot=robot_name, run_id=run_id)
                store.dispose()
                return Summary(run_id or "", status="stopped")
        time.sleep(0.1)
    return Summary(run_id or "")
