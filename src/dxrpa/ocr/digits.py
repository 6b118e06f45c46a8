"""A second reader for the digits of numbers, dates, phone numbers, postal codes and addresses.

The line recognizer reads a handwritten field as a whole and can be confidently wrong about one
digit (a 4 written like a 1), or double or drop one. Each digit it is not sure of (below
``CONSULT``) is looked at again on its own: its ink is cut out, normalized the way MNIST is
(longest side 20 px, centred by mass in 28 × 28) and classified by a small convolutional network
(``models/digits.npz``, trained by ``scripts/train_digits.py`` on public handwritten digits and on
printed digits from fonts the benchmark does not use). Where the two readers agree, the doubt left
is the line reader's times the chance the network shares its mistake; where they disagree, the
digit keeps no more confidence than the network leaves to other readings, and a digit with no ink
of its own, or a letter read where only digits belong, gets ``DOUBT``: the field goes to review,
with the network's digit as the suggestion where its ink was found by column order. A number in an
address or date that has more columns of ink than digits read (a small 1 dropped) is read column by
column and put back for review (:func:`restore_dropped`).
"""

from __future__ import annotations

import itertools
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dxrpa.errors import DependencyMissing
from dxrpa.i18n import tr
from dxrpa.ocr.ctc import digit_left, full_width, squeezed
from dxrpa.ocr.engines.base import Recognized
from dxrpa.ocr.normalize import DIGIT_FIXES

MODEL = Path(__file__).resolve().parent / "models" / "digits.npz"
SIZE, BOX = 28, 20  # the network's input, and the box the glyph's longest side is scaled to
INK = 150  # darker than this is writing (as in the pipeline)
#: the line reader's own probability below which a digit is read again: print it reads at 0.9999
#: and more, where the network, trained mostly on handwriting, knows less (a serifed 1 looks like a 7)
CONSULT = 0.999
SUGGEST = 0.9  # the network's reading replaces the line reader's (for review) only when this sure
DOUBT = 0.3  # a digit's confidence when the two readers disagree or it has no ink of its own
#: how often the network makes the same misreading as the line reader, when that one is wrong: a
#: digit badly written is ambiguous to both (a 9 with an open loop reads 7 to either), so their
#: errors are not independent and agreement leaves at least this share of the line reader's doubt
SAME_MISTAKE = 0.2
DIGITS = frozenset("0123456789")
STROKES = frozenset("/|／｜")  # a handwritten 1 read as a stroke: never a value in free text either
FLAT = 0.35  # a stroke lower than this share of the tallest one, and wider than high, may be a hyphen
WIDE = 1.3  # a digit's ink is never this much wider than high
GAP = 0.2  # the widest break between a digit's top bar and its stem, in character heights
#: the least probability the line reader left for a digit where the network sees one it dropped: on
#: the benchmark the dropped digits of real hands left 0.018 or more, the strokes of a printed kanji
#: standing apart (関, 号) 0.00002 or less
TRACE = 0.002


def as_digit(ch: str) -> str | None:
    """The digit a recognized character stands for (９, a slanted 1 read as |, b for 6), if any."""
    d = unicodedata.normalize("NFKC", ch).translate(DIGIT_FIXES)
    return d if d in DIGITS else None


