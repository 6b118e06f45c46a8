"""The OCR pipeline for one template: page → align → crop fields → recognize → normalize → validate.

Only field crops are recognized (no text detection on the page): the template says where each
field is, so one batched recognition call per page reads every text field. Checkboxes are decided
by the share of ink inside the box, never by OCR. Personal data (field values) is never logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dxrpa.errors import DataError
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.model.form import Box, FieldResult, FieldSpec, FormResult
from dxrpa.ocr.align import Aligner
from dxrpa.ocr.engines.base import Engine, Recognized
from dxrpa.ocr.load import load_pages
from dxrpa.ocr.normalize import normalize
from dxrpa.ocr.template import Template
from dxrpa.ocr.validate import check

MARGIN = 6  # px around a field box: handwriting spills over the line
JOINT = 0.5  # wide gaps inside a field are closed up to this share of the text height
MIN_INK_PIXELS = 40  # fewer dark pixels than this in a field means "empty"
TICK_ON, TICK_OFF = 0.10, 0.035  # ink share inside a checkbox: ticked above ON, empty below OFF


@dataclass
class _Prepared:
    spec: FieldSpec
    index: int
    erase: np.ndarray | None = None  # blank form ink to remove (text fields)


FREE_TEXT = frozenset({"text", "katakana", "hiragana", "email"})


def field_confidence(field_type: str, rec: Recognized) -> float:
    """One confidence per field from the engine's character probabilities.

    Free text has no format to catch a wrong or dropped character, so it is judged by its weakest
    character and by holes in the decoded positions; formatted types (dates, numbers, phone) are
    also validated, so the mean is enough there.
    """
    if field_type in FREE_TEXT:
        conf = min(rec.confidence, rec.weakest)
        return min(conf, 0.5) if rec.gap else conf
    return rec.confidence


def _clip(box: Box, margin: int, width: int, height: int) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return max(x - margin, 0), max(y - margin, 0), min(x + w + margin, width), min(y + h + margin, height)


class FormReader:
    """Reads pages of one form type with one engine. Build once, reuse for every page."""

    def __init__(
        self,
        template: Template,
        engine: Engine,
        *,
        review_threshold: float = 0.90,
        crops_dir: Path | None = None,
    ) -> None:
        self.template = template
        self.engine = engine
        self.review_threshold = review_threshold
        self.crops_dir = crops_dir
        self.aligner = Aligner(template.blank, min_score=template.spec.min_alignment)
        blank = template.blank
        h, w = blank.shape
        self._fields: list[_Prepared] = []
        kernel = np.ones((7, 7), np.uint8)
        for i, spec in enumerate(template.spec.fields):
            prep = _Prepared(spec, i)
            if spec.type not in ("checkbox", "choice") and spec.box is not None:
                x0, y0, x1, y1 = _clip(spec.box, MARGIN, w, h)
                ink = (blank[y0:y1, x0:x1] < 220).astype(np.uint8)
                prep.erase = cv2.dilate(ink, kernel).astype(bool)
            self._fields.append(prep)

    # ------------------------------------------------------------------ files and pages

    def read_file(self, path: Path) -> Iterator[FormResult]:
        """One result per page; an unusable file or page becomes a ``failed`` result, never an exception."""
        page_no = 0
        try:
            for image in load_pages(path):
                page_no += 1
                yield self.read_page(image, source_file=str(path), page=page_no)
        except DataError as exc:
            logger.warning("OCR {}: {}", path.name, exc)
            yield FormResult(source_file=str(path), page=page_no + 1, status="failed", error=str(exc))

    def read_page(self, image: np.ndarray, *, source_file: str, page: int = 1) -> FormResult:
        start = time.perf_counter()
        label = f"{Path(source_file).name} p{page}"
        try:
            warped, alignment = self.aligner.align(image, label=label)
        except DataError as exc:
            logger.warning("OCR {}", exc)
            return FormResult(
                source_file=source_file,
                page=page,
                status="failed",
                error=str(exc),
                seconds=time.perf_counter() - start,
            )
        key = f"{Path(source_file).stem}_p{page}"
        fields = self.read_fields(warped, key)
        status = "ok" if all(f.status == "ok" for f in fields) else "review"
        result = FormResult(
            source_file=source_file,
            page=page,
            status=status,
            alignment=alignment,
            fields=fields,
            seconds=round(time.perf_counter() - start, 4),
        )
        logger.info(
            "OCR {}: {} (alignment {:.2f}, {} fields to review)",
            label,
            status,
            alignment.score,
            sum(f.status != "ok" for f in fields),
        )
        return result

    # ------------------------------------------------------------------ fields

    def read_fields(self, warped: np.ndarray, key: str) -> list[FieldResult]:
        h, w = warped.shape
        results: dict[int, FieldResult] = {}
        to_read: list[tuple[_Prepared, int]] = []
        images: list[np.ndarray] = []
        for prep in self._fields:
            spec = prep.spec
            if spec.type == "checkbox":
                results[prep.index] = self._checkbox(warped, spec, key, prep.index)
                continue
            if spec.type == "choice":
                results[prep.index] = self._choice(warped, spec, key, prep.index)
                continue
            assert spec.box is not None
            x0, y0, x1, y1 = _clip(spec.box, MARGIN, w, h)
            crop = warped[y0:y1, x0:x1].copy()
            crop_path = self._save_crop(crop, key, prep.index)
            cleaned = crop.copy()
            if prep.erase is not None and prep.erase.shape == cleaned.shape:
                cleaned[prep.erase] = 255
            line = _tight(cleaned)
            if line is None:
                results[prep.index] = self._finish(spec, "", Recognized("", 1.0, 1.0), crop_path)
            else:
                chunks = split_long(line) if spec.type in FREE_TEXT else [line]
                images.append(line)
                if len(chunks) > 1:  # long free text is also read piece by piece, as a cross-check
                    images.extend(chunks)
                to_read.append((prep, 1 + (len(chunks) if len(chunks) > 1 else 0)))
                results[prep.index] = FieldResult(name=spec.name, type=spec.type, crop=crop_path)
        if to_read:
            recognized = self.engine.recognize(images)
            pos = 0
            second: list[tuple[_Prepared, Recognized, np.ndarray]] = []
            for prep, count in to_read:
                line, parts = images[pos], recognized[pos : pos + count]
                pos += count
                rec = parts[0]
                if count > 1 and not _same(prep.spec, rec, _join(parts[1:])):
                    rec = rec._replace(gap=True)
                results[prep.index] = self._finish(prep.spec, rec.text, rec, results[prep.index].crop)
                if prep.spec.type in FREE_TEXT and results[prep.index].status == "ok":
                    second.append((prep, rec, line))
            self._second_opinion(second, results)
        return [results[i] for i in range(len(self._fields))]

    def _second_opinion(
        self, accepted: list[tuple[_Prepared, Recognized, np.ndarray]], results: dict[int, FieldResult]
    ) -> None:
        """Free text about to be auto-accepted is read once more, slightly blurred; it must agree.

        Free text has no format to validate, so a confident misreading (前田 → 前山) would pass;
        a second reading of a softened image disagrees on most such misreadings and rarely on
        correct ones (bench/ocr_accuracy.py), so disagreement sends the field to review.
        """
        if not accepted:
            return
        again = self.engine.recognize([cv2.GaussianBlur(line, (3, 3), 0) for _, _, line in accepted])
        for (prep, rec, _), other in zip(accepted, again, strict=True):
            if not _same(prep.spec, rec, other):
                crop = results[prep.index].crop
                results[prep.index] = self._finish(prep.spec, rec.text, rec._replace(gap=True), crop)

    def _finish(self, spec: FieldSpec, text: str, rec: Recognized, crop: str | None) -> FieldResult:
        confidence = field_confidence(spec.type, rec)
        value = normalize(spec.type, text, name=spec.name)
        reason = check(spec, value, self.template.dictionaries.get(spec.name))
        if not reason and confidence < self.review_threshold:
            reason = tr(f"確信度が低い（{confidence:.2f}）", f"low confidence ({confidence:.2f})")
        return FieldResult(
            name=spec.name,
            type=spec.type,
            value=value,
            text=text,
            confidence=round(confidence, 4),
            weakest=round(rec.weakest, 4),
            gap=rec.gap,
            status="review" if reason else "ok",
            reason=reason,
            crop=crop,
        )

    def _tick(self, warped: np.ndarray, box: Box) -> float:
        x, y, w, h = box
        inset = max(4, min(w, h) // 6)
        inner = warped[y + inset : y + h - inset, x + inset : x + w - inset]
        blank = self.template.blank[y + inset : y + h - inset, x + inset : x + w - inset]
        if inner.size == 0:
            return 0.0
        ink = float(np.count_nonzero(inner < 140)) / inner.size
        base = float(np.count_nonzero(blank < 140)) / blank.size
        return max(ink - base, 0.0)

    @staticmethod
    def _tick_confidence(share: float) -> float:
        if share >= TICK_ON:
            return min(1.0, 0.9 + (share - TICK_ON))
        if share <= TICK_OFF:
            return 1.0
        return 0.5

    def _checkbox(self, warped: np.ndarray, spec: FieldSpec, key: str, index: int) -> FieldResult:
        assert spec.box is not None
        share = self._tick(warped, spec.box)
        x0, y0, x1, y1 = _clip(spec.box, 10, warped.shape[1], warped.shape[0])
        crop = self._save_crop(warped[y0:y1, x0:x1], key, index)
        conf = self._tick_confidence(share)
        value = "true" if share >= (TICK_ON + TICK_OFF) / 2 else "false"
        reason = "" if conf >= 0.9 else tr(f"チェックが薄い（{share:.2f}）", f"faint tick ({share:.2f})")
        return FieldResult(
            name=spec.name,
            type="checkbox",
            value=value,
            text=f"{share:.3f}",
            confidence=conf,
            status="review" if reason else "ok",
            reason=reason,
            crop=crop,
        )

    def _choice(self, warped: np.ndarray, spec: FieldSpec, key: str, index: int) -> FieldResult:
        shares = [self._tick(warped, o.box) for o in spec.options]
        ticked = [o.value for o, s in zip(spec.options, shares, strict=True) if s >= (TICK_ON + TICK_OFF) / 2]
        conf = min(self._tick_confidence(s) for s in shares)
        xs = [o.box[0] for o in spec.options] + [o.box[0] + o.box[2] for o in spec.options]
        ys = [o.box[1] for o in spec.options] + [o.box[1] + o.box[3] for o in spec.options]
        box: Box = (min(xs), min(ys), max(xs) - min(xs) + 400, max(ys) - min(ys))
        x0, y0, x1, y1 = _clip(box, 10, warped.shape[1], warped.shape[0])
        crop = self._save_crop(warped[y0:y1, x0:x1], key, index)
        value = ticked[0] if len(ticked) == 1 else ""
        reason = check(spec, value)
        if len(ticked) > 1:
            reason = tr("複数の選択肢にチェックがあります", "more than one option is ticked")
        elif not reason and conf < 0.9:
            reason = tr("チェックが薄い", "faint tick")
        return FieldResult(
            name=spec.name,
            type="choice",
            value=value,
            text="/".join(f"{s:.3f}" for s in shares),
            confidence=conf,
            status="review" if reason else "ok",
            reason=reason,
            crop=crop,
        )

    def _save_crop(self, crop: np.ndarray, key: str, index: int) -> str | None:
        if self.crops_dir is None:
            return None
        self.crops_dir.mkdir(parents=True, exist_ok=True)
        path = self.crops_dir / f"{key}_f{index:02d}.png"
        cv2.imwrite(str(path), crop)
        return str(path)


def _tight(crop: np.ndarray) -> np.ndarray | None:
    """Cut the crop to its ink and close up wide gaps (the space between 氏 and 名).

    Returns the padded line image, or None when there is no writing. A wide blank gap makes the
    model read "ー" or drop a character; the value carries no spaces next to Japanese anyway.
    """
    raw = (crop < 150).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(raw, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 6  # scanner specks are smaller than any stroke
    ink = keep[labels]
    if int(ink.sum()) < MIN_INK_PIXELS:
        return None
    rows = np.where(ink.sum(axis=1) >= 2)[0]
    if rows.size == 0:
        return None
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    cols = ink[y0:y1].sum(axis=0) >= 1
    xs = np.where(cols)[0]
    if xs.size == 0:
        return None
    height = y1 - y0
    min_gap = max(14, int(height * 0.6))
    words: list[tuple[int, int]] = []
    start = prev = int(xs[0])
    for x in xs[1:]:
        if x - prev > min_gap:
            words.append((start, prev + 1))
            start = int(x)
        prev = int(x)
    words.append((start, prev + 1))
    pad = max(8, height // 4)
    parts: list[np.ndarray] = []
    joint = np.full((height, max(4, int(height * JOINT))), 255, dtype=np.uint8)
    for a, b in words:
        if int(ink[y0:y1, a:b].sum()) < 15:  # a speck, not writing
            continue
        if parts:
            parts.append(joint)
        parts.append(crop[y0:y1, a:b])
    if not parts:
        return None
    body = np.hstack(parts)
    return cv2.copyMakeBorder(body, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def _same(spec: FieldSpec, a: Recognized, b: Recognized) -> bool:
    return normalize(spec.type, a.text, name=spec.name) == normalize(spec.type, b.text, name=spec.name)


def split_long(line: np.ndarray, max_ratio: float = 10.0) -> list[np.ndarray]:
    """Cut a long line at blank columns into pieces of at most ~``max_ratio`` × its height.

    The recognizer sometimes drops a character in a long line with high confidence (a 27-character
    address lost "コ"; the same line cut in two was read right). Reading long free text both whole
    and in pieces and comparing catches that; disagreement sends the field to review.
    """
    h, w = line.shape
    if w <= max_ratio * h:
        return [line]
    blank_cols = np.where((line < 150).sum(axis=0) == 0)[0]
    pieces: list[np.ndarray] = []
    start = 0
    step = int(max_ratio * h * 0.8)
    while w - start > max_ratio * h:
        target = start + step
        near = blank_cols[(blank_cols > start + h) & (np.abs(blank_cols - target) <= 1.5 * h)]
        if near.size == 0:
            break
        cut = int(near[np.argmin(np.abs(near - target))])
        pieces.append(_pad_piece(line[:, start:cut], h))
        start = cut
    pieces.append(_pad_piece(line[:, start:], h))
    return pieces


def _pad_piece(piece: np.ndarray, h: int) -> np.ndarray:
    side = max(4, h // 5)
    return cv2.copyMakeBorder(piece, 0, 0, side, side, cv2.BORDER_CONSTANT, value=255)


def _join(parts: list[Recognized]) -> Recognized:
    if not parts:
        return Recognized("", 0.0, 0.0)
    if len(parts) == 1:
        return parts[0]
    text = "".join(p.text for p in parts)
    lengths = [max(len(p.text), 1) for p in parts]
    mean = sum(p.confidence * n for p, n in zip(parts, lengths, strict=True)) / sum(lengths)
    return Recognized(text, mean, min(p.weakest for p in parts), any(p.gap for p in parts))


def read_files(
    reader: FormReader, paths: list[Path], on_page: Callable[[FormResult], None] | None = None
) -> list[FormResult]:
    """Read every file; failures are results too, so one bad file never stops the others."""
    out: list[FormResult] = []
    for path in paths:
        for result in reader.read_file(path):
            out.append(result)
            if on_page is not None:
                on_page(result)
    return out


def count_pages(path: Path) -> int:
    """Cheap page count for progress bars (1 when unknown or unreadable)."""
    try:
        if path.suffix.lower() == ".pdf":
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(str(path))
            try:
                return max(len(pdf), 1)
            finally:
                pdf.close()
        if path.suffix.lower() in (".tif", ".tiff"):
            from PIL import Image

            with Image.open(path) as im:
                return max(int(getattr(im, "n_frames", 1)), 1)
    except Exception:
        return 1
    return 1
