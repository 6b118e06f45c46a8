"""Read queries behind the console's OCR pages: doubtful fields per batch, a review by its token and
field names by id."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dxrpa.store.ocr_repo import WAITING
from dxrpa.store.ocr_tables import OcrDocument, OcrField, OcrReview


def doubtful_counts(session: Session) -> dict[str, int]:
    """Batch id → number of its fields waiting for a reviewer (batches with none are left out)."""
    counted = session.execute(
        select(OcrDocument.batch_id, func.count(OcrField.id))
        .join(OcrField, OcrField.document_id == OcrDocument.id)
        .where(OcrField.status.in_(WAITING))
        .group_by(OcrDocument.batch_id)
    )
    return {str(b): int(n) for b, n in counted}


def review_by_token(session: Session, token: str) -> OcrReview | None:
    """The review started under ``token``, or None."""
    return session.scalar(select(OcrReview).where(OcrReview.token == token))


def field_names(session: Session, field_ids: Iterable[int]) -> dict[int, str]:
    """Field id → field name, for those of ``field_ids`` that exist."""
    found = session.execute(select(OcrField.id, OcrField.name).where(OcrField.id.in_(list(field_ids))))
    return {int(i): str(n) for i, n in found}
