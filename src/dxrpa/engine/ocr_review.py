"""Reviewing doubtful OCR fields: export the review workbook, apply what staff corrected.

The one path used by ``dxrpa ocr review``, the web console and ``dxrpa demo``. Applying a review
also books its minutes as human time in the ledger (they are subtracted from the hours saved).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from dxrpa.config import Settings
from dxrpa.engine.ocr_source import templates_dir
from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.ocr.review import (
    ReviewItem,
    ReviewSheet,
    clean_corrections,
    read_review_workbook,
    write_review_workbook,
)
from dxrpa.ocr.template import get_template
from dxrpa.store import audit_repo
from dxrpa.store.base import Store
from dxrpa.store.ledger_repo import record_human_minutes
from dxrpa.store.ocr_repo import ReviewOutcome, apply_review, doubtful_fields, get_batch, start_review
from dxrpa.store.ocr_tables import OcrBatch

MEASURED_CAP = 4  # measured review time counts at most 4 × the template's minutes per field


def export_review(store: Store, settings: Settings, batch_ref: str, output: Path, *, by: str = "") -> int:
    """Write the review workbook of a batch's doubtful fields; returns how many (0: none, no file)."""
    with store.session() as s:
        batch = get_batch(s, batch_ref)
        rows = doubtful_fields(s, batch.id)
        if not rows:
            return 0
        items = [
            ReviewItem(
                f.id,
                d.source_file,
                d.page,
                f.name,
                f.type,
                f.value,
                f.ocr_text,
                f.confidence,
                f.reason,
                f.crop,
                f.raw_value if f.raw_value != f.value else "",
            )
            for d, f in rows
        ]
        review = start_review(s, batch.id, fields_exported=len(items), by=by or audit_repo.current_actor())
        write_review_workbook(
            output,
            token=review.token,
            batch_id=batch.id,
            template=batch.template,
            items=items,
            exported_at=review.exported_at,
            open_crop=store.vault.open_bytes,
        )
    return len(items)


def apply_sheet(
    session: Session,
    settings: Settings,
    batch: OcrBatch,
    sheet: ReviewSheet,
    source: Path,
    *,
    reviewer: str,
    minutes: float | None,
    measured_source: str | None = None,
) -> ReviewOutcome:
    """Apply one review (from a workbook or the web console) and book its minutes in the ledger."""
    template = get_template(batch.template, templates_dir(settings))
    values = clean_corrections(sheet, template.spec, source)
    outcome = apply_review(
        session,
        token=sheet.token,
        batch_id=batch.id,
        values=values,
        reviewer=reviewer,
        minutes=minutes,
        max_measured=MEASURED_CAP * max(len(values), 1) * template.spec.review_minutes_per_field,
        double_check=settings.ocr.double_check,
    )
    if measured_source:
        outcome.review.minutes_source = measured_source
    record_human_minutes(
        session,
        department=batch.department or template.spec.department,
        robot_name=batch.robot_name,
        minutes=outcome.minutes,
        reason="ocr_review",
        source_ref=f"ocr_review:{outcome.review.id}",
        at=outcome.review.applied_at or outcome.review.exported_at,
        tz=settings.timezone,
    )
    outcome.review.ledger_recorded = True
    logger.info("OCR review of batch {} applied by {}", batch.id, outcome.review.reviewer)
    return outcome


def apply_review_file(
    store: Store,
    settings: Settings,
    batch_ref: str,
    path: Path,
    *,
    reviewer: str | None = None,
    minutes: float | None = None,
) -> ReviewOutcome:
    """Import a reviewed workbook: corrections, who/when, review minutes (→ ledger as human time)."""
    if not path.is_file():
        raise UsageError(tr(f"{path} がありません", f"{path} not found"))
    if minutes is not None and minutes < 0:
        raise UsageError(tr("作業時間は 0 分以上にしてください", "minutes must not be negative"))
    sheet = read_review_workbook(path)
    with store.session() as s:
        batch = get_batch(s, batch_ref)
        return apply_sheet(
            s,
            settings,
            batch,
            sheet,
            path,
            reviewer=reviewer or sheet.reviewer or audit_repo.current_actor(),
            minutes=minutes if minutes is not None else sheet.minutes,
        )
