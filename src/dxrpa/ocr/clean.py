"""Even out the paper before anything is measured: shadows, coloured paper, uneven light, tinted boxes.

Every threshold downstream (what is ink, whether a box is ticked, how well the page matches the
blank form) assumes white paper. A phone photo has a shadow across it and dark corners, coloured
paper is darker than white, and a fax is pure black and white: dividing each pixel by the paper
around it (the brightest level nearby, found on a shrunken copy where no pen stroke is wide
enough to survive a maximum filter) makes the paper white again and leaves the ink as dark as it
was against its own paper.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from dxrpa.model.form import Box

SHRINK = 4  # the paper level is estimated at a quarter of the resolution (speed)
WINDOW = 11  # max-filter size there: 44 px at 150 dpi, wider than any stroke or filled box
SMOOTH = 3.0  # blur of the paper level (shrunken pixels), so its edges leave no seams


def flatten(gray: np.ndarray) -> np.ndarray:
    """``gray`` with its paper brought to white (uint8 in, uint8 out, same shape)."""
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // SHRINK), max(1, h // SHRINK)), interpolation=cv2.INTER_AREA)
    paper = cv2.dilate(small, np.ones((WINDOW, WINDOW), np.uint8))
    paper = cv2.GaussianBlur(paper, (0, 0), SMOOTH)
    return untint(gray, cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR))


TINT_STROKE = 11  # px: print and writing are thinner than this; a tinted box is wider


def paper(gray: np.ndarray) -> np.ndarray:
    """The paper under ``gray``'s print: a closing wider than any stroke removes lines and text and
    keeps the grey of a tinted box (網掛けの記入欄) up to its edge."""
    return cv2.morphologyEx(gray, cv2.MORPH_CLOSE, np.ones((TINT_STROKE, TINT_STROKE), np.uint8))


def untint(gray: np.ndarray, under: np.ndarray) -> np.ndarray:
    """``gray`` with the paper ``under`` it (:func:`paper`) brought to white."""
    return cv2.divide(gray, np.maximum(under, 32), scale=255)


SCREEN_DOT = 12  # px: the dots of a printed screen are smaller than this
PRINT = 220  # darker than this is the blank form's print


def descreen(gray: np.ndarray, boxes: Iterable[Box]) -> np.ndarray:
    """``gray`` with a tint printed as a dot screen (a laser printer's grey, scanned sharp) inside
    ``boxes`` made an even grey: :func:`paper` sees its level, and its dots are not taken for print
    (every stroke written over them was erased with them). Print bigger than a dot is kept."""
    out = gray
    for x, y, w, h in boxes:
        region = gray[y : y + h, x : x + w]
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            (region < PRINT).astype(np.uint8), connectivity=8
        )
        tiny = np.zeros(count, dtype=bool)
        tiny[1:] = stats[1:, cv2.CC_STAT_AREA] <= SCREEN_DOT
        if int(tiny.sum()) < region.size // 100:  # fewer than a dot per 10 × 10 px: specks, not a screen
            continue
        dots = tiny[labels]
        big = (labels > 0) & ~dots
        screen = cv2.dilate(dots.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        if screen.mean() < 0.5:
            continue
        keep = cv2.dilate(big.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        if out is gray:
            out = gray.copy()
        out[y : y + h, x : x + w][screen & ~keep] = int(region[~big].mean())
    return out


#: how much lighter (grey levels) the form's print may scan than it is on the blank: a scan lighter
#: than that (a light scanner setting, toner running out) had its ticks and thin strokes read as empty
#: (and a tick read "not checked" was accepted); normal scans, blurred 100 dpi ones included, stay
#: within 60 of the blank, faded ones (half the contrast) 106-137 lighter (bench/ocr_accuracy.py)
FADED = 75
DEEP = 30  # the print level of a faded page is brought back to the blank's plus this


def print_level(gray: np.ndarray, ink: np.ndarray) -> float:
    """How dark the form's print (``ink``: where the blank has it) is on ``gray``: the tenth
    percentile of the darkest pixel around each, so that a pixel of misalignment does not count."""
    if not ink.any():  # no print at all (a blank sheet registered as the form)
        return 255.0
    return float(np.percentile(cv2.erode(gray, np.ones((3, 3), np.uint8))[ink], 10))


def deepened(gray: np.ndarray, ink: np.ndarray, level: float) -> np.ndarray:
    """An aligned page whose print is :data:`FADED` lighter than the blank's (``level``) with its
    darkness stretched until the print is as dark as the blank's (plus :data:`DEEP`); the writing
    faded with it. Other pages are returned as they are."""
    seen = print_level(gray, ink)
    if seen - level <= FADED:
        return gray
    gain = (255 - min(level + DEEP, 254)) / max(255 - seen, 1)
    lut = np.clip(255 - (255 - np.arange(256, dtype=np.float32)) * gain, 0, 255).astype(np.uint8)
    return cv2.LUT(gray, lut)


#: a streak left by dust on a document feeder's glass is a dark column from the page's top to its
#: bottom, margins included (the form's own lines stop short of them), at most STREAK_WIDTH px wide
#: with paper on both sides. Read with the fields it crossed, it was a 1 added to a name, and a
#: character it ran through was dropped; both were accepted (bench/ocr_accuracy.py)
STREAK_ROWS, STREAK_WIDTH, STREAK_DARK = 0.97, 4, 160


def destreaked(gray: np.ndarray) -> np.ndarray:
    """``gray`` (a flattened page as scanned, before alignment) with feeder streaks replaced by the
    lighter of the columns beside them; as it is when it has none."""
    dark = (gray < STREAK_DARK).mean(axis=0) >= STREAK_ROWS
    if not dark.any():
        return gray
    out = gray
    w = gray.shape[1]
    edges = np.flatnonzero(np.diff(np.concatenate(([0], dark.astype(np.int8), [0]))))
    for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        left, right = a - 2, b + 1
        if b - a > STREAK_WIDTH or left < 0 or right >= w:
            continue
        beside = np.maximum(gray[:, left], gray[:, right])
        if float(np.median(beside)) < 200:  # not paper on both sides: a dark edge or the desk
            continue
        if out is gray:
            out = gray.copy()
        out[:, a:b] = beside[:, None]
    return out
