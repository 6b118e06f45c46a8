"""全角 (full-width) traps in hand-written YAML, found in the raw text with their line.

Staff type robots with a Japanese IME on: a full-width space (U+3000) as indentation or after
``key:``, a full-width colon 「：」 as the key separator, or full-width quotes 「“”」 around a
value. YAML either fails with a cryptic error (often at a later line) or silently keeps the
characters in the value; this module names the real line and says what to type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dxrpa.i18n import tr

_KEY = r"^[ \t]*(?:-[ \t]+)?[A-Za-z_][\w.-]*"
_INDENT_SPACE = re.compile(r"^[ \t]*\u3000")
_COLON = re.compile(_KEY + r"[ \t\u3000]*：")
_SPACE_AFTER_KEY = re.compile(_KEY + r":\u3000")
_QUOTED = re.compile(_KEY + r":[ \t]+[“”„]|^[ \t]*-[ \t]+[“”„]|[{,\[][ \t]*[A-Za-z_][\w.-]*:[ \t]+[“”„]")


@dataclass(frozen=True)
class Trap:
    line: int  # 1-based
    col: int  # 1-based
    message: str
    hint: str
    kind: str  # "space", "colon" or "quote"


def find_traps(text: str) -> list[Trap]:
    """Every full-width trap outside comments, in line order."""
    traps: list[Trap] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw if not raw.lstrip(" \t\u3000").startswith("#") else ""
        if m := _INDENT_SPACE.match(line):
            traps.append(
                Trap(
                    number,
                    m.end(),
                    tr(
                        f"{number} 行目: 全角スペースが字下げに使われています",
                        f"line {number}: a full-width space (U+3000) is used as indentation",
                    ),
                    tr("半角スペースにしてください", "use half-width spaces"),
                    "space",
                )
            )
        if m := _COLON.match(line):
            traps.append(
                Trap(
                    number,
                    m.end(),
                    tr(
                        f"{number} 行目: キーの区切りに全角コロン「：」が使われています",
                        f"line {number}: a full-width colon '：' is used as the key separator",
                    ),
                    tr("半角の「: 」(コロンと半角スペース) にしてください", "use ': ' (colon and a space)"),
                    "colon",
                )
            )
        elif m := _SPACE_AFTER_KEY.match(line):
            traps.append(
                Trap(
                    number,
                    m.end(),
                    tr(
                        f"{number} 行目: 「:」の後ろが全角スペースです",
                        f"line {number}: a full-width space (U+3000) follows ':'",
                    ),
                    tr("「:」の後ろは半角スペースにしてください", "put a half-width space after ':'"),
                    "space",
                )
            )
        if m := _QUOTED.search(line):
            traps.append(
                Trap(
                    number,
                    m.end(),
                    tr(
                        f"{number} 行目: 値が全角の引用符「“”」で囲まれています (引用符も値の一部になります)",
                        f"line {number}: the value is wrapped in full-width quotes “” (they become part of"
                        " the value)",
                    ),
                    tr(
                        "半角の引用符 \"…\" にしてください (値に “ を含めたいときは '“…”' と書きます)",
                        "use half-width quotes \"…\" (to type “ itself, write '“…”')",
                    ),
                    "quote",
                )
            )
    return traps
