"""The OCR pipeline for one template: page → align → crop fields → recognize → normalize → validate.

Only field crops are recognized (no text detection on the page): the template says where each
field is, so one recognition call per page reads every text field. Checkboxes are decided
by the share of ink inside the box, never by OCR. Personal data (field values) is never logged.
"""

from __future__ import annotations

import itertools
import json
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
from dxrpa.ocr import crops, eras, marks
from dxrpa.ocr.align import Aligner, ink_mask
from dxrpa.ocr.clean import PRINT, deepened, descreen, destreaked, flatten, paper, print_level, untint
from dxrpa.ocr.crosscheck import cross_check
from dxrpa.ocr.ctc import decode, dropped_digit, full_width, insert, squeezed
from dxrpa.ocr.digits import restore_dropped, second_opinion
from dxrpa.ocr.engines.base import Engine, Recognized
from dxrpa.ocr.grammar import BLOCK_NUMBER, Automaton, for_field, symbol
from dxrpa.ocr.load import Scan, load_scans
from dxrpa.ocr.normalize import normalize, unvalued_spaces
from dxrpa.ocr.strike import struck_out
from dxrpa.ocr.template import Template
from dxrpa.ocr.validate import (
    check,
    guessed_block_marker,
    inferred_block_number,
    is_address,
    judge,
    missing_block_numbers,
)
from dxrpa.vault import must_seal

MARGIN = 6  # px around a field box: handwriting spills over the line
JOINT = 0.5  # wide gaps inside a field are closed up to this share of the text height
INK_LEVEL = 150  # darker than this is firm writing
FAINT_LEVEL = 210  # darker than this may be a faint stroke (never closed up as a blank gap)
MIN_INK_PIXELS = 40  # fewer dark pixels than this in a field means "empty"
INSET = 3  # px inside a box's lines: where its tint or dot screen is looked for
#: writing that runs on past the end of its box (a long address) is looked for this many box heights
#: beyond it, in the middle half of its rows: read without it, the field was accepted cut short
#: (「…加納町37」 for 「…加納町3丁目7番11号」; bench/ocr_accuracy.py)
SPILL = 1.0
#: a field box whose paper on the blank form is darker than this is tinted (網掛け): below 220 every
#: threshold took its grey for print or ink, and each field of such a form was read empty
TINTED = 235
TICK_ON, TICK_OFF = 0.10, 0.035  # ink share inside a checkbox: ticked above ON, empty below OFF


@dataclass
class _Prepared:
    spec: FieldSpec
    index: int
    erase: np.ndarray | None = None  # blank form ink to remove (text fields)
    eras: eras.EraList | None = None  # the eras a date box prints to circle


FREE_TEXT = frozenset({"text", "katakana", "hiragana", "email"})
#: fields whose value is digits: each digit is read a second time on its own (dxrpa.ocr.digits),
#: and free text whose digits are (an address's 丁目 and 番地, an e-mail's numbers)
ONLY_DIGITS = frozenset({"number", "phone", "postal_code", "my_number"})
SOME_DIGITS = frozenset({"date", "text", "email"})
DIGIT_FIELDS = ONLY_DIGITS | SOME_DIGITS
#: fields whose numbers stand between kanji (5丁目13番, 10月): a digit dropped there left a column of
#: ink of its own (in an e-mail address, letters' ink is no sure count of characters)
WRITTEN_AMONG = frozenset({"date", "text"})


#: characters that carry no value in formatted fields: normalization drops or rewrites them
#: (092-834-9911 is regrouped from its digits), so an unsure hyphen is no doubt about the value
_DASHES = "-‐－−―—–~〜ー一_"
_SEPARATORS = {
    "phone": frozenset(_DASHES + ".・ 　()（）"),
    "postal_code": frozenset(_DASHES + ".・ 　〒"),
    "number": frozenset(" 　"),
    "my_number": frozenset(_DASHES + ".・ 　"),
    "date": frozenset(".・/-‐－−—– 　"),
}
#: field types whose value never holds a space: a space read inside one carries no value
SPACELESS = frozenset({"email", "phone", "postal_code", "number", "my_number"})
#: characters the digit reader leaves alone although they may stand for a 1: in an e-mail address
#: "mai|" is as likely mail as mai1
_NOT_DIGITS = {"email": frozenset("/|")}


def _digits(spec: FieldSpec, line: Line, rec: Recognized) -> Recognized:
    """``rec`` with its digits read a second time (:mod:`dxrpa.ocr.digits`) where the type has digits."""
    if spec.type not in DIGIT_FIELDS:
        return rec
    ignore = _SEPARATORS.get(spec.type, _NOT_DIGITS.get(spec.type, frozenset()))
    if spec.type == "date" and any(c in rec.text for c in "年月日"):
        ignore -= {"/"}  # 令和元年1/月: a "/" beside 年 and 月 is a 1, not a separator
    rec = second_opinion(line.image, rec, ignore, every=spec.type in ONLY_DIGITS)
    if spec.type in WRITTEN_AMONG:
        return restore_dropped(line.image, rec)
    return rec


