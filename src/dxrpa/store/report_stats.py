"""Small read-only figures for the manager reports that live outside the ledger tables.

OCR's share of the year: forms (pages) read, fields accepted without a person, and the staff
minutes spent on OCR review (recorded in the ledger as reason ``ocr_review``). All are aggregate
counts; no field value is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dxrpa.ledger import DEFAULT_TZ, fiscal_year_bounds_utc
from dxrpa.store.ledger_tables import LedgerHumanMinutes
from dxrpa.store.ocr_tables import OcrBatch, OcrDocument, OcrField, OcrReview

OCR_REVIEW_REASON = "ocr_review"


@dataclass(frozen=True)
class OcrShare:
    forms: int
    fields: int
    fields_reviewed: int
    review_minutes: float

    @property
    def fields_auto(self) -> int:
        """Fields accepted as read: neither corrected nor confirmed by a person, nor still waiting."""
        return max(self.fields - self.fields_reviewed, 0)

    @property
    def auto_rate(self) -> float | None:
        return self.fields_auto / self.fields if self.fields else None


def ocr_share(session: Session, fy: int, department: str | None = None, tz: str = DEFAULT_TZ) -> OcrShare:
    start, end = fiscal_year_bounds_utc(fy, tz)
    batch = select(OcrBatch.id).where(OcrBatch.created_at >= start, OcrBatch.created_at < end)
    if department is not None:
        batch = batch.where(OcrBatch.department == department)
    ids = batch.scalar_subquery()
    forms = session.scalar(select(func.count(OcrDocument.id)).where(OcrDocument.batch_id.in_(ids))) or 0
    docs = select(OcrDocument.id).where(OcrDocument.batch_id.in_(ids)).scalar_subquery()
    fields = session.scalar(select(func.count(OcrField.id)).where(OcrField.document_id.in_(docs))) or 0
    pending = (
        session.scalar(
            select(func.count(OcrField.id)).where(OcrField.document_id.in_(docs), OcrField.status == "review")
        )
        or 0
    )
    applied = session.execute(
        select(
            func.coalesce(func.sum(OcrReview.fields_corrected), 0),
            func.coalesce(func.sum(OcrReview.fields_confirmed), 0),
        ).where(OcrReview.batch_id.in_(ids), OcrReview.applied_at.is_not(None))
    ).one()
    minutes = select(func.coalesce(func.sum(LedgerHumanMinutes.minutes), 0.0)).where(
        LedgerHumanMinutes.fiscal_year == fy, LedgerHumanMinutes.reason == OCR_REVIEW_REASON
    )
    if department is not None:
        minutes = minutes.where(LedgerHumanMinutes.department == department)
    return OcrShare(
        forms=int(forms),
        fields=int(fields),
        fields_reviewed=int(pending) + int(applied[0]) + int(applied[1]),
        review_minutes=float(session.scalar(minutes) or 0.0),
    )


@dataclass(frozen=True)
class SharedRow:
    """One 区's share of a shared robot's year (ledger rows of runs with a unit)."""

    robot_name: str
    robot_title: str
    unit: str
    department: str
    runs: int
    succeeded: int
    saved_minutes: float


def shared_rows(session: Session, fy: int, department: str | None = None) -> list[SharedRow]:
    """Per robot and 区: runs, items and minutes saved of shared robots' runs (one GROUP BY)."""
    from dxrpa.store.ledger_tables import LedgerEntry

    e = LedgerEntry
    stmt = (
        select(
            e.robot_name,
            func.max(e.robot_title),
            e.unit,
            e.department,
            func.count(e.id),
            func.coalesce(func.sum(e.items_succeeded), 0),
            func.coalesce(func.sum(e.saved_minutes), 0.0),
        )
        .where(e.fiscal_year == fy, e.unit.is_not(None))
        .group_by(e.robot_name, e.unit, e.department)
    )
    if department is not None:
        stmt = stmt.where(e.department == department)
    return [
        SharedRow(str(r), str(t or ""), str(u), str(d or ""), int(n), int(ok), float(m))
        for r, t, u, d, n, ok, m in session.execute(stmt)
    ]
