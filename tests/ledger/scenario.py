"""The hand-computed ledger shared by the ledger tests.

The ledger (FY2025–FY2026, three departments) is written through ``record_run`` from real
Robot / RobotVersion / Run rows. Expected figures are worked out by hand in ``EXPECTED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from dxrpa.store import Store
from dxrpa.store.ledger_repo import record_human_minutes, record_run, set_target
from dxrpa.store.tables import Robot, RobotVersion, Run


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class Factory:
    """Inserts core rows directly, the way the engine would have left them."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.n = 0

    def robot(self, name: str, title: str, department: str) -> Robot:
        r = Robot(name=name, title=title, department=department)
        self.s.add(r)
        self.s.flush()
        return r

    def version(self, robot: Robot, version: int, mpi: float, mpr: float, rework: float) -> RobotVersion:
        v = RobotVersion(
            robot_id=robot.id,
            version=version,
            content_hash=f"{robot.name}-v{version}".ljust(64, "0"),
            yaml_text=f"name: {robot.name}\n",
            minutes_per_item=mpi,
            minutes_per_run=mpr,
            rework_minutes_per_failed_item=rework,
        )
        self.s.add(v)
        robot.current_version = version
        self.s.flush()
        return v

    def run(
        self,
        run_id: str,
        robot: Robot,
        version: RobotVersion,
        finished: datetime,
        ok: int,
        be: int = 0,
        se: int = 0,
        *,
        started: datetime | None = None,
        dry_run: bool = False,
        test: bool = False,
    ) -> Run:
        run = Run(
            id=run_id,
            robot_id=robot.id,
            robot_version_id=version.id,
            status="succeeded" if not (be or se) else "failed",
            dry_run=dry_run,
            test=test,
            items_total=ok + be + se,
            items_done=ok,
            items_business_error=be,
            items_system_error=se,
            started_at=started or finished,
            finished_at=finished,
        )
        self.s.add(run)
        self.s.flush()
        return run


@dataclass
class Ledger:
    store: Store
    r1: Robot
    r1v1: RobotVersion
    r1v2: RobotVersion
    r2: Robot
    r3: Robot


def build_ledger(store: Store) -> Ledger:
    """The hand-computed ledger (see EXPECTED for every figure)."""
    with store.session() as s:
        f = Factory(s)
        r1 = f.robot("jumin_idou", "住民異動届入力", "市民課")
        r1v1 = f.version(r1, 1, mpi=6, mpr=10, rework=15)
        r2 = f.robot("shinkoku_nyuryoku", "市民税申告入力", "税務課")
        r2v1 = f.version(r2, 1, mpi=4, mpr=30, rework=10)
        r3 = f.robot("teate_genkyo", "児童手当現況届", "福祉課")
        r3v1 = f.version(r3, 1, mpi=3, mpr=5, rework=30)

        def rec(run: Run, v: RobotVersion, robot: Robot, extra: float = 0.0) -> None:
            record_run(s, run, v, robot, extra_human_minutes=extra)

        # FY2025
        rec(f.run("a1", r1, r1v1, utc(2025, 6, 10, 1), ok=10, be=1), r1v1, r1)
        rec(f.run("a2", r2, r2v1, utc(2026, 3, 31, 14, 30), ok=5), r2v1, r2)  # 23:30 JST 3/31
        # FY2026: starts 23:00 JST 3/31, finishes 00:30 JST 4/1 → counts in FY2026 (April)
        rec(
            f.run("s1", r2, r2v1, utc(2026, 3, 31, 15, 30), ok=20, se=2, started=utc(2026, 3, 31, 14)),
            r2v1,
            r2,
        )
        rec(f.run("b1", r1, r1v1, utc(2026, 5, 15, 3), ok=30, be=2, se=1), r1v1, r1)
        rec(f.run("b3", r3, r3v1, utc(2026, 7, 1, 0), ok=2, be=5, se=3), r3v1, r3)
        # a run that failed half-way and was resumed later: one entry, updated
        b6 = f.run("b6", r2, r2v1, utc(2026, 8, 3, 2), ok=5, se=5)
        rec(b6, r2v1, r2)
        b6.items_done, b6.items_system_error, b6.finished_at = 9, 1, utc(2026, 8, 3, 4)
        rec(b6, r2v1, r2)
        # re-registered mid-year with a new baseline
        r1v2 = f.version(r1, 2, mpi=5, mpr=0, rework=20)
        rec(f.run("b2", r1, r1v2, utc(2026, 11, 2, 2), ok=40), r1v2, r1)
        rec(f.run("b4", r3, r3v1, utc(2026, 11, 10, 1), ok=0, be=1), r3v1, r3)
        rec(f.run("b5", r2, r2v1, utc(2027, 1, 20, 5), ok=10), r2v1, r2, extra=12)
        # never counted
        assert record_run(s, f.run("dry", r1, r1v2, utc(2026, 6, 1), ok=100, dry_run=True), r1v2, r1) is None
        assert record_run(s, f.run("tst", r2, r2v1, utc(2026, 6, 2), ok=100, test=True), r2v1, r2) is None
        # staff minutes outside runs (e.g. OCR review)
        record_human_minutes(
            s,
            department="市民課",
            robot_name="jumin_idou",
            minutes=30,
            reason="ocr_review",
            source_ref="ocr-batch-1",
            at=utc(2026, 5, 20),
        )
        record_human_minutes(
            s,
            department="福祉課",
            robot_name=None,
            minutes=15,
            reason="ocr_review",
            source_ref="ocr-batch-2",
            at=utc(2027, 2, 10),
        )
        set_target(s, "市民課", 2026, 10.0)
        set_target(s, "税務課", 2026, 5.0)
        return Ledger(store, r1, r1v1, r1v2, r2, r3)


