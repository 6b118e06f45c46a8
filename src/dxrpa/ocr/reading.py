"""Readings of a 氏名 (``pykakasi``'s dictionary) to cross-check the フリガナ written beside it.

Kanji names have several readings and a dictionary knows one, so a reading only settles what OCR
cannot see well: 濁点・半濁点 and small kana (テ/デ, バ/パ, ツ/ッ). Any other difference says nothing.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache
from typing import Any

_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_LOCK = threading.Lock()


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def fold(kana: str) -> str:
    """Katakana without 濁点・半濁点 and with small kana full size: what a blurred scan may confuse."""
    base = unicodedata.normalize("NFD", to_katakana(kana))
    return "".join(c for c in base if c not in "\u3099\u309a").translate(_SMALL)


@cache
def _kakasi() -> Any:
    import pykakasi

    return pykakasi.kakasi()  # type: ignore[no-untyped-call]


def reading(name: str) -> str:
    """The dictionary reading of ``name`` in katakana ("" when it has no kanji or kana)."""
    with _LOCK:
        parts = _kakasi().convert(name)
    return "".join(to_katakana(str(p["hira"])) for p in parts)


def settle(kana: str, name: str) -> tuple[str, bool]:
    """(kana as the name's reading settles it, whether the reading agrees with it up to 濁点/small kana).

    The first value differs from ``kana`` only in 濁点 and small kana; when the reading differs in any
    other way, ``(kana, False)`` is returned. A name with letters or digits (MLism株式会社) has no
    reading for them: see :func:`settle_known`.
    """
    expected = reading(name)
    plain = to_katakana(kana)
    if not expected or fold(plain) != fold(expected):
        return kana, False
    return _as_written(expected, kana), True


def _as_written(katakana: str, kana: str) -> str:
    """``katakana`` in the script ``kana`` was written in (a hiragana field stays hiragana)."""
    if to_katakana(kana) != kana:
        return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in katakana)
    return katakana


_KATAKANA_RUN = re.compile(r"[\u30a1-\u30fcー]+")


def settle_known(kana: str, name: str) -> str | None:
    """``kana`` with its 濁点 and small kana settled where the name has a reading, when the name also
    has parts with none (letters, digits: 「MLism株式会社」 → 「…カブシキガイシャ」): the read kana
    stands for those parts as written. None when the parts with a reading are not all found, in
    order, up to 濁点 and small kana, or when they are too short to say anything (under 3 kana)."""
    expected = re.sub(r"\s", "", reading(name))
    plain = re.sub(r"\s", "", to_katakana(kana))
    segments: list[str | None] = []  # the reading's katakana runs, None for a part with no reading
    at = 0
    for run in _KATAKANA_RUN.finditer(expected):
        if run.start() > at:
            segments.append(None)
        segments.append(run.group())
        at = run.end()
    if at < len(expected):
        segments.append(None)
    known = [k for k in segments if k is not None]
    if None not in segments or sum(map(len, known)) < 3:
        return None
    pattern = "".join("(.+?)" if k is None else f"({re.escape(fold(k))})" for k in segments)
    found = re.fullmatch(pattern, fold(plain))
    if found is None:
        return None
    pieces = [plain[slice(*found.span(g + 1))] if k is None else k for g, k in enumerate(segments)]
    return _as_written("".join(pieces), kana)


def one_short(kana: str, name: str) -> bool:
    """Whether ``kana`` is the reading of ``name`` with one kana left out (サトウ read as サト)."""
    expected, plain = fold(reading(name)), fold(kana)
    if len(expected) != len(plain) + 1:
        return False
    return any(expected[:i] + expected[i + 1 :] == plain for i in range(len(expected)))