#: the least a grammatical reading's likelihood against the recognizer's first choice for it to be
#: offered: below, it is made up rather than read (a scribble "decoded" as some date), and the raw
#: reading goes to review with the grammar's own reason. On the benchmark's real hands the readings
#: kept were at 0.03 or more, the ones that were wrong at 0.013 or less.
PLAUSIBLE = 0.02

#: how much more likely a digit was dropped than the probability the recognizer left for it says:
#: its blank is overconfident. On the benchmark's real hands, traces of 0.037 to 0.073 were a dropped
#: digit in half the fields (12月 read as 2月, 305 as 35, user11 as user), while correct readings left
#: 0.028 or less, save three (up to 0.085); so a trace of a third of the review threshold's doubt
#: sends a field to review
DROP_ODDS = 3.0


def drop_cap(rec: Recognized) -> float:
    """The most a field's confidence may be, given the digit the recognizer may have dropped."""
    return 1.0 - min(1.0, DROP_ODDS * dropped_digit(rec))


def within_grammar(spec: FieldSpec, rec: Recognized) -> Recognized:
    """``rec`` read within its field's grammar (:mod:`dxrpa.ocr.ctc`): when it breaks the grammar, the
    likeliest reading that keeps it (if plausible); a date that keeps it, settled (:func:`_settled`);
    an address, with the block numbers it lacks inferred. Forced characters keep the low probability
    the recognizer gave them, and the reading's ``cap`` says how much likelier its first choice was."""
    if is_address(spec):
        return insert(rec, missing_block_numbers(rec.text), BLOCK_NUMBER)
    automaton = for_field(spec.type, spec.digits)
    if automaton is None or rec.lattice is None:
        return rec
    if automaton.accepts(rec.text):
        return _settled(spec, rec, automaton)
    found = decode(rec.lattice, automaton)
    return found if found is not None and found.cap >= PLAUSIBLE else rec


def _settled(spec: FieldSpec, rec: Recognized, automaton: Automaton) -> Recognized:
    """A date read within its grammar, its era, 年, 月 and 日 as sure as the grammar makes them (a
    handwritten 令 the recognizer half took for 今); its digits as they were."""
    if spec.type != "date" or rec.lattice is None or len(rec.chars) != len(rec.text):
        return rec
    found = decode(rec.lattice, automaton)
    if found is None or found.text != "".join(symbol(c, automaton.digits) for c in rec.text):
        return rec
    chars = tuple(
        mine if ch.isdigit() else max(mine, sure)
        for ch, mine, sure in zip(found.text, rec.chars, found.chars, strict=True)
    )
    return rec._replace(chars=chars, weakest=min(chars))


def field_confidence(field_type: str, rec: Recognized, dropped: bool = False) -> float:
    """One confidence per field: the probability of its weakest character.

    A field is as wrong as its worst character, whatever its type: a mean over twelve digits hides
    the one the recognizer guessed (a handwritten 6 read as 4 at 0.89 in a field whose mean is
    0.98), and the grammar cannot catch a wrong digit that still makes a valid number. Characters
    that carry no value (the hyphens of a phone number, a space next to Japanese) do not count.
    Free text has no format to catch a dropped character either, so holes in the decoded positions
    count as doubt there.
    """
    conf = min(rec.confidence, rec.weakest)
    ignore = _SEPARATORS.get(field_type, frozenset())
    if rec.chars and len(rec.chars) == len(rec.text):
        spaces = unvalued_spaces(rec.text)
        if field_type in SPACELESS:  # normalization drops every space there
            spaces = frozenset(i for i, ch in enumerate(rec.text) if ch.isspace())
        kept = [
            c
            for i, (ch, c) in enumerate(zip(rec.text, rec.chars, strict=True))
            if ch not in ignore and i not in spaces
        ]
        conf = min(kept) if kept else conf
    conf = min(conf, rec.cap)
    if field_type in FREE_TEXT and dropped:
        return min(conf, 0.5)
    return conf


PAGE_VIEW_WIDTH = 1400  # the page image kept for the review screen: enough to read, small on disk


#: px of the blank form beyond a crop whose print is erased too: a label printed just past the box
#: (the 時 of 「17 時」) slides into the crop when the scan is off by a few pixels, and its first
#: stroke read as a digit made 17 into 171
BEYOND = 10


def _erase_mask(blank: np.ndarray, box: Box, *, keep_glyphs: bool = False) -> np.ndarray:
    """The blank form's print over a field's crop, grown so a scan a few pixels off is still covered:
    by 3 px inside the box (writing often touches its lines) and by 7 px outside it, where only
    spill-over of the writing is expected. ``keep_glyphs``: the characters printed inside the box are
    not erased, only its lines (a date box printed 「令和　年　月　日」, filled in with the numbers
    alone, reads as a date only with its 年, 月 and 日)."""
    h, w = blank.shape
    x0, y0, x1, y1 = _clip(box, MARGIN, w, h)
    bx0, by0, bx1, by1 = _clip(box, MARGIN + BEYOND, w, h)
    ink = (blank[by0:by1, bx0:bx1] < PRINT).astype(np.uint8)
    inside = np.zeros(ink.shape, dtype=bool)
    bx, by, bw, bh = box
    inside[by - by0 : by - by0 + bh, bx - bx0 : bx - bx0 + bw] = True
    lines = ink & ~_printed_glyphs(ink, inside, bh) if keep_glyphs else ink
    near = cv2.dilate(lines, np.ones((7, 7), np.uint8)).astype(bool)
    far = cv2.dilate(ink, np.ones((15, 15), np.uint8)).astype(bool)
    mask = np.where(inside, near, far)
    return np.asarray(mask[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0])


