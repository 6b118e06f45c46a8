"""Date boxes that print the eras to choose from (「昭和・平成・令和　年　月　日」, 「明・大・昭・平・令」).

Many forms ask for a ○ round the writer's era (「該当する元号に○」) and leave the year, month and day
to be written. Read as it is, such a box reads every printed era. The list is found once on the
blank form: the print inside the date box is read by the engine and each era it names becomes a
label with its place. On each page the ○ is found as ink the scan adds round a label
(:func:`dxrpa.ocr.marks.added`): a circled label has it on two opposite sides, a neighbour one
circle passes close to on one at most. The list is whitened out of the field's crop and the chosen
label's own print put back before the writing, so the recognizer reads 「令和6年5月24日」.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from dxrpa.i18n import tr
from dxrpa.model.form import Box
from dxrpa.ocr import marks
from dxrpa.ocr.clean import PRINT as PRINT_INK
from dxrpa.ocr.engines.base import Recognized
from dxrpa.ocr.normalize import ERA_KANJI

#: what a printed label may name: the eras (in full or by their first kanji) and 西暦
NAMES = ("令和", "平成", "昭和", "大正", "明治", "西暦")
SIDE = 0.7  # how far round a label a ○ is looked for, in label heights
SIDE_INK = 0.5  # a side is marked when added ink covers this share of its length
PEN = 190  # a ○ is a thin pen line, greyer than writing once scanned: darker than this is its ink
#: a circled label is marked on two opposite sides and covered this much over its four sides: in a
#: column its top and bottom arcs pass within a few px of its neighbours' print and do not count,
#: as they would not for a neighbour either
CIRCLED = 1.2
OTHERS = 0.5  # ...and no other label is covered more than this share of it
ROOM = 1.2  # how far a ○ may reach past the labels, in label heights (the list's region)
REACH = 8  # px past the box the region may reach: a ○ round the top era crosses the box's line
SURE = 0.99  # the era's confidence when one label alone is circled


@dataclass(frozen=True)
class Label:
    era: str  # 令和 … 明治, or "" for 西暦
    box: Box  # where its print stands on the page (page pixels)


@dataclass(frozen=True)
class EraList:
    labels: tuple[Label, ...]
    region: Box  # the labels with the room a ○ round them takes (page pixels)


Reader = Callable[[list[np.ndarray]], list[Recognized]]


def find(blank: np.ndarray, box: Box, read: Reader) -> EraList | None:
    """The era list printed in the date box ``box`` of the blank form, or None (fewer than two eras)."""
    x, y, w, h = box
    inside = (blank[y : y + h, x : x + w] < PRINT_INK).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=8)
    glyphs = [
        (int(s[0]), int(s[1]), int(s[2]), int(s[3]))
        for s in stats[1:count]
        if max(s[2], s[3]) <= 0.8 * h and s[0] > 0 and s[1] > 0 and s[0] + s[2] < w and s[1] + s[3] < h
    ]
    rows = _rows(glyphs)
    if not rows:
        return None
    crops = []
    for row in rows:
        x0, y0, x1, y1 = _extent(row)
        crops.append(blank[y + max(0, y0 - 4) : y + y1 + 4, x + max(0, x0 - 4) : x + x1 + 4])
    labels: list[Label] = []
    for row, rec in zip(rows, read(crops), strict=True):
        x0, y0, _x1, _y1 = _extent(row)
        origin = (x + max(0, x0 - 4), y + max(0, y0 - 4))
        labels += _labels(row, rec, origin, (x, y))
    if len(labels) < 2:
        return None
    lx0, ly0, lx1, ly1 = _extent([lb.box for lb in labels])
    grow = int(ROOM * max(lb.box[3] for lb in labels))
    rx0, ry0 = max(x - REACH, lx0 - grow), max(y - REACH, ly0 - grow)
    rx1, ry1 = min(x + w + REACH, lx1 + grow), min(y + h + REACH, ly1 + grow)
    return EraList(tuple(labels), (rx0, ry0, rx1 - rx0, ry1 - ry0))


def _rows(glyphs: list[Box]) -> list[list[Box]]:
    """Glyphs in lines of print: those whose heights overlap by half the smaller one share a row."""
    rows: list[list[Box]] = []
    for g in sorted(glyphs, key=lambda b: b[1] + b[3] / 2):
        for row in rows:
            _x0, y0, _x1, y1 = _extent(row)
            overlap = min(y1, g[1] + g[3]) - max(y0, g[1])
            if overlap >= 0.5 * min(g[3], y1 - y0):
                row.append(g)
                break
        else:
            rows.append([g])
    return rows


def _extent(boxes: list[Box]) -> tuple[int, int, int, int]:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[0] + b[2] for b in boxes),
        max(b[1] + b[3] for b in boxes),
    )


def _labels(row: list[Box], rec: Recognized, origin: tuple[int, int], box_xy: tuple[int, int]) -> list[Label]:
    """The eras a row of print names, each with the glyphs under its characters."""
    text = unicodedata.normalize("NFKC", rec.text)
    if len(rec.centers) != len(text):
        return []
    em = max(g[3] for g in row)
    out: list[Label] = []
    k = 0
    while k < len(text):
        name = next((n for n in NAMES if text.startswith(n, k)), "")
        if not name and text[k] in ERA_KANJI:
            name = text[k]
        if not name:
            k += 1
            continue
        left = origin[0] + rec.centers[k] - em / 2
        right = origin[0] + rec.centers[k + len(name) - 1] + em / 2
        under = [
            g for g in row if left <= box_xy[0] + g[0] + g[2] / 2 <= right
        ]  # glyphs whose middle is under the name's characters
        if under:
            x0, y0, x1, y1 = _extent(under)
            era = "" if name == "西暦" else name
            out.append(Label(era, (box_xy[0] + x0, box_xy[1] + y0, x1 - x0, y1 - y0)))
        k += len(name)
    return out


def choose(page: np.ndarray, blank: np.ndarray, eras: EraList) -> tuple[Label | None, str]:
    """The circled label; None with no reason when nothing is marked (a 西暦 year, or the era
    written by hand), None with the reason when the marks do not single one out."""
    rx, ry, rw, rh = eras.region
    rx0, ry0 = max(0, rx), max(0, ry)
    fresh = marks.added(
        page, blank, (rx0, ry0, min(page.shape[1], rx + rw) - rx0, min(page.shape[0], ry + rh) - ry0), PEN
    )
    sides = [
        _marked_sides(fresh, (lb.box[0] - rx0, lb.box[1] - ry0, lb.box[2], lb.box[3])) for lb in eras.labels
    ]
    cover = [sum(s) for s in sides]
    enclosed = [min(t, b) >= SIDE_INK or min(lf, r) >= SIDE_INK for t, b, lf, r in sides]
    best = max(range(len(cover)), key=cover.__getitem__)
    others = [c for k, c in enumerate(cover) if k != best]
    alone = sum(enclosed) == 1 and max(others) <= OTHERS * cover[best]
    if enclosed[best] and cover[best] >= CIRCLED and alone:
        return eras.labels[best], ""
    if max(cover) < 1.0 and not any(enclosed):
        return None, ""
    return None, tr("元号の○がどれか決められません", "cannot tell which era is circled")


def _marked_sides(fresh: np.ndarray, box: Box) -> list[float]:
    """How much of each side of a label (above, below, left, right) the added ink ``fresh`` covers."""
    x, y, w, h = box
    g = max(3, int(SIDE * h))
    H, W = fresh.shape[:2]
    strips = (
        ((x, y - g, w, g), w),
        ((x, y + h, w, g), w),
        ((x - g, y, g, h), h),
        ((x + w, y, g, h), h),
    )
    out = []
    for (sx, sy, sw, sh), length in strips:
        x0, y0 = max(0, sx), max(0, sy)
        x1, y1 = min(W, sx + sw), min(H, sy + sh)
        ink = fresh[y0:y1, x0:x1]
        out.append(int(np.count_nonzero(ink.any(axis=0 if sw >= sh else 1))) / length if ink.size else 0.0)
    return out


def compose(
    crop: np.ndarray, origin: tuple[int, int], blank: np.ndarray, eras: EraList, chosen: Label | None
) -> tuple[np.ndarray, str]:
    """``crop`` (cut at page point ``origin``, form lines erased) with the era list and the ○ round it
    whitened, and the chosen label's print set just before the writing, on its line; and a doubt
    when a ○ runs into the writing (whitening it could take a digit with it)."""
    out = crop.copy()
    ox, oy = origin
    rx, ry, rw, rh = (v - o for v, o in zip(eras.region, (ox, oy, 0, 0), strict=True))
    lx0, _ly0, lx1, _ly1 = _extent([lb.box for lb in eras.labels])
    lx0, lx1 = lx0 - ox, lx1 - ox
    boxes = [(b[0] - ox, b[1] - oy, b[2], b[3]) for b in (lb.box for lb in eras.labels)]
    count, comp, stats, _ = cv2.connectedComponentsWithStats(
        (out < PRINT_INK).astype(np.uint8), connectivity=8
    )
    doubt = ""
    listed: list[int] = []  # the labels, the ・ between them and the ○: whitened together
    for c in range(1, count):
        x, y, w, h = (int(v) for v in stats[c, :4])
        within = x >= rx - 2 and y >= ry - 2 and x + w <= rx + rw + 2 and y + h <= ry + rh + 2
        rounds = any(_overlap((x, y, w, h), b) for b in boxes)
        if within and (rounds or lx0 <= x + w / 2 <= lx1):
            listed.append(c)
        elif rounds:
            doubt = tr("元号の○が字に触れています", "the era's ○ runs into the writing")
    if listed:
        out[cv2.dilate(np.isin(comp, listed).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = 255
    if chosen is None or not chosen.era:
        return out, doubt
    bx, by, bw, bh = chosen.box
    glyph = blank[by : by + bh, bx : bx + bw]
    ch, cw = out.shape
    rest = np.argwhere(out < PRINT_INK)
    middle = int(np.median(rest[:, 0])) if rest.size else by - oy + bh // 2
    after = rest[:, 1][rest[:, 1] >= lx1] if rest.size else rest
    end = int(after.min()) if after.size else rx + rw
    px = max(0, min(cw - bw, end - bw - max(2, bh // 4)))
    py = max(0, min(ch - bh, middle - bh // 2))
    out[py : py + bh, px : px + bw] = np.minimum(out[py : py + bh, px : px + bw], glyph)
    return out, doubt


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def settle(rec: Recognized, era: str) -> Recognized:
    """``rec`` with what was read before the year (the label put back by :func:`compose`) being ``era``,
    as sure as the ○ made it: a small printed 令 reads 合 as easily as 令."""
    cut = next((k for k, ch in enumerate(rec.text) if ch.isdigit() or ch == "元"), len(rec.text))
    head = rec.text[:cut].strip()
    if head == era or not era:
        return rec
    centers = rec.centers[:cut] if len(rec.centers) == len(rec.text) else ()
    place = (centers[0] if centers else 0.0,) * len(era)
    chars = rec.chars[cut:] if len(rec.chars) == len(rec.text) else ()
    return rec._replace(
        text=era + rec.text[cut:],
        chars=(SURE,) * len(era) + chars if chars else (),
        centers=place + rec.centers[cut:] if centers else (),
    )
