"""OCR as a robot's data source, and the one function that runs OCR into a stored batch.

``data: {ocr: {batch: latest, template: juminhyo, status: ok}}`` hands the forms of a stored batch
to a robot. ``data: {ocr: {folder: scans/inbox, template: juminhyo}}`` makes the robot read the
scanner's drop folder itself: files that arrived since its last run are read into a new batch,
forms whose fields are all ``ok`` become items, the others wait for review (``dxrpa ocr review``)
and become items of a later run; :meth:`OcrItems.finish` then moves each file to ``done/`` or
``failed/`` beside the inbox. A document is handed to a robot once it has entered it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dxrpa.config import Settings
from dxrpa.engine.paths import Folders
from dxrpa.errors import DataError
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.model.form import FormResult
from dxrpa.model.robot import OcrSource
from dxrpa.ocr.engines.base import get_engine
from dxrpa.ocr.load import expand_inputs, load_pages
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.template import Template, get_template
from dxrpa.store.base import Store, utcnow
from dxrpa.store.ocr_repo import (
    count_documents,
    documents_for_robot,
    files_already_read,
    get_batch,
    mark_taken,
    new_batch_id,
    save_batch,
    set_folder_run,
)
from dxrpa.store.ocr_tables import OcrDocument, OcrField

STATUSES: dict[str, tuple[str, ...]] = {"ok": ("ok",), "review": ("review",), "all": ("ok", "review")}


def templates_dir(settings: Settings) -> Path:
    return settings.home / settings.templates_dir


def crops_dir(settings: Settings, batch_id: str) -> Path:
    return settings.var_dir / "ocr" / batch_id / "crops"


@dataclass
class OcrRun:
    batch_id: str
    template: Template
    results: list[FormResult]

    @property
    def failed(self) -> list[FormResult]:
        return [r for r in self.results if r.status == "failed"]


def run_ocr(
    store: Store,
    settings: Settings,
    template_name: str,
    paths: list[Path],
    *,
    on_page: Callable[[FormResult], None] | None = None,
    crops: Path | None = None,
    source: str = "cli",
    robot_name: str | None = None,
    folder: str = "",
    created_by: str = "",
) -> OcrRun:
    """Read ``paths`` with one template and store them as a batch (failed files included)."""
    template = get_template(template_name, templates_dir(settings))
    batch_id = new_batch_id()
    reader = FormReader(
        template,
        get_engine(settings.ocr),
        review_threshold=settings.ocr.review_threshold,
        crops_dir=(crops or crops_dir(settings, batch_id)).resolve(),
        seal=store.vault.seal_bytes,
    )
    results: list[FormResult] = []
    for path in paths:
        for result in reader.read_file(path):
            result.source_file = str(path.resolve())
            results.append(result)
            if on_page is not None:
                on_page(result)
    with store.session() as s:
        save_batch(
            s,
            template=template.name,
            results=results,
            department=template.spec.department,
            source=source,
            robot_name=robot_name,
            folder=folder,
            created_by=created_by,
            batch_id=batch_id,
        )
    logger.info(
        "OCR batch {}: {} forms ok, {} to review, {} failed",
        batch_id,
        sum(r.status == "ok" for r in results),
        sum(r.status == "review" for r in results),
        len([r for r in results if r.status == "failed"]),
    )
    return OcrRun(batch_id, template, results)


# ----------------------------------------------------------------------------- robots


@dataclass
class OcrItems:
    """The forms handed to a robot run; ``finish`` records what was entered and moves files."""

    rows: list[dict[str, Any]]
    held: int = 0
    robot_name: str = ""
    inbox: Path | None = None
    batch_id: str | None = None
    failed_files: set[str] = field(default_factory=set)
    new_files: list[Path] = field(default_factory=list)
    store: Store | None = None

    def _done_rows(self, done_keys: set[str]) -> list[dict[str, Any]]:
        """Rows whose item key is in ``done_keys`` (the key may be any column, e.g. 受付番号)."""
        if not done_keys:
            return []
        columns = ["_document", *sorted({c for row in self.rows for c in row} - {"_document"})]
        for col in columns:
            values = {str(row.get(col, "")).strip() for row in self.rows}
            if done_keys <= values:
                return [row for row in self.rows if str(row.get(col, "")).strip() in done_keys]
        from dxrpa.engine.data import _content_key

        return [row for row in self.rows if _content_key(row) in done_keys]

    def finish(self, done_keys: set[str]) -> None:
        """Record the documents entered; in folder mode move files to ``done/`` or ``failed/``."""
        done = self._done_rows(done_keys)
        done_docs = [int(row["_document"]) for row in done]
        if self.store is not None and done_docs:
            with self.store.session() as s:
                mark_taken(s, self.robot_name, done_docs)
        if self.inbox is None:
            return
        done_files = {str(row["_source_file"]) for row in done}
        open_files = {str(row["_source_file"]) for row in self.rows} - done_files
        for path in self.new_files:
            key = str(path.resolve())
            bad = key in self.failed_files or key in open_files
            target = self.inbox.parent / ("failed" if bad else "done")
            target.mkdir(parents=True, exist_ok=True)
            dest = target / path.name
            if dest.exists():
                dest = target / f"{path.stem}_{utcnow():%Y%m%d%H%M%S}{path.suffix}"
            if path.exists():
                shutil.move(str(path), dest)
                logger.info("OCR inbox: {} → {}/", path.name, target.name)


def _row(doc: OcrDocument, fields: list[OcrField]) -> dict[str, Any]:
    row: dict[str, Any] = {f.name: f.value for f in fields}
    row["_document"] = str(doc.id)
    row["_source_file"] = doc.source_file
    return row


def load_ocr_items(
    store: Store, settings: Settings, spec: OcrSource, robot_name: str, *, folders: Folders | None = None
) -> OcrItems:
    """Items for a robot from a stored batch (``batch:``) or by reading its inbox (``folder:``).

    The runner passes the robot's ``folders:``: the inbox must then lie inside one of them, so its
    ``done/`` and ``failed/`` siblings do too (DefinitionError otherwise)."""
    statuses = STATUSES[spec.status]
    if spec.folder is None:
        with store.session() as s:
            batch = get_batch(s, spec.batch or "latest", spec.template)
            docs = documents_for_robot(
                s, robot_name=robot_name, template=spec.template, statuses=statuses, batch_id=batch.id
            )
            held = count_documents(s, template=spec.template, status="review", batch_id=batch.id)
        rows = [_row(d, f) for d, f in docs]
        return OcrItems(
            rows=rows,
            held=held if spec.status == "ok" else 0,
            robot_name=robot_name,
            batch_id=batch.id,
            store=store,
        )

    if folders is not None:
        inbox = folders.resolve(spec.folder, "data: ocr folder")
    else:
        inbox = Path(spec.folder)
        if not inbox.is_absolute():
            inbox = settings.home / inbox
    if not inbox.is_dir():
        raise DataError(
            tr(f"OCR の受信フォルダ {inbox} がありません", f"OCR inbox folder {inbox} does not exist"),
            hint=tr("スキャナーの保存先フォルダを作成してください", "create the scanner's drop folder"),
        )
    folder_key = str(inbox.resolve())
    new_files = expand_inputs([inbox])
    started = utcnow()
    batch_id: str | None = None
    with store.session() as s:  # left in the inbox by a run that stopped before finish(): not read twice
        known = files_already_read(s, robot_name=robot_name, folder=folder_key)
    failed = {path for path, bad in known.items() if bad}
    to_read = [p for p in new_files if str(p.resolve()) not in known]
    if to_read:
        run = run_ocr(
            store,
            settings,
            spec.template,
            to_read,
            source="folder",
            robot_name=robot_name,
            folder=folder_key,
        )
        batch_id = run.batch_id
        failed |= {r.source_file for r in run.failed}
    with store.session() as s:
        set_folder_run(s, robot_name, folder_key, started)
        docs = documents_for_robot(
            s, robot_name=robot_name, template=spec.template, statuses=statuses, folder=folder_key
        )
        held = count_documents(s, template=spec.template, status="review", folder=folder_key)
    rows = [_row(d, f) for d, f in docs]
    if held and spec.status == "ok":
        logger.info("OCR inbox {}: {} form(s) held for review (dxrpa ocr review)", inbox, held)
    return OcrItems(
        rows=rows,
        held=held if spec.status == "ok" else 0,
        robot_name=robot_name,
        inbox=inbox,
        batch_id=batch_id,
        failed_files=failed,
        new_files=new_files,
        store=store,
    )


# ----------------------------------------------------------------------------- `ocr:` step


def make_ocr_reader(settings: Settings) -> Callable[[bytes | Path, str | None], Any]:
    """The reader for the robot ``ocr:`` step: a form file with a template → dict of field values;
    a screenshot (bytes) or a file without template → the text read on it (lines joined by newlines).
    """

    def read(source: bytes | Path, template: str | None) -> Any:
        import cv2
        import numpy as np

        engine = get_engine(settings.ocr)
        if isinstance(source, bytes):
            image = cv2.imdecode(np.frombuffer(source, np.uint8), cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise DataError(
                    tr("スクリーンショットを画像として読めません", "cannot decode the screenshot")
                )
            return "\n".join(line.text for line in engine.read_page(image))
        if template:
            tpl = get_template(template, templates_dir(settings))
            reader = FormReader(tpl, engine, review_threshold=settings.ocr.review_threshold)
            result = next(iter(reader.read_file(source)))
            if result.status == "failed":
                raise DataError(result.error)
            return result.values()
        return "\n".join(line.text for page in load_pages(source) for line in engine.read_page(page))

    return read
