"""Tables owned by the ocr feature: batches, documents (one per form), field results, reviews.

A batch is one OCR run over a set of files with one template. Robots read documents of a batch
(or of their inbox folder) as their data; ``ocr_consumptions`` remembers which documents a robot
has already entered so a document is handed over once. ``ocr_reviews`` keeps who corrected what,
when, and the minutes it took (the hours-saved ledger subtracts them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dxrpa.store.base import Base, UtcDateTime, utcnow
from dxrpa.store.sealed import SealedText


class OcrBatch(Base):
    __tablename__ = "ocr_batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    template: Mapped[str] = mapped_column(String(100), index=True)
    department: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(20), default="cli")  # cli | folder | demo
    robot_name: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    folder: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    files: Mapped[int] = mapped_column(Integer, default=0)
    documents_ok: Mapped[int] = mapped_column(Integer, default=0)
    documents_review: Mapped[int] = mapped_column(Integer, default=0)
    documents_failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OcrDocument(Base):
    """One form (page) read from a file, or one file/page that could not be read."""

    __tablename__ = "ocr_documents"
    __table_args__ = (Index("ix_ocr_documents_batch_status", "batch_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("ocr_batches.id"), index=True)
    template: Mapped[str] = mapped_column(String(100))
    source_file: Mapped[str] = mapped_column(String(500))
    page: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))  # ok | review | failed  (review → ok once reviewed)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    alignment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    alignment_inliers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OcrField(Base):
    __tablename__ = "ocr_fields"
    __table_args__ = (UniqueConstraint("document_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("ocr_documents.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    # what the form says: sealed at rest when it may hold a My Number (dxrpa.store.sealed)
    value: Mapped[str] = mapped_column(SealedText, default="")
    # the value with its 字形 kept (異体字 as written) when that differs from ``value``
    raw_value: Mapped[str] = mapped_column(SealedText, default="", server_default="")
    ocr_text: Mapped[str] = mapped_column(SealedText, default="")
    confidence: Mapped[float] = mapped_column(Float, default=0)
    status: Mapped[str] = mapped_column(String(20))  # ok | review
    reason: Mapped[str] = mapped_column(SealedText, default="")
    crop: Mapped[str | None] = mapped_column(String(500), nullable=True)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    original_value: Mapped[str | None] = mapped_column(SealedText, nullable=True)
    # ダブルチェック: who reviewed first; the field waits (status "check") for a different reviewer
    first_reviewer: Mapped[str | None] = mapped_column(String(100), nullable=True)


class OcrReview(Base):
    """One review round of a batch: exported at, applied at, by whom, minutes spent."""

    __tablename__ = "ocr_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("ocr_batches.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # written into the workbook
    exported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    exported_by: Mapped[str] = mapped_column(String(100), default="")
    fields_exported: Mapped[int] = mapped_column(Integer, default=0)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reviewer: Mapped[str] = mapped_column(String(100), default="")
    fields_corrected: Mapped[int] = mapped_column(Integer, default=0)
    fields_confirmed: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    minutes_source: Mapped[str] = mapped_column(String(20), default="")  # measured | entered
    ledger_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OcrConsumption(Base):
    """A robot has taken a document as an item (so folder mode hands each form over once)."""

    __tablename__ = "ocr_consumptions"
    __table_args__ = (UniqueConstraint("robot_name", "document_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot_name: Mapped[str] = mapped_column(String(100), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("ocr_documents.id"))
    status: Mapped[str] = mapped_column(String(20), default="done")  # done | failed
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OcrFolderRun(Base):
    """When a robot last scanned its inbox folder (files that arrived since are read next time)."""

    __tablename__ = "ocr_folder_runs"
    __table_args__ = (UniqueConstraint("robot_name", "folder"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot_name: Mapped[str] = mapped_column(String(100))
    folder: Mapped[str] = mapped_column(String(500))
    last_run_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