def _boxes(spec: FieldSpec) -> list[Box]:
    """A field's box, or for a choice field its options' boxes."""
    return [spec.box] if spec.box else [o.box for o in spec.options]


def _open_paper(blank: np.ndarray, fields: list[FieldSpec]) -> np.ndarray:
    """Where the blank form has neither print (grown by 7 px: a scan's lines near the sheet's edge
    can be that far off) nor a field box: ink found there on a page is writing that ran out of its box."""
    h, w = blank.shape
    print_ = cv2.dilate((blank < PRINT).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    boxed = np.zeros((h, w), dtype=bool)
    for spec in fields:
        for box in _boxes(spec):
            x0, y0, x1, y1 = _clip(box, MARGIN, w, h)
            boxed[y0:y1, x0:x1] = True
    return np.asarray(~print_ & ~boxed)


def _run_on(page: np.ndarray, open_paper: np.ndarray, box: Box) -> Box | None:
    """``box`` grown to the right over writing that goes on past its end (firm ink on open paper
    within :data:`SPILL` box heights, in the middle half of its rows: not a neighbour's tall stroke),
    up to the first gap of a box height, and to at most twice its width; None when there is none."""
    x, y, w, h = box
    start, limit = min(x + w + MARGIN, page.shape[1]), min(x + 2 * w, page.shape[1])
    rows = slice(y + h // 4, y + h - h // 4)
    cols = (_ink(page[rows, start:limit], INK_LEVEL) & open_paper[rows, start:limit]).sum(axis=0)
    if int(cols[: round(SPILL * h)].sum()) < MIN_INK_PIXELS:
        return None
    end = 0
    for c in np.nonzero(cols)[0].tolist():
        if c - end > h:
            break
        end = c
    return (x, y, start + end + 1 - x, h)


def _printed_glyphs(ink: np.ndarray, inside: np.ndarray, box_height: int) -> np.ndarray:
    """The strokes of characters printed wholly inside a box: smaller than the box, not its lines."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    glyph = np.zeros(count, dtype=bool)
    for c in range(1, count):
        x, y, w, h = (int(v) for v in stats[c, :4])
        glyph[c] = max(w, h) <= 0.8 * box_height and bool(inside[y : y + h, x : x + w].all())
    return np.asarray(glyph[labels])


def _tinted(template: Template) -> tuple[np.ndarray, np.ndarray | None]:
    """The blank form with its boxes' dot screens evened out (:func:`dxrpa.ocr.clean.descreen`) and,
    when some text field's box is tinted, the paper under it as a page shows it once flattened
    (:func:`dxrpa.ocr.clean.flatten` keeps part of a wide box's tint); else None."""
    boxes = [
        (x + INSET, y + INSET, w - 2 * INSET, h - 2 * INSET)
        for x, y, w, h in (
            s.box for s in template.spec.fields if s.type not in ("checkbox", "choice") and s.box
        )
    ]
    blank = descreen(template.blank, boxes)
    for x, y, w, h in boxes:
        inner = blank[y + h // 4 : y + h - h // 4, x + w // 8 : x + w - w // 8]
        if inner.size and float(np.median(inner)) < TINTED:
            return blank, paper(flatten(blank))
    return blank, None


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
        seal: crops.Seal | None = None,
    ) -> None:
        """``crops_dir``: where field crops and page images are kept for review (none when None);
        ``seal``: how the crops of fields that may show a My Number are sealed (:mod:`dxrpa.ocr.crops`)."""
        self.template = template
        self.engine = engine
        self.review_threshold = review_threshold
        self.crops_dir = crops_dir
        self.seal = seal
        self.aligner = Aligner(template.blank, min_score=template.spec.min_alignment)
        #: the blank form, and each page once aligned, with tinted boxes brought to white (None: no tint)
        blank, self._paper = _tinted(template)
        self.blank = blank if self._paper is None else untint(blank, paper(blank))
        self._print = ink_mask(self.blank, self.aligner.ink_level)  # where the blank has print, how dark
        self._print_level = print_level(self.blank, self._print)
        self._open = _open_paper(self.blank, template.spec.fields)
        self._fields: list[_Prepared] = []
        for i, spec in enumerate(template.spec.fields):
            prep = _Prepared(spec, i)
            if spec.type not in ("checkbox", "choice") and spec.box is not None:
                prep.erase = _erase_mask(self.blank, spec.box, keep_glyphs=spec.type == "date")
            if spec.type == "date" and spec.box is not None:
                prep.eras = eras.find(self.blank, spec.box, engine.recognize)
            self._fields.append(prep)

    # ------------------------------------------------------------------ files and pages

    def read_file(self, path: Path) -> Iterator[FormResult]:
        """One result per page; an unusable file or page becomes a ``failed`` result, never an exception."""
        page_no = 0
        try:
            for image in load_scans(path):
                page_no += 1
                yield self.read_page(image, source_file=str(path), page=page_no)
        except DataError as exc:
            logger.warning("OCR {}: {}", path.name, exc)
            yield FormResult(source_file=str(path), page=page_no + 1, status="failed", error=str(exc))

    def read_page(self, image: np.ndarray | Scan, *, source_file: str, page: int = 1) -> FormResult:
        """One page, grayscale or as loaded (:class:`~dxrpa.ocr.load.Scan`: a red seal dropped out)."""
        start = time.perf_counter()
        label = f"{Path(source_file).name} p{page}"
        scan = image if isinstance(image, Scan) else Scan(image, None)
        # A red seal is dropped out before anything else; a form printed in red is aligned on its
        # print as it is, and its red dropped out of the fields once the page is on the form
        try:
            aligned = self.aligner.align(
                destreaked(flatten(self.aligner.fit(scan.image if scan.red_print else scan.gray()))),
                label=label,
            )
        except DataError as exc:
            logger.warning("OCR {}", exc)
            return FormResult(
                source_file=source_file,
                page=page,
                status="failed",
                error=str(exc),
                seconds=time.perf_counter() - start,
            )
        warped, alignment, outside = aligned.image, aligned.alignment, aligned.outside
        key = f"{Path(source_file).stem}_p{page}"
        if self._paper is not None and self._paper.shape == warped.shape:
            warped = untint(warped, self._paper)
        shown = warped = deepened(warped, self._print, self._print_level)
        if scan.red_print and scan.lift is not None:  # the reviewer still sees the page with its print
            warped = np.asarray(cv2.add(warped, aligned.warp(self.aligner.fit(scan.lift), fill=0)))
        fields = self.read_fields(warped, key, outside)
        self._save_page(shown, key, fields)
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

    def read_fields(
        self, warped: np.ndarray, key: str, outside: np.ndarray | None = None
    ) -> list[FieldResult]:
        """Every field of an aligned page; ``outside``: where the scan does not show the form (a
        field there goes to review, whatever was read of it: an optional field read empty there
        was accepted)."""
        h, w = warped.shape
        results: dict[int, FieldResult] = {}
        to_read: list[tuple[_Prepared, Line, str | None, str, str | None]] = []
        cut: dict[int, np.ndarray] = {}  # crops written once their reading is known (sealed or not)
        for prep in self._fields:
            spec = prep.spec
            if spec.type == "checkbox":
                results[prep.index] = self._checkbox(warped, spec, key, prep.index)
                continue
            if spec.type == "choice":
                results[prep.index] = self._choice(warped, spec, key, prep.index)
                continue
            assert spec.box is not None
            box, erase, doubt = spec.box, prep.erase, ""
            run_on = _run_on(warped, self._open, spec.box)
            if run_on is not None:  # read with the rest, and shown to the reviewer whole
                box, erase = run_on, _erase_mask(self.blank, run_on, keep_glyphs=spec.type == "date")
                doubt = tr(
                    "枠の外まで書かれています（枠の外も読みました。確かめてください）",
                    "the writing runs on past the box (read with it: please check)",
                )
            x0, y0, x1, y1 = _clip(box, MARGIN, w, h)
            crop = warped[y0:y1, x0:x1].copy()
            crop_path = self._crop_path(key, prep.index)
            cut[prep.index] = crop
            cleaned = crop.copy()
            if erase is not None and erase.shape == cleaned.shape:
                cleaned[erase] = 255
            era = None
            if prep.eras is not None:
                chosen, unsure = eras.choose(warped, self.blank, prep.eras)
                cleaned, touching = eras.compose(cleaned, (x0, y0), self.blank, prep.eras, chosen)
                doubt, era = doubt or unsure or touching, chosen.era if chosen else None
            cleaned = darkened(cleaned)
            doubt = doubt or struck_out(cleaned)
            line = _tight(one_line(cleaned) if spec.type == "text" else cleaned)
            if line is None:
                empty = Recognized("", 1.0, 1.0)
                results[prep.index] = self._finish(spec, empty, False, crop_path, doubt=doubt)
            else:
                to_read.append((prep, line, crop_path, doubt, era))
        recognized = self.engine.recognize([item[1].image for item in to_read])
        for (prep, line, crop_path, doubt, era), rec in zip(to_read, recognized, strict=True):
            if era is not None:
                rec = eras.settle(rec, era)
            rec = _digits(prep.spec, line, rec)
            fixed = within_grammar(prep.spec, rec)
            inferred = fixed is not rec and is_address(prep.spec)
            if fixed is not rec:
                rec = _digits(prep.spec, line, fixed)
            if prep.spec.type in DIGIT_FIELDS:
                rec = rec._replace(cap=min(rec.cap, drop_cap(rec)))
            dropped = prep.spec.type in FREE_TEXT and dropped_character(rec, line)
            results[prep.index] = self._finish(prep.spec, rec, dropped, crop_path, inferred, doubt)
        fields = [results[i] for i in range(len(self._fields))]
        cross_check(self.template, fields, self.review_threshold)
        if outside is not None:
            self._unseen(fields, outside)
        for index, crop in cut.items():
            f = fields[index]
            if f.crop:
                sensitive = f.type == "my_number" or any(must_seal(t) for t in (f.value, f.raw, f.text))
                f.crop = str(crops.write(Path(f.crop), crop, self.seal if sensitive else None))
        return fields

    def _unseen(self, fields: list[FieldResult], outside: np.ndarray) -> None:
        """Fields the scan does not show in full go to review, whatever was read of them."""
        for prep, f in zip(self._fields, fields, strict=True):
            if any(outside[y : y + h, x : x + w].any() for x, y, w, h in _boxes(prep.spec)):
                f.status = "review"
                f.reason = tr(
                    "スキャンに写っていません（用紙の端が切れています）",
                    "not in the scan (the sheet's edge is cut off)",
                )

    def _finish(
        self,
        spec: FieldSpec,
        rec: Recognized,
        dropped: bool,
        crop: str | None,
        inferred: bool = False,
        doubt: str = "",
    ) -> FieldResult:
        """The field's value, confidence and status; ``doubt``: a reason for review found before reading."""
        confidence = field_confidence(spec.type, rec, dropped)
        value = normalize(spec.type, rec.text, name=spec.name, keep_variants=spec.keep_variants)
        if spec.name in self.template.masters and value and confidence < self.review_threshold:
            confidence = self._beyond_master(spec, rec, value, dropped, confidence)
        raw = normalize(spec.type, rec.text, name=spec.name, keep_variants=True)
        rule = doubt or check(spec, value, self.template.dictionaries.get(spec.name))
        if not rule and is_address(spec):
            rule = guessed_block_marker(rec.text) or inferred_block_number(inferred)
        reason = judge(rule, confidence, self.review_threshold)
        return FieldResult(
            name=spec.name,
            type=spec.type,
            value=value,
            raw=raw if raw != value else "",
            text=rec.text,
            confidence=round(confidence, 4),
            weakest=round(rec.weakest, 4),
            gap=dropped,
            status="review" if reason else "ok",
            reason=reason,
            crop=crop,
        )

    def _beyond_master(
        self, spec: FieldSpec, rec: Recognized, value: str, dropped: bool, confidence: float
    ) -> float:
        """An address's confidence over what the city's 町字 master does not vouch for.

        When the start of the address is an entry of the master (read exactly, or the one entry
        within a character or two), those characters are settled by the master, not by the
        recognizer: a doubt about 霞 in 霞が関 is no doubt about the value. What follows (丁目,
        番地, the building) has nothing to check it against, so its weakest character decides.
        """
        match = self.template.masters[spec.name].match(value)
        if match.reason or match.town is None or not rec.chars or len(rec.chars) != len(rec.text):
            return confidence
        skip = next(
            (
                k
                for k in range(1, len(rec.text) + 1)
                if len(normalize(spec.type, rec.text[:k], name=spec.name)) >= match.read
            ),
            len(rec.text),
        )
        rest = [c for ch, c in zip(rec.text[skip:], rec.chars[skip:], strict=True) if not ch.isspace()]
        settled = min(rest) if rest else 1.0
        return min(settled, 0.5) if dropped else min(max(confidence, settled), rec.cap)

    def _tick(self, warped: np.ndarray, box: Box) -> float:
        x, y, w, h = box
        inset = max(4, min(w, h) // 6)
        inner = warped[y + inset : y + h - inset, x + inset : x + w - inset]
        blank = self.blank[y + inset : y + h - inset, x + inset : x + w - inset]
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
        if share <= TICK_OFF:  # empty inside: a tick running past the box still counts
            territory = marks.ring(spec.box, warped.shape[1], warped.shape[0])
            mark = marks.measure(warped, self.blank, spec.box, territory, share)
            if mark.around >= marks.AROUND_ON and mark.touches:
                value, conf, reason = "true", 0.9, ""
            elif mark.around >= marks.AROUND_OFF:
                conf = 0.5
                reason = tr("チェック欄の近くに書き込みがあります", "marks near the checkbox")
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
        boxes = [o.box for o in spec.options]
        lands = marks.territories(boxes, warped.shape[1], warped.shape[0])
        found = [
            marks.measure(warped, self.blank, b, t, s) for b, t, s in zip(boxes, lands, shares, strict=True)
        ]
        ticked = [o.value for o, s in zip(spec.options, shares, strict=True) if s >= (TICK_ON + TICK_OFF) / 2]
        conf = min(self._tick_confidence(s) for s in shares)
        circled = [o.value for o, m in zip(spec.options, found, strict=True) if m.around >= marks.AROUND_ON]
        clean = [m.around < marks.AROUND_OFF for m in found]
        xs = [t[0] for t in lands] + [t[0] + t[2] for t in lands]
        ys = [t[1] for t in lands] + [t[1] + t[3] for t in lands]
        box: Box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        x0, y0, x1, y1 = _clip(box, 10, warped.shape[1], warped.shape[0])
        crop = self._save_crop(warped[y0:y1, x0:x1], key, index)
        marked = [v for v in circled if v not in ticked]  # a ○ round a label, or a ✓ mostly outside
        if not ticked and len(marked) == 1 and sum(clean) == len(spec.options) - 1:
            ticked, conf = marked, 0.92
            marked = []
        value = ticked[0] if len(ticked) == 1 else ""
        reason = check(spec, value)
        if len(ticked) > 1:
            reason = tr("複数の選択肢にチェックがあります", "more than one option is ticked")
        elif marked and (ticked or len(marked) > 1 or sum(clean) < len(spec.options) - 1):
            value = ""  # marks disagree: staff choose, the screen suggests nothing
            reason = tr("複数の選択肢に印があります", "more than one option is marked")
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

    def _field_box(self, prep: _Prepared, width: int, height: int) -> tuple[int, int, int, int] | None:
        """Where field ``prep`` was cut from the aligned page (its crop), in page pixels."""
        spec = prep.spec
        if spec.type == "choice" and spec.options:
            xs = [o.box[0] for o in spec.options] + [o.box[0] + o.box[2] for o in spec.options]
            ys = [o.box[1] for o in spec.options] + [o.box[1] + o.box[3] for o in spec.options]
            box: Box = (min(xs), min(ys), max(xs) - min(xs) + 400, max(ys) - min(ys))
            return _clip(box, 10, width, height)
        if spec.box is None:
            return None
        return _clip(spec.box, 10 if spec.type == "checkbox" else MARGIN, width, height)

    def _save_page(self, warped: np.ndarray, key: str, fields: list[FieldResult]) -> None:
        """The aligned page beside the crops (``KEY_page.jpg``) and each field's place on it as
        shares of the page (``KEY_page.json``), for the review screen's whole-page view; fields
        whose crop is sealed are painted over."""
        if self.crops_dir is None:
            return
        h, w = warped.shape[:2]
        hidden = [p for p, f in zip(self._fields, fields, strict=True) if f.crop and crops.is_sealed(f.crop)]
        if hidden:
            warped = warped.copy()
            for prep in hidden:
                box = self._field_box(prep, w, h)
                if box is not None:
                    warped[box[1] : box[3], box[0] : box[2]] = crops.COVER
        scale = min(1.0, PAGE_VIEW_WIDTH / w)
        small = cv2.resize(warped, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        self.crops_dir.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(self.crops_dir / f"{key}_page.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, 80])
        boxes = {}
        for prep in self._fields:
            box = self._field_box(prep, w, h)
            if box is not None:
                x0, y0, x1, y1 = box
                boxes[f"{prep.index:02d}"] = [x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h]
        (self.crops_dir / f"{key}_page.json").write_text(json.dumps({"boxes": boxes}), encoding="utf-8")

    def _crop_path(self, key: str, index: int) -> str | None:
        return str(self.crops_dir / f"{key}_f{index:02d}.png") if self.crops_dir is not None else None

    def _save_crop(self, crop: np.ndarray, key: str, index: int) -> str | None:
        """A mark's crop (a checkbox, a choice): no digits to seal."""
        path = self._crop_path(key, index)
        return str(crops.write(Path(path), crop, None)) if path is not None else None


@dataclass
class Line:
    """A field's writing cut to its ink, as handed to the recognizer."""

    image: np.ndarray
    em: float  # height of the writing in pixels: a full-width character is about this wide
    pad: int  # white border added on every side
    joints: list[tuple[int, int]]  # x ranges of the short blanks that replaced wide gaps


def _ink(crop: np.ndarray, level: int) -> np.ndarray:
    """Pixels darker than ``level``, without scanner specks (smaller than any stroke)."""
    raw = (crop < level).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(raw, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 6
    return np.asarray(keep[labels])


#: pale writing (a pencil, a pen running dry): when the darkest of a field's strokes are lighter than
#: this, the crop is darkened to bring them to :data:`WRITING` (pen ink scans at 30–80; HB pencil at
#: 110–160 fell short of INK_LEVEL, and its fields read empty or lost characters)
PALE, WRITING = 90, 50
FIRM = 0.2  # ...and less than this share of its faint ink is firm (pen writing has 0.5 and more)
STROKE = 0.3  # ...and only strokes: a faint patch at least this share of the crop's height


def darkened(crop: np.ndarray) -> np.ndarray:
    """``crop`` with pale writing darkened to pen ink; as it is when its writing is dark already,
    or when what is faint is no stroke (specks, the grey left around erased print)."""
    faint = _ink(crop, FAINT_LEVEL)
    if int(faint.sum()) < 2 * MIN_INK_PIXELS:
        return crop
    darkest = float(np.percentile(crop[faint], 5))
    if darkest <= PALE or int(_ink(crop, INK_LEVEL).sum()) >= FIRM * int(faint.sum()):
        return crop
    count, _, stats, _ = cv2.connectedComponentsWithStats(faint.astype(np.uint8), connectivity=8)
    if count < 2 or int(stats[1:, cv2.CC_STAT_HEIGHT].max()) < STROKE * crop.shape[0]:
        return crop
    lut = np.clip(255 - (255 - np.arange(256)) * (255 - WRITING) / (255 - darkest), 0, 255)
    return np.asarray(lut.astype(np.uint8)[crop])


#: a band of writing is a line of its own when it is at least this share of the tallest band's height
LINE_SHARE = 0.5


def one_line(crop: np.ndarray) -> np.ndarray:
    """``crop`` with lines of writing (an address written over two lines of its box) put one after
    the other on a single line, as the line recognizer reads them; a crop with one line as it is.

    A line is a band of rows with ink, apart from the next by rows with (almost) none, at least
    ``LINE_SHARE`` as tall as the tallest band and 8 px, and wider than twice its height (several
    characters: the strokes of a lone 二 are no lines); smaller bands (a stroke above the line) stay
    with the nearest line.
    """
    ink = _ink(crop, INK_LEVEL)
    on = np.nonzero(ink.sum(axis=1) >= max(3, crop.shape[1] // 100))[0]  # not a row of scanner dust
    if on.size == 0:
        return crop
    runs: list[list[int]] = []
    for y in on.tolist():
        if runs and y - runs[-1][1] <= 2:  # a blank row or two inside a line is no gap
            runs[-1][1] = y
        else:
            runs.append([y, y])
    tallest = max(b + 1 - a for a, b in runs)
    bands = []
    for a, b in runs:
        cols = np.nonzero(ink[a : b + 1].any(axis=0))[0]
        tall = b + 1 - a >= max(8, LINE_SHARE * tallest)
        if tall and cols.size and cols[-1] + 1 - cols[0] >= 2 * (b + 1 - a):
            bands.append((a, b + 1))
    if len(bands) < 2:
        return crop
    cuts = [0, *((above[1] + below[0]) // 2 for above, below in itertools.pairwise(bands)), crop.shape[0]]
    height = max(b - a for a, b in itertools.pairwise(cuts))
    parts: list[np.ndarray] = []
    for a, b in itertools.pairwise(cuts):
        cols = np.nonzero(ink[a:b].any(axis=0))[0]
        if cols.size == 0:
            continue
        room = (b - a) // 2  # the faint ends of the first and last character lie beyond the firm ink
        part = crop[a:b, max(int(cols[0]) - room, 0) : int(cols[-1]) + 1 + room]
        top = (height - part.shape[0]) // 2
        part = cv2.copyMakeBorder(
            part, top, height - part.shape[0] - top, 0, 0, cv2.BORDER_CONSTANT, value=255
        )
        if parts:
            parts.append(np.full((height, height), 255, dtype=np.uint8))  # a wide blank: closed up as a gap
        parts.append(part)
    return np.hstack(parts)


#: a faint stroke at least this share of the crop's height, inside the box, is writing even where a
#: field has too little firm ink to count: a small 1 written with a thin pen scans grey, and read as
#: empty it was accepted
STROKE_SHARE = 0.15


def _faint_strokes(crop: np.ndarray) -> np.ndarray:
    """The faint ink of ``crop`` that forms strokes: :data:`STROKE_SHARE` of its height, firm
    somewhere (darker than ``INK_LEVEL`` + 30) and inside the box (the grey left beside an erased
    line is not); none when what is faint is specks."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (crop < FAINT_LEVEL).astype(np.uint8), connectivity=8
    )
    darkest = np.full(count, 255, dtype=np.uint8)
    np.minimum.at(darkest, labels.ravel().astype(np.intp), crop.ravel())
    x, y, w, h = (stats[:, i] for i in range(4))
    inner = MARGIN + 3
    inside = (x >= inner) & (y >= inner) & (x + w <= crop.shape[1] - inner) & (y + h <= crop.shape[0] - inner)
    keep = inside & (h >= STROKE_SHARE * crop.shape[0]) & (darkest < INK_LEVEL + 30)
    keep[0] = False
    return np.asarray(keep[labels])


def _tight(crop: np.ndarray) -> Line | None:
    """Cut the crop to its writing and close up wide blank gaps (the space between 氏 and 名).

    Returns None when there is no writing. A wide blank gap makes the model read "ー" or drop a
    character; the value carries no spaces next to Japanese anyway. Where the writing starts and
    ends is found on firm ink, but a gap is only closed where not even faint ink is left: the
    hairlines of a Mincho 一 or 二 scanned at 150 dpi are light grey, and closing "a gap" there
    erased the character.
    """
    ink = _ink(crop, INK_LEVEL)
    if int(ink.sum()) < MIN_INK_PIXELS:
        ink = _faint_strokes(crop)
        if not ink.any():
            return None
    rows = np.where(ink.sum(axis=1) >= 2)[0]
    cols = np.where(ink.sum(axis=0) >= 1)[0]
    if rows.size == 0 or cols.size == 0:
        return None
    height = int(rows[-1]) + 1 - int(rows[0])
    edge = max(2, height // 8)  # faint ends of strokes lie just outside the firm ink
    y0, y1 = max(int(rows[0]) - edge, 0), min(int(rows[-1]) + 1 + edge, crop.shape[0])
    x0, x1 = max(int(cols[0]) - edge, 0), min(int(cols[-1]) + 1 + edge, crop.shape[1])
    faint = np.asarray(_ink(crop[y0:y1], FAINT_LEVEL).any(axis=0))
    faint[x0:x1] |= ink[y0:y1, x0:x1].any(axis=0)
    min_gap = max(14, int(height * 0.6))
    # faint writing that goes on right after the firm ink, as closely as characters follow each
    # other, is writing too (the pale 「03」 of 「ハイツ203」 at 100 dpi was cut off and read ハイツ2);
    # a pale red 印鑑 a blank away is not
    close = max(3, height // 6)
    x0, x1 = _reach(faint, x0, -1, close), _reach(faint, x1 - 1, 1, close) + 1
    spans: list[tuple[int, int]] = []
    start = x0
    blank = 0
    for x in range(x0, x1):
        if faint[x]:
            if blank > min_gap + 2 * edge:
                spans.append((start, x - blank + edge))
                start = x - edge
            blank = 0
        else:
            blank += 1
    spans.append((start, x1))
    pad = max(8, height // 4)
    joint_w = max(4, int(height * JOINT))
    parts: list[np.ndarray] = []
    joints: list[tuple[int, int]] = []
    out_x = pad  # where the next part starts in the line image
    for a, b in spans:
        if int(ink[y0:y1, a:b].sum()) < 15:  # a speck, not writing
            continue
        if parts:
            parts.append(np.full((y1 - y0, joint_w), 255, dtype=np.uint8))
            joints.append((out_x, out_x + joint_w))
            out_x += joint_w
        parts.append(crop[y0:y1, a:b])
        out_x += b - a
    if not parts:
        return None
    body = cv2.copyMakeBorder(np.hstack(parts), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    return Line(body, float(height), pad, joints)


def _reach(faint: np.ndarray, end: int, step: int, gap: int) -> int:
    """How far from ``end`` (in direction ``step``) faint ink goes on with no blank wider than ``gap``."""
    x, blank = end, 0
    while 0 <= x + step < faint.size and blank <= gap:
        x += step
        blank = 0 if faint[x] else blank + 1
        if faint[x]:
            end = x
    return end


HALF_WIDTH_EM = 0.55  # digits and Latin letters are about half as wide as a kanji
DROPPED_EM = 0.75  # unexplained blank this wide (in character widths) between two characters
POSITION_SLACK = 0.3  # how far (in character widths) a decoded centre may be from its ink


def dropped_character(rec: Recognized, line: Line) -> bool:
    """Whether the decoded character positions leave room for a character the recognizer dropped.

    CTC recognizers sometimes drop a character with full confidence (コーポ read as 一ポ, 千葉
    read as 葉). Each decoded character has a position; knowing the writing's height (a
    full-width character is about as wide as it is high) and where blanks were closed up, the
    distance between neighbours that is left unexplained is the room of a missing character.
    Only gaps next to a full-width character are judged: Latin letters vary too much in width.
    """
    if not rec.centers or len(rec.centers) != len(rec.text) or line.em <= 0:
        return False
    if squeezed(rec.text, rec.centers, line.em):
        return False
    widths = [1.0 if full_width(c) else HALF_WIDTH_EM for c in rec.text]
    right_edge = line.image.shape[1] - line.pad
    placed = [(c, w) for ch, c, w in zip(rec.text, rec.centers, widths, strict=True) if not ch.isspace()]
    points = [(float(line.pad), 0.0), *placed, (float(right_edge), 0.0)]  # a space has no place of its own
    inked = np.asarray(_ink(line.image, INK_LEVEL).any(axis=0))
    for (a, wa), (b, wb) in itertools.pairwise(points):
        if max(wa, wb) < 1.0:
            continue
        blanks = sum(max(0, min(j1, b) - max(j0, a)) for j0, j1 in line.joints)
        if (b - a - blanks) / line.em - (wa + wb) / 2 <= DROPPED_EM:
            continue
        # the middle of the room between the two characters: a dropped character left ink there,
        # the space between 氏 and 名 left none (decoded places are off by up to a CTC step, so the
        # room's edges, where a neighbour's stroke may reach, are not looked at)
        lo = a + (wa / 2 + POSITION_SLACK) * line.em
        hi = b - (wb / 2 + POSITION_SLACK) * line.em
        mid, half = (lo + hi) / 2, max((hi - lo) / 2, 0.1 * line.em)
        if int(inked[max(round(mid - half), 0) : max(round(mid + half), 0)].sum()) >= 2:
            return True
    return False


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
    except (OSError, ValueError, RuntimeError):  # unreadable (PdfiumError is a RuntimeError): one
        return 1  # page, and reading it reports the error for that file
    return 1
