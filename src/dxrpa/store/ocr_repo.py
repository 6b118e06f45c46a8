"""Repository functions for OCR batches, documents, field results, reviews and robot hand-over.

Field values are personal data: they are stored (robots need them) but never logged here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dxrpa.errors import DataError, UsageError
from dxrpa.i18n import tr
from dxrpa.model.form import FormResult
from dxrpa.store.base import utcnow
from dxrpa.store.ocr_tables import OcrBatch, OcrConsumption, OcrDocument, OcrField, OcrFolderRun, OcrReview


def new_batch_id(now: datetime | None = None) -> str:
    """Sortable, readable id: ``20260401-093012-ab12``."""
    now = now or utcnow()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def save_batch(
    session: Session,
    *,
    template: str,
    results: list[FormResult],
    department: str = "",
    source: str = "cli",
    robot_name: str | None = None,
    folder: str = "",
    created_by: str = "",
    batch_id: str | None = None,
) -> str:
    """Store one OCR run; returns the batch id."""
    bid = batch_id or new_batch_id()
    batch = OcrBatch(
        id=bid,
        template=template,
        department=department,
        source=source,
        robot_name=robot_name,
        folder=folder,
        created_by=created_by,
        files=len({r.source_file for r in results}),
        documents_ok=sum(r.status == "ok" for r in results),
        documents_review=sum(r.status == "review" for r in results),
        documents_failed=sum(r.status == "failed" for r in results),
    )
    session.add(batch)
    session.flush()
    for r in results:
        doc = OcrDocument(
            batch_id=bid,
            template=template,
            source_file=r.source_file,
            page=r.page,
            status=r.status,
            error=r.error,
            alignment_score=r.alignment.score if r.alignment else None,
            alignment_inliers=r.alignment.inliers if r.alignment else None,
            seconds=r.seconds,
        )
        session.add(doc)
        session.flush()
        for seq, f in enumerate(r.fields):
            session.add(
                OcrField(
                    document_id=doc.id,
                    seq=seq,
                    name=f.name,
                    type=f.type,
                    value=f.value,
                    raw_value=f.raw,
                    ocr_text=f.text,
                    confidence=f.confidence,
                    status=f.status,
                    reason=f.reason,
                    crop=f.crop,
                )
            )
    session.flush()
    return bid


def get_batch(session: Session, ref: str, template: str | None = None) -> OcrBatch:
    """A batch by id, or ``latest`` (optionally the latest of one template)."""
    if ref == "latest":
        q = select(OcrBatch)
        if template:
            q = q.where(OcrBatch.template == template)
        batch = session.scalars(q.order_by(OcrBatch.created_at.desc(), OcrBatch.id.desc()).limit(1)).first()
    else:
        batch = session.get(OcrBatch, ref)
    if batch is None:
        what = f"'{ref}'" + (f" ({template})" if template else "")
        raise UsageError(
            tr(f"OCR バッチ {what} がありません", f"no OCR batch {what}"),
            hint=tr("`dxrpa ocr run` で読み取ってください", "read scans first with `dxrpa ocr run`"),
        )
    if template and batch.template != template:
        raise UsageError(
            tr(
                f"OCR バッチ {batch.id} の様式は {batch.template} です（{template} ではありません）",
                f"OCR batch {batch.id} holds {batch.template} forms, not {template}",
            )
        )
    return batch


def list_batches(session: Session, limit: int = 20) -> list[OcrBatch]:
    return list(session.scalars(select(OcrBatch).order_by(OcrBatch.created_at.desc()).limit(limit)))


def documents(session: Session, batch_id: str) -> list[tuple[OcrDocument, list[OcrField]]]:
    docs = list(
        session.scalars(select(OcrDocument).where(OcrDocument.batch_id == batch_id).order_by(OcrDocument.id))
    )
    return [(d, _fields(session, d.id)) for d in docs]


def _fields(session: Session, document_id: int) -> list[OcrField]:
    return list(
        session.scalars(select(OcrField).where(OcrField.document_id == document_id).order_by(OcrField.seq))
    )


WAITING = ("review", "check")  # field statuses still waiting for staff


def doubtful_fields(session: Session, batch_id: str) -> list[tuple[OcrDocument, OcrField]]:
    """Fields waiting for staff (``review``, or ``check``: reviewed once, waiting for the second
    reviewer of a ダブルチェック) of the batch, in document then field order."""
    rows = session.execute(
        select(OcrDocument, OcrField)
        .join(OcrField, OcrField.document_id == OcrDocument.id)
        .where(OcrDocument.batch_id == batch_id, OcrField.status.in_(WAITING))
        .order_by(OcrDocument.id, OcrField.seq)
    )
    return [(row[0], row[1]) for row in rows]


# ------------------------------------------------------------------------------- review


def start_review(session: Session, batch_id: str, *, fields_exported: int, by: str = "") -> OcrReview:
    review = OcrReview(
        batch_id=batch_id,
        token=secrets.token_hex(8),
        exported_by=by,
        fields_exported=fields_exported,
        exported_at=utcnow(),
    )
    session.add(review)
    session.flush()
    return review


@dataclass
class ReviewOutcome:
    review: OcrReview
    corrected: int
    confirmed: int
    documents_now_ok: int
    minutes: float


def apply_review(
    session: Session,
    *,
    token: str,
    batch_id: str,
    values: dict[int, str],
    reviewer: str,
    minutes: float | None = None,
    now: datetime | None = None,
    max_measured: float | None = None,
    double_check: bool = False,
) -> ReviewOutcome:
    """Apply reviewed values (field id → value); each reviewed field becomes ``ok``.

    ``minutes`` given by the reviewer wins; otherwise the time between export and now is used,
    capped at ``max_measured`` (a workbook left open over a weekend is not 3,000 minutes of work).
    """
    now = now or utcnow()
    review = session.scalars(select(OcrReview).where(OcrReview.token == token)).first()
    if review is None or review.batch_id != batch_id:
        raise DataError(
            tr(
                f"このレビュー表はバッチ {batch_id} のものではありません",
                f"this review workbook does not belong to batch {batch_id}",
            ),
            hint=tr(
                "`dxrpa ocr review BATCH` で出力した表を使ってください",
                "use the workbook written by `dxrpa ocr review BATCH`",
            ),
        )
    if review.applied_at is not None:
        raise DataError(
            tr(
                f"このレビュー表は {review.applied_at:%Y-%m-%d %H:%M} に取り込み済みです",
                f"this review workbook was already applied at {review.applied_at:%Y-%m-%d %H:%M}",
            ),
            hint=tr(
                "もう一度 `dxrpa ocr review BATCH` で出力してください",
                "export a new one with `dxrpa ocr review BATCH`",
            ),
        )
    corrected = confirmed = 0
    touched: set[int] = set()
    for field_id, value in values.items():
        field = session.get(OcrField, field_id)
        if field is None:
            raise DataError(tr(f"項目 {field_id} がありません", f"no field {field_id}"))
        doc = session.get(OcrDocument, field.document_id)
        if doc is None or doc.batch_id != batch_id:
            raise DataError(
                tr(f"項目 {field_id} は別のバッチのものです", f"field {field_id} belongs to another batch")
            )
        if field.status not in WAITING:
            continue
        if field.status == "check" and field.first_reviewer == reviewer:
            raise DataError(
                tr(
                    f"項目 {field.name} は {reviewer} さんが 1 人目として確認済みです(ダブルチェック)",
                    f"{reviewer} already reviewed {field.name} first (double check)",
                ),
                hint=tr("別の職員が 2 人目として確認してください", "a different reviewer must confirm it"),
            )
        if value != field.value:
            field.original_value = field.value
            field.value = value
            field.corrected = True
            corrected += 1
        else:
            confirmed += 1
        if double_check and field.status == "review":  # the first of two: wait for a second reviewer
            field.status, field.first_reviewer = "check", reviewer
        else:
            field.status = "ok"
            field.reason = ""
        touched.add(doc.id)
    now_ok = 0
    for doc_id in touched:
        doc = session.get(OcrDocument, doc_id)
        assert doc is not None
        pending = session.scalar(
            select(func.count()).where(OcrField.document_id == doc_id, OcrField.status.in_(WAITING))
        )
        if not pending and doc.status == "review":
            doc.status = "ok"
            doc.reviewed = True
            now_ok += 1
    measured = (now - review.exported_at).total_seconds() / 60
    review.applied_at = now
    review.reviewer = reviewer
    review.fields_corrected = corrected
    review.fields_confirmed = confirmed
    if minutes is not None:
        review.minutes, review.minutes_source = round(minutes, 2), "entered"
    elif max_measured is not None and measured > max_measured:
        review.minutes, review.minutes_source = round(max_measured, 2), "capped"
    else:
        review.minutes, review.minutes_source = round(measured, 2), "measured"
    batch = session.get(OcrBatch, batch_id)
    if batch is not None:
        batch.documents_ok += now_ok
        batch.documents_review -= now_ok
    session.flush()
    return ReviewOutcome(review, corrected, confirmed, now_ok, review.minutes)


def review_minutes(session: Session, batch_id: str | None = None) -> float:
    """Total review minutes recorded (one batch or all)."""
    q = select(func.coalesce(func.sum(OcrReview.minutes), 0.0))
    if batch_id:
        q = q.where(OcrReview.batch_id == batch_id)
    return float(session.scalar(q) or 0.0)


# ------------------------------------------------------------------------------- robots


def last_folder_run(session: Session, robot_name: str, folder: str) -> datetime | None:
    row = session.scalars(
        select(OcrFolderRun).where(OcrFolderRun.robot_name == robot_name, OcrFolderRun.folder == folder)
    ).first()
    return row.last_run_at if row else None


def set_folder_run(session: Session, robot_name: str, folder: str, at: datetime) -> None:
    row = session.scalars(
        select(OcrFolderRun).where(OcrFolderRun.robot_name == robot_name, OcrFolderRun.folder == folder)
    ).first()
    if row is None:
        session.add(OcrFolderRun(robot_name=robot_name, folder=folder, last_run_at=at))
    else:
        row.last_run_at = at
    session.flush()


def documents_for_robot(
    session: Session,
    *,
    robot_name: str,
    template: str,
    statuses: tuple[str, ...],
    batch_id: str | None = None,
    folder: str | None = None,
) -> list[tuple[OcrDocument, list[OcrField]]]:
    """Documents a robot has not taken yet: of one batch, or of every batch read from its folder."""
    q = select(OcrDocument).join(OcrBatch, OcrBatch.id == OcrDocument.batch_id)
    q = q.where(OcrDocument.template == template, OcrDocument.status.in_(statuses))
    if batch_id is not None:
        q = q.where(OcrDocument.batch_id == batch_id)
    if folder is not None:
        q = q.where(OcrBatch.folder == folder, OcrBatch.robot_name == robot_name)
    taken = select(OcrConsumption.document_id).where(
        OcrConsumption.robot_name == robot_name, OcrConsumption.status == "done"
    )
    q = q.where(OcrDocument.id.not_in(taken)).order_by(OcrDocument.id)
    return [(d, _fields(session, d.id)) for d in session.scalars(q)]


def files_already_read(session: Session, *, robot_name: str, folder: str) -> dict[str, bool]:
    """Source files of a robot's inbox that were read before (path → any page failed)."""
    rows = session.execute(
        select(OcrDocument.source_file, OcrDocument.status)
        .join(OcrBatch, OcrBatch.id == OcrDocument.batch_id)
        .where(OcrBatch.robot_name == robot_name, OcrBatch.folder == folder)
    )
    out: dict[str, bool] = {}
    for path, status in rows:
        out[path] = out.get(path, False) or status == "failed"
    return out


def count_documents(
    session: Session, *, template: str, status: str, batch_id: str | None = None, folder: str | None = None
) -> int:
    q = select(func.count()).select_from(OcrDocument).join(OcrBatch, OcrBatch.id == OcrDocument.batch_id)
    q = q.where(OcrDocument.template == template, OcrDocument.status == status)
    if batch_id is not None:
        q = q.where(OcrDocument.batch_id == batch_id)
    if folder is not None:
        q = q.where(OcrBatch.folder == folder)
    return int(session.scalar(q) or 0)


def mark_taken(session: Session, robot_name: str, document_ids: list[int], status: str = "done") -> None:
    """Record that a robot entered (``done``) or failed these documents."""
    for doc_id in document_ids:
        row = session.scalars(
            select(OcrConsumption).where(
                OcrConsumption.robot_name == robot_name, OcrConsumption.document_id == doc_id
            )
        ).first()
        if row is None:
            session.add(OcrConsumption(robot_name=robot_name, document_id=doc_id, status=status, at=utcnow()))
        else:
            row.status, row.at = status, utcnow()
    session.flush()
