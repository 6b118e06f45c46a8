"""What happened, as facts that hold no personal data: robot name, 課, counts, status, run id.

Facts are read back from the database after the run's outcome is stored (never from the run's
data), so a message cannot carry a name or a My Number even by mistake: the only free text that
ever reaches a message is the robot's registered name, its 課 and the template name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dxrpa.model.status import ItemStatus, RunStatus
from dxrpa.store.base import utcnow
from dxrpa.store.ocr_tables import OcrBatch, OcrDocument, OcrField
from dxrpa.store.tables import Robot, RobotVersion, Run, WorkItem

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FAILED = frozenset({RunStatus.FAILED, RunStatus.CRASHED})
DEFECT_CLASSES = frozenset({"RobotDefect"})


@dataclass
class Event:
    kind: str  # one of dxrpa.notify.config.EVENTS
    dedup_key: str
    robot: str = ""
    department: str = ""
    run_id: str | None = None
    trigger: str | None = None  # run events: schedule | now | manual
    status: str = ""  # run status (status_text gives the Japanese word)
    counts: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # template, batch id, hours, host

    def facts(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "robot": self.robot,
            "department": self.department,
            "run_id": self.run_id,
            "trigger": self.trigger,
            "status": self.status,
            "counts": dict(self.counts),
            **self.extra,
        }


def _has_verify(yaml_text: str) -> bool:
    try:
        data = yaml.load(yaml_text, Loader=_LOADER) or {}
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and bool(data.get("verify"))


def run_events(s: Session, run_id: str) -> list[Event]:
    """The events of one finished run (none for a run still going, a dry run or a test run)."""
    run = s.get(Run, run_id)
    if run is None or run.dry_run or run.test or run.finished_at is None:
        return []
    robot = s.get(Robot, run.robot_id)
    version = s.get(RobotVersion, run.robot_version_id)
    if robot is None:
        return []
    counts = {
        "total": run.items_total,
        "done": run.items_done,
        "business_error": run.items_business_error,
        "system_error": run.items_system_error,
        "skipped": run.items_skipped,
    }
    out: list[Event] = []
    failed_items = run.items_business_error + run.items_system_error
    if run.error_class in DEFECT_CLASSES:
        kind = "robot_defect"
    elif run.status in FAILED or (run.status == RunStatus.STOPPED and not run.items_done):
        kind = "run_failed"
    elif (
        run.status == RunStatus.PARTIAL
        or (run.status == RunStatus.STOPPED and run.items_done)
        or failed_items
    ):
        kind = "run_partial"
    else:
        kind = ""
    if kind:
        out.append(
            Event(
                kind,
                f"run:{run.id}:{kind}",
                robot=robot.name,
                department=robot.department,
                run_id=run.id,
                trigger=run.trigger,
                status=run.status,
                counts=counts,
            )
        )
    if version is not None and not _has_verify(version.yaml_text):
        waiting_now = s.scalar(
            select(func.count()).where(
                WorkItem.robot_id == robot.id,
                WorkItem.status == ItemStatus.ABANDONED,
                WorkItem.last_run_id == run.id,
            )
        )
        if waiting_now:
            waiting_all = s.scalar(
                select(func.count()).where(
                    WorkItem.robot_id == robot.id, WorkItem.status == ItemStatus.ABANDONED
                )
            )
            out.append(
                Event(
                    "items_waiting",
                    f"run:{run.id}:items_waiting",
                    robot=robot.name,
                    department=robot.department,
                    run_id=run.id,
                    trigger=run.trigger,
                    status=run.status,
                    counts={"waiting": int(waiting_now), "waiting_total": int(waiting_all or 0)},
                )
            )
    return out


def review_events(s: Session, *, age_hours: float, now: datetime | None = None) -> list[Event]:
    """One event per OCR batch whose fields have waited for review longer than ``age_hours``
    (again each day while they wait: the dedup key carries the date)."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=age_hours)
    rows = s.execute(
        select(OcrBatch, func.count(OcrField.id))
        .join(OcrDocument, OcrDocument.batch_id == OcrBatch.id)
        .join(OcrField, OcrField.document_id == OcrDocument.id)
        .where(OcrField.status == "review", OcrBatch.created_at <= cutoff)
        .group_by(OcrBatch.id)
        .order_by(OcrBatch.created_at)
    )
    out = []
    for batch, n in rows:
        hours = int((now - batch.created_at).total_seconds() // 3600)
        out.append(
            Event(
                "ocr_review_waiting",
                f"ocr_review:{batch.id}:{now:%Y-%m-%d}",
                robot=batch.robot_name or "",
                department=batch.department,
                counts={"fields": int(n), "hours": hours},
                extra={"template": batch.template, "batch_id": batch.id},
            )
        )
    return out


def lock_lost_event(holder: str, now: datetime | None = None) -> Event:
    host = holder.split(":", 1)[0]
    return Event(
        "scheduler_lock_lost",
        f"lock_lost:{holder}:{(now or utcnow()):%Y%m%d%H%M%S}",
        extra={"host": host},
    )
