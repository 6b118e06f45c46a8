"""Marks staff put on choice and checkbox fields, wherever they land.

The ink inside a box decides most marks (✓, ✗, ■). People also tick past the box, so most of a
✓ lies outside it, and many Japanese forms ask for a ○ around the chosen option's printed label
(「該当するものに○」). Both are found as *added ink*: what the scan has and the blank form does
not, in the option's territory (its box and its label up to the next option). Ink the scan adds
where the form already has ink is ignored, so printed labels and box lines never count.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from dxrpa.model.form import Box

DARK = 140  # darker than this is ink
BLANK_INK = 175  # the blank form's ink, a little generously (antialiased edges)
TOLERANCE_PX = 3  # alignment slack: the blank's ink is widened by this much before subtracting
MIN_SPECK = 12  # added-ink blobs smaller than this are scanner noise
AROUND_ON = 0.15  # added ink in the territory, in box areas: a mark
AROUND_OFF = 0.05  # below this the territory is clean
LABEL_SPAN = 8  # a label with no option to its right is taken to run this many box widths


@dataclass(frozen=True)
class Mark:
    """How one box (and its territory) was marked."""

    inside: float  # ink share inside the box, the blank's own ink taken off
    around: float  # added ink in the territory, in box areas
    touches: bool  # some of the added ink reaches into the box (a tick running past it)


def territories(boxes: list[Box], width: int, height: int) -> list[Box]:
    """Each option's box with its label: to the next option on the same row (or ``LABEL_SPAN``
    box widths), a little above and below, inside the page."""
    out: list[Box] = []
    for i, (x, y, w, h) in enumerate(boxes):
        right = [
            bx for j, (bx, by, _bw, bh) in enumerate(boxes) if j != i and bx > x and abs(by - y) < max(h, bh)
        ]
        x1 = min(right) - max(2, w // 8) if right else x + w * LABEL_SPAN
        pad = int(h * 0.6)
        x0 = max(0, x - pad)
        y0, y1 = max(0, y - pad), min(height, y + h + pad)
        out.append((x0, y0, max(1, min(width, x1) - x0), max(1, y1 - y0)))
    return out


def ring(box: Box, width: int, height: int) -> Box:
    """A checkbox's territory: the box grown by three quarters of its size on every side."""
    x, y, w, h = box
    gx, gy = int(w * 0.75), int(h * 0.75)
    x0, y0 = max(0, x - gx), max(0, y - gy)
    return x0, y0, min(width, x + w + gx) - x0, min(height, y + h + gy) - y0


def added(page: np.ndarray, blank: np.ndarray, region: Box, dark: int = DARK) -> np.ndarray:
    """Where in ``region`` the scan has ink (darker than ``dark``) the blank form has not, specks of
    noise left out."""
    x, y, w, h = region
    scan = page[y : y + h, x : x + w] < dark
    form = blank[y : y + h, x : x + w] < BLANK_INK
    size = 2 * TOLERANCE_PX + 1
    form = cv2.dilate(form.astype(np.uint8), np.ones((size, size), np.uint8)) > 0
    fresh = (scan & ~form).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fresh, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= MIN_SPECK
    return np.asarray(keep[labels])


def measure(page: np.ndarray, blank: np.ndarray, box: Box, territory: Box, inside: float) -> Mark:
    """``inside`` (already measured) with the added ink of ``territory`` around ``box``."""
    x, y, w, h = box
    tx, ty, _tw, _th = territory
    added_ink = added(page, blank, territory)
    area = max(1, w * h)
    bx0, by0 = max(0, x - tx), max(0, y - ty)
    in_box = added_ink[by0 : by0 + h, bx0 : bx0 + w]
    touches = int(in_box.sum()) >= max(4, area // 100)
    return Mark(inside=inside, around=float(added_ink.sum()) / area, touches=touches)