def glyph_input(gray: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """One glyph as the network sees it: ink bright on black, 28 × 28, values 0–1.

    ``gray`` is the scan (dark ink on light paper), ``mask`` the pixels that belong to the glyph
    (neighbouring digits' ink inside the same rectangle is left out).
    """
    ink = np.where(mask, 255.0 - gray.astype(np.float32), 0.0)
    ink = np.clip((ink - 40.0) * (255.0 / 215.0), 0.0, 255.0)  # paper grey and scanner noise → 0
    ys, xs = np.nonzero(ink > 30)
    if ys.size < 4:
        return None
    ink = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = ink.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(ink, (nw, nh), interpolation=cv2.INTER_AREA)
    total = float(small.sum())
    if total <= 0:
        return None
    yy, xx = np.mgrid[0:nh, 0:nw]
    cy, cx = float((yy * small).sum()) / total, float((xx * small).sum()) / total
    out = np.zeros((SIZE, SIZE), np.float32)
    top, left = round(SIZE / 2 - cy), round(SIZE / 2 - cx)
    top, left = min(max(top, 0), SIZE - nh), min(max(left, 0), SIZE - nw)
    out[top : top + nh, left : left + nw] = small
    return out / 255.0


class DigitNet:
    """The network's forward pass in numpy: two 5 × 5 conv + max-pool layers, two dense layers."""

    def __init__(self, path: Path = MODEL) -> None:
        if not path.is_file():
            raise DependencyMissing(
                tr(f"数字の認識モデル {path} がありません", f"the digit model {path} is missing"),
                hint="pip install --force-reinstall dxrpa",
            )
        with np.load(path) as data:
            self.w = {k: data[k].astype(np.float32) for k in data.files}

    @staticmethod
    def _conv_pool(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        n, c, h, wd = x.shape
        o, _, k, _ = w.shape
        p = k // 2
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        cols = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(2, 3))  # n c h w k k
        cols = cols.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, c * k * k)
        y = (cols @ w.reshape(o, -1).T + b).reshape(n, h, wd, o).transpose(0, 3, 1, 2)
        y = np.maximum(y, 0.0)
        return np.asarray(y.reshape(n, o, h // 2, 2, wd // 2, 2).max(axis=(3, 5)))

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Softmax over 0–9 for each ``(28, 28)`` input of ``batch`` (shape ``(n, 28, 28)``)."""
        x = batch[:, None, :, :].astype(np.float32)
        x = self._conv_pool(x, self.w["c1"], self.w["c1b"])
        x = self._conv_pool(x, self.w["c2"], self.w["c2b"])
        x = np.maximum(x.reshape(x.shape[0], -1) @ self.w["d1"] + self.w["d1b"], 0.0)
        z = x @ self.w["d2"] + self.w["d2b"]
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return np.asarray(z / z.sum(axis=1, keepdims=True))


_net: DigitNet | None = None
_lock = threading.Lock()


def net() -> DigitNet:
    """The digit network, loaded once per process."""
    global _net
    with _lock:
        if _net is None:
            _net = DigitNet()
        return _net


@dataclass(frozen=True)
class Glyph:
    index: int  # position of the digit in the line recognizer's text
    image: np.ndarray | None  # network input, or None when the digit has no ink of its own
    clear: bool = True  # False: its ink could not be told from its neighbour's (no opinion)
    placed: bool = False  # its ink was found by the order of the columns, not by a decoded position


def _capped(comp: int, stats: np.ndarray, comps: list[int], height: int) -> bool:
    """Whether flat stroke ``comp`` is the top bar of a digit whose stem stands apart just below it
    (a thin 7 or 5 breaks there when scanned): another stroke lies under most of the narrower one's
    width, a small gap below, and reaches down past the middle of the line."""
    x, y, w, h = (int(v) for v in stats[comp, :4])
    for other in comps:
        ox, oy, ow, oh = (int(v) for v in stats[other, :4])
        if other == comp or oh <= h:
            continue
        overlap = min(x + w, ox + ow) - max(x, ox)
        if overlap >= 0.5 * min(w, ow) and 0 <= oy - (y + h) <= GAP * height and oy + oh >= y + height / 2:
            return True
    return False


def _stray(comp: int, stats: np.ndarray, tall: list[int], height: int, comps: list[int]) -> bool:
    """A stroke that belongs to no digit: a rule of the form or a corner of one, a hyphen between
    digits, or what is left of a printed line above or below them (no tall stroke beside it
    reaches past it) — unless it is a digit's top bar standing apart from its stem (:func:`_capped`)."""
    x, y, w, h = (int(v) for v in stats[comp, :4])
    if (w <= 3 and h > 1.5 * height) or (  # a vertical rule of the form, or a corner of one
        max(w, h) > 1.2 * height and stats[comp, cv2.CC_STAT_AREA] < 0.1 * w * h
    ):
        return True
    if h >= FLAT * height or h >= w or _capped(comp, stats, comps, height):
        return False
    beside = [t for t in tall if stats[t, 0] < x + w and x < stats[t, 0] + stats[t, 2]]
    if not beside:
        return True
    top = min(int(stats[t, 1]) for t in beside)
    bottom = max(int(stats[t, 1] + stats[t, 3]) for t in beside)
    return y + h <= top + 1 or y >= bottom - 1


def _columns(comps: list[int], stats: np.ndarray) -> list[list[int]]:
    """Strokes grouped left to right into columns that share no x: a printed or carefully written
    line has one column per character (a kanji's strokes overlap in x; digits stand apart)."""
    columns: list[list[int]] = []
    right = -1
    for c in sorted(comps, key=lambda c: int(stats[c, cv2.CC_STAT_LEFT])):
        x0 = int(stats[c, cv2.CC_STAT_LEFT])
        x1 = x0 + int(stats[c, cv2.CC_STAT_WIDTH])
        if columns and x0 < right:
            columns[-1].append(c)
            right = max(right, x1)
        else:
            columns.append([c])
            right = x1
    return columns


def _strokes(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int], int] | None:
    """The line's strokes (connected components of its ink) that belong to characters: their labels,
    stats, the kept ones (not :func:`_stray`) and the height of a character's ink."""
    ink = (image < INK).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    comps = [c for c in range(1, count) if stats[c, cv2.CC_STAT_AREA] >= 6]
    if not comps:
        return None
    heights = sorted(int(stats[c, cv2.CC_STAT_HEIGHT]) for c in comps)
    height = max(h for h in heights if h <= 2 * heights[len(heights) // 2])  # not a rule's
    tall = [c for c in comps if 0.6 * height <= stats[c, cv2.CC_STAT_HEIGHT] <= 1.5 * height]
    return labels, stats, [c for c in comps if not _stray(c, stats, tall, height, comps)], height


FAINT = 210  # lighter than writing, darker than paper: the hairlines of a thin printed 0


def _one_body(image: np.ndarray, labels: np.ndarray, comps: list[int]) -> bool:
    """Whether strokes ``comps`` are joined by faint ink: the two sides of a thin 0 whose hairlines
    scanned grey, not two digits with paper between them."""
    ys, xs = np.nonzero(np.isin(labels, comps))
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    faint = (image[y0:y1, x0:x1] < FAINT).astype(np.uint8)
    _, bodies = cv2.connectedComponents(faint, connectivity=8)
    firm = labels[y0:y1, x0:x1]
    return len({int(bodies[firm == c][0]) for c in comps}) == 1


def _glyph(image: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """The network's input for the stroke pixels ``mask`` within ``box`` (y0, y1, x0, x1), taking in
    the grey edge pixels around them."""
    y0, y1, x0, x1 = box
    near_ink = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return glyph_input(image[y0:y1, x0:x1], near_ink[y0:y1, x0:x1])


def cut_glyphs(
    image: np.ndarray, rec: Recognized, slots: list[int], attract: list[int], ignore: frozenset[str]
) -> list[Glyph]:
    """The ink of the characters at ``slots``.

    When the strokes stand in as many columns as there are characters, the k-th column is the k-th
    character's (decoded centres are only accurate to a CTC step, a digit's width in a short field).
    Otherwise a stroke (connected component) goes to the character of ``attract`` whose decoded
    centre lies within it, else to the nearest one; a stroke spanning several centres (a digit
    touching the 年 beside it) is cut midway between them. Stray strokes (:func:`_stray`) are
    nobody's.
    """
    strokes = _strokes(image)
    if strokes is None or not attract:
        return [Glyph(i, None) for i in slots]
    labels, stats, kept, _ = strokes
    centers = {i: rec.centers[i] for i in attract}
    masks = {i: np.zeros(image.shape, bool) for i in slots}
    columns = _columns(kept, stats)
    inked = [i for i in attract if rec.text[i] not in ignore]  # hyphens are strays, or not
    owners = attract if len(columns) == len(attract) else inked if len(columns) == len(inked) else None
    if owners is None and max(rec.centers) > image.shape[1]:
        return [Glyph(i, None, clear=False) for i in slots]  # the decoded places are not where the ink is
    if owners is not None:  # one column of ink per character: the order says whose is whose
        for i, column in zip(owners, columns, strict=True):
            if i in masks:
                masks[i] = np.isin(labels, column)
        kept = []
    whole: dict[int, list[int]] = {}  # the strokes each slot got whole, by decoded position
    for comp in kept:
        x0 = int(stats[comp, cv2.CC_STAT_LEFT])
        x1 = x0 + int(stats[comp, cv2.CC_STAT_WIDTH])
        inside = sorted((i for i in attract if x0 <= centers[i] < x1), key=centers.__getitem__)
        if len(inside) < 2:
            near = inside or [min(attract, key=lambda i: abs(centers[i] - (x0 + x1) / 2))]
            if near[0] in masks:
                masks[near[0]] |= labels == comp
                whole.setdefault(near[0], []).append(comp)
            continue
        cuts = [x0, *(round((centers[a] + centers[b]) / 2) for a, b in itertools.pairwise(inside)), x1]
        for i, a, b in zip(inside, cuts, cuts[1:], strict=False):
            if i in masks:
                masks[i][:, a:b] |= labels[:, a:b] == comp
    glyphs = []
    for i in slots:
        glyph = None
        parts = whole.get(i, [])
        if len(_columns(parts, stats)) > 1 and not _one_body(image, labels, parts):  # one dropped here?
            glyphs.append(Glyph(i, None))
            continue
        if masks[i].any():
            ys, xs = np.nonzero(masks[i])
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            if x1 - x0 > WIDE * (y1 - y0):  # two digits run together, or a digit and a mark: no opinion
                glyphs.append(Glyph(i, None, clear=False))
                continue
            glyph = _glyph(image, masks[i], (y0, y1, x0, x1))
        glyphs.append(Glyph(i, glyph, placed=owners is not None))
    return glyphs


def places(text: str, ignore: frozenset[str], every: bool) -> tuple[list[int], list[int]]:
    """Which characters of ``text`` to check (see :func:`second_opinion`), and which own ink."""
    attract = [i for i, ch in enumerate(text) if not ch.isspace()]
    digits = [i for i in attract if unicodedata.normalize("NFKC", text[i]) in DIGITS]
    if every:  # a letter between the digits is a misread digit; at the ends it is noise (a border)
        slots = [i for i in attract if text[i] not in ignore and digits and digits[0] <= i <= digits[-1]]
        return slots, attract
    slots = [
        i
        for i in attract
        if text[i] not in ignore and (text[i] in STROKES or unicodedata.normalize("NFKC", text[i]) in DIGITS)
    ]
    return slots, attract


def _beside_latin(text: str, index: int) -> bool:
    """Whether the nearest character on either side of ``index`` (spaces skipped) is a Latin letter."""
    left = text[:index].rstrip()
    right = text[index + 1 :].lstrip()
    return any(ch.isascii() and ch.isalpha() for ch in (left[-1:], right[:1]) if ch)


def second_opinion(image: np.ndarray, rec: Recognized, ignore: frozenset[str], every: bool) -> Recognized:
    """``rec`` with each digit checked by the digit network (see the module docstring).

    ``ignore``: characters that carry no value (hyphens). ``every``: every other character must be
    a digit (phone, postal code, number), so a letter or kana read there is a misread digit; else
    only the digits and the strokes a 1 is read as are checked (a date's 年 and 月, an address's
    番地, are not). Returns ``rec`` unchanged when the recognizer gave no per-character positions.
    """
    if not rec.centers or len(rec.centers) != len(rec.text) or len(rec.chars) != len(rec.text):
        return rec
    slots, attract = places(rec.text, ignore, every)
    slots = [i for i in slots if rec.chars[i] < CONSULT or as_digit(rec.text[i]) is None]
    if not slots:
        return rec
    glyphs = cut_glyphs(image, rec, slots, attract, ignore)
    inputs = [g.image for g in glyphs if g.image is not None]
    probs = iter(net().probabilities(np.stack(inputs)) if inputs else [])
    text, chars = list(rec.text), list(rec.chars)
    for g in glyphs:
        # a stroke read beside a Latin letter is only ever a suggestion (it may be an l or an I);
        # between digits, kana or kanji it is the line reader's way of reading a 1
        read = as_digit(rec.text[g.index])
        if rec.text[g.index] in STROKES:
            read = None if not every and _beside_latin(rec.text, g.index) else "1"
        sure = chars[g.index]
        if g.image is None:
            if g.clear:
                chars[g.index] = min(sure, DOUBT)
            continue
        p = next(probs)
        mine = str(int(p.argmax()))
        if mine == read:  # both wrong only if the line reader is, and the network repeats its mistake
            doubt = (1 - sure) * max(1 - float(p.max()), SAME_MISTAKE)
            text[g.index], chars[g.index] = mine, max(sure, 1 - doubt)
        else:  # the network's own reading leaves the line reader's no more than the rest
            stroke = rec.text[g.index] in STROKES
            if read is None or stroke or (g.placed and p.max() >= max(sure, SUGGEST)):
                text[g.index] = mine  # the suggestion staff see
            chars[g.index] = min(sure, DOUBT if read is None else 1 - float(p.max()))
    return rec._replace(text="".join(text), chars=tuple(chars), weakest=min(chars))


def _half_width(ch: str) -> float:
    """Half a character's width, in character heights: a kanji is square, a digit half as wide."""
    return 0.5 if full_width(ch) else 0.3


def _loose(ch: str) -> bool:
    """A mark a small handwritten 1 is read as beside other digits (/ ， ) ： ノ), not a dash."""
    cat = unicodedata.category(unicodedata.normalize("NFKC", ch)[:1] or " ")
    return ch in "ノ丿" or (cat.startswith("P") and cat != "Pd")


def _runs(text: str) -> list[tuple[int, int]]:
    """The ``[start, end)`` index ranges of the numbers written in ``text``: digits one after another,
    with the marks a 1 may have been read as (:func:`_loose`) and spaces among or beside them."""
    runs: list[tuple[int, int]] = []
    start = None
    for i in range(len(text) + 1):
        ch = text[i] if i < len(text) else ""
        if ch and (as_digit(ch) is not None or ch.isspace() or _loose(ch)):
            start = i if start is None else start
            continue
        if start is not None:
            part = text[start:i]
            lead = len(part) - len(part.lstrip())
            if any(as_digit(c) is not None for c in part):
                runs.append((start + lead, start + len(part.rstrip())))
            start = None
    return runs


def _within(read: list[str], seen: str) -> list[int] | None:
    """Where each digit of ``read`` stands in ``seen`` if ``read`` is ``seen`` with digits left out."""
    where, k = [], 0
    for d in read:
        k = seen.find(d, k)
        if k < 0:
            return None
        where.append(k)
        k += 1
    return where


def _read_columns(
    image: np.ndarray, labels: np.ndarray, columns: list[list[int]], spans: list[tuple[int, int]]
) -> np.ndarray | None:
    """The network's probabilities for each column of strokes as one digit, or None when one is not
    a digit's ink (wider than high, or none to read)."""
    inputs = []
    for column, (a, b) in zip(columns, spans, strict=True):
        mask = np.isin(labels, column)
        ys = np.nonzero(mask.any(axis=1))[0]
        glyph = _glyph(image, mask, (int(ys[0]), int(ys[-1]) + 1, a, b))
        if glyph is None or b - a > WIDE * (ys[-1] + 1 - ys[0]):
            return None
        inputs.append(glyph)
    return net().probabilities(np.stack(inputs))


def restore_dropped(image: np.ndarray, rec: Recognized) -> Recognized:
    """``rec`` with the digits the line reader dropped from a number put back, for review.

    Between two characters other than digits (目 and 番 of 5丁目13番), or at the end of the line,
    each column of ink is one digit. When there are more columns than the line reader read digits,
    the network reads every column. The number becomes the network's if it is sure of each, its
    digits are the line reader's with some added (13 for 3), and the line reader left a trace of
    each added one (``TRACE``; a printed 関's right stroke stands apart but left none). Added digits
    get ``DOUBT``: the field goes to review with the number to confirm.
    """
    if rec.lattice is None or len(rec.centers) != len(rec.text) or len(rec.chars) != len(rec.text):
        return rec
    runs = _runs(rec.text)
    strokes = _strokes(image) if runs else None  # a name has no number to look at
    if strokes is None:
        return rec
    labels, stats, kept, height = strokes
    if squeezed(rec.text, rec.centers, height):
        return rec
    columns = _columns(kept, stats)
    x0, dx = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_WIDTH]
    spans = [(int(min(x0[col])), int(max(x0[col] + dx[col]))) for col in columns]

    def owner(x: float) -> int:  # the column a decoded centre stands in, or the nearest one
        return min(range(len(spans)), key=lambda k: max(spans[k][0] - x, x - spans[k][1], 0.0))

    text, chars, centers = list(rec.text), list(rec.chars), list(rec.centers)
    restored = False
    for start, end in reversed(runs):  # from the right: indices to the left stay valid
        # the neighbours' own ink: the column their centre stands in, and their width around it
        left = [i for i in range(start) if not text[i].isspace()][-1:]
        right = [i for i in range(end, len(text)) if not text[i].isspace()][:1]
        first, lo, last, hi = 0, 0.0, len(spans), float(image.shape[1])
        if left:
            first = owner(centers[left[0]]) + 1
            lo = centers[left[0]] + _half_width(text[left[0]]) * height
        if right:
            last = owner(centers[right[0]])
            hi = centers[right[0]] - _half_width(text[right[0]]) * height
        inside = [k for k in range(first, last) if lo <= sum(spans[k]) / 2 < hi]
        digits = [i for i in range(start, end) if as_digit(text[i]) is not None and not _loose(text[i])]
        read = [as_digit(text[i]) or "" for i in digits]
        if len(inside) <= len(read):
            continue
        probs = _read_columns(image, labels, [columns[k] for k in inside], [spans[k] for k in inside])
        if probs is None:
            continue
        seen = "".join(str(int(p.argmax())) for p in probs)
        where = _within(read, seen)
        if where is None or float(probs.max(axis=1).min()) < SUGGEST:
            continue
        own = dict(zip(where, digits, strict=True))
        added = [(k, int(p.argmax())) for k, p in enumerate(probs) if k not in own]
        if any(digit_left(rec.lattice, *spans[inside[k]])[d] < TRACE for k, d in added):
            continue
        text[start:end] = list(seen)
        chars[start:end] = [chars[own[k]] if k in own else DOUBT for k in range(len(seen))]
        centers[start:end] = [sum(spans[k]) / 2 for k in inside]
        restored = True
    if not restored:
        return rec
    return rec._replace(text="".join(text), chars=tuple(chars), centers=tuple(centers), weakest=min(chars))
