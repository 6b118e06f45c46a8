"""異体字・旧字体・簡体字 → 常用 forms, from maintained tables rather than a hand list.

Two published tables are combined (both ship as data inside their PyPI packages, read once):

* ``joyokanji`` (``config/kanji.json``, ``config/variants.json``): the 旧字体 printed in brackets in the
  常用漢字表 (國→国, 邊→辺, 錄→録) and a few common 異体字 (髙→高, 﨑→崎);
* ``ja-itaiji`` (``data/term/ja-itaiji.json``): families of equivalent characters (異体字, 簡体字) for
  about 16,000 characters (东→東, 產→産, 经→経).

A character is only replaced when Japanese writing has no use for it as-is: it is outside JIS X 0208
(the set every Japanese system has, so 簡体字 and rare variants) or listed by ``joyokanji``. Its
target is the family member those tables agree on: a 新字体 reached through ``joyokanji``, else the
one JIS X 0208 level-1 member whose own family lists it back. When the tables offer more than one
target (发 → 発 or 髪), the character is left as read, so the field goes to review by its grammar or
confidence rather than being silently "corrected".
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


def _jis_level(ch: str) -> int:
    """1 or 2 for a JIS X 0208 level-1/level-2 kanji, 0 when the character is not in JIS X 0208 kanji."""
    try:
        b = ch.encode("shift_jis")
    except UnicodeEncodeError:
        return 0
    if len(b) != 2:
        return 0
    code = b[0] << 8 | b[1]
    if 0x889F <= code <= 0x9872:
        return 1
    return 2 if 0x989F <= code <= 0xEAA4 else 0


def _is_kanji(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF


def _json(package: str, path: str) -> dict[str, object]:
    data = json.loads((resources.files(package) / path).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _single_chars(data: dict[str, object]) -> dict[str, str]:
    return {k: v for k, v in data.items() if isinstance(v, str) and len(k) == 1 and len(v) == 1 and k != v}


@cache
def table() -> dict[int, str]:
    """The ``str.translate`` table: variant code point → 常用 form."""
    joyo = _single_chars(_json("joyokanji", "config/kanji.json"))
    joyo.update(_single_chars(_json("joyokanji", "config/variants.json")))
    new_forms = set(joyo.values())
    families: dict[str, list[str]] = {
        k: [m for m in v if isinstance(m, str)]
        for k, v in _json("ja_itaiji", "data/term/ja-itaiji.json").items()
        if isinstance(v, list)
    }
    out = {ord(k): v for k, v in joyo.items()}
    for ch, family in families.items():
        if len(ch) != 1 or ord(ch) in out or not _is_kanji(ch) or _jis_level(ch):
            continue
        via_joyo = {joyo.get(m, m) for m in family if m != ch and (m in joyo or m in new_forms)}
        level1 = {m for m in family if m != ch and _jis_level(m) == 1 and ch in families.get(m, [])}
        for candidates in (via_joyo, level1):
            if candidates:
                if len(candidates) == 1:
                    out[ord(ch)] = candidates.pop()
                break
    return out


def to_joyo(text: str) -> str:
    """``text`` with variant kanji replaced by their 常用 forms (錄→録, 產→産, 邊→辺, 东→東)."""
    return text.translate(table())
