"""Corrections struck out in a field: 「訂正は二重線で」, the old value crossed out and the new one
written beside it.

Read as it is, the struck value is read with the new one (「佐藤花子山田真理子」, accepted at 0.95). A
straight horizontal stroke (a hand-drawn one slants and wavers: found on the writing thickened
upwards and downwards) longer than :data:`STRIKE` times the writing's height, with writing above it
and below it, is no character's stroke (the longest, 一 and ー, are about as long as the writing is
high): the field goes to review. Its reading keeps what was struck out: bars of neighbouring
characters that touch in tight, heavy writing (区太子堂, 4545) can make such a line too (13 fields of
the bench's other 4,400 go to review so), and taking the writing under it out lost their characters.
One character struck with a short line is not told from a character.
"""

from __future__ import annotations

import cv2
import numpy as np

from dxrpa.i18n import tr

#: a stroke this many times as long as the writing is high runs through characters (the bars of two
#: characters that touch, せが in a heavy gothic, make 1.85; at 1.8, 19 of 20 corrections on the bench
#: were found and 23 of 4,400 other fields sent to review, at 2.2 15 and 8)
STRIKE = 2.0
THROUGH = 0.2  # ...and has writing above it and below it along this share of its length (no underline)
INK = 150  # darker than this is writing


def _band(rows: np.ndarray) -> tuple[int, int]:
    """The longest run of True in ``rows``: (start, end)."""
    best, start = (0, 0), -1
    for i, on in enumerate([*rows.tolist(), False]):
        if on and start < 0:
            start = i
        elif not on and start >= 0:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = -1
    return best


def struck_out(crop: np.ndarray) -> str:
    """Why ``crop`` (a field's writing, the form's print erased) goes to review when a line strikes
    through its writing; "" when none does."""
    ink = (crop < INK).astype(np.uint8)
    top, bottom = _band(np.asarray(ink.any(axis=1)))
    em = bottom - top
    if em < 8:
        return ""
    # a line drawn by hand slants and wavers: thickened, it still runs along a row for its length
    thick = cv2.dilate(ink, np.ones((max(3, em // 8), 1), np.uint8))
    lines = cv2.morphologyEx(thick, cv2.MORPH_OPEN, np.ones((1, em), np.uint8))
    lines = cv2.morphologyEx(lines, cv2.MORPH_CLOSE, np.ones((1, max(3, em // 8)), np.uint8))  # a faint bit
    if not lines.any():
        return ""
    rest = ink & (lines == 0)
    count, _, stats, centres = cv2.connectedComponentsWithStats(lines, connectivity=8)
    for k in range(1, count):
        x, w, mid = int(stats[k, 0]), int(stats[k, 2]), int(centres[k, 1])
        cols = rest[:, x : x + w]
        above = cols[max(mid - em // 2, 0) : mid].any(axis=0)
        below = cols[mid + 1 : mid + 1 + em // 2].any(axis=0)
        if w < STRIKE * em or min(float(np.mean(above)), float(np.mean(below))) < THROUGH:
            continue  # a character's stroke; writing on one side only (an underline, a rule's remains)
        return tr(
            "線で消して書き直されています（消された字も読んでいます。確かめてください）",
            "a correction: writing struck out (read with it: please check)",
        )
    return ""