# Every figure in minutes unless named *_hours.
EXPECTED: dict[str, Any] = {
    "fy2026": {
        "saved": 245.0,
        "gross": 647.0,
        "human": 402.0,
        "runs": 7,
        "robots": 3,
        "succeeded": 111,
        "business": 8,
        "system": 7,
        "items": 126,
        "target_hours": 15.0,
    },
    "fy2025": {"saved": 105.0, "runs": 2, "items": 16, "succeeded": 15},
    # calendar month → saved minutes (fiscal order Apr..Mar)
    "months": {4: 90, 5: 115, 6: 0, 7: -229, 8: 56, 9: 0, 10: 0, 11: 170, 12: 0, 1: 58, 2: -15, 3: 0},
    "month_runs": {4: 1, 5: 1, 6: 0, 7: 1, 8: 1, 9: 0, 10: 0, 11: 2, 12: 0, 1: 1, 2: 0, 3: 0},
    "cumulative": [90, 205, 205, -24, 32, 32, 32, 202, 202, 260, 245, 245],
    # department → (robots, runs, items, succeeded, saved, human, target_hours)
    "departments": {
        "市民課": (1, 2, 73, 70, 315.0, 75.0, 10.0),
        "税務課": (1, 3, 42, 39, 204.0, 42.0, 5.0),
        "福祉課": (1, 2, 11, 2, -274.0, 285.0, None),
    },
    # robot → (department, runs, items, succeeded, failed, saved, human)
    "robots": {
        "jumin_idou": ("市民課", 2, 73, 70, 3, 315.0, 75.0),
        "shinkoku_nyuryoku": ("税務課", 3, 42, 39, 3, 204.0, 42.0),
        "teate_genkyo": ("福祉課", 2, 11, 2, 9, -259.0, 270.0),
    },
    # run id → (saved, human, gross)
    "runs": {
        "a1": (55.0, 15.0, 70.0),
        "a2": (50.0, 0.0, 50.0),
        "s1": (90.0, 20.0, 110.0),
        "b1": (145.0, 45.0, 190.0),
        "b3": (-229.0, 240.0, 11.0),
        "b6": (56.0, 10.0, 66.0),
        "b2": (200.0, 0.0, 200.0),
        "b4": (-30.0, 30.0, 0.0),
        "b5": (58.0, 12.0, 70.0),
    },
}
