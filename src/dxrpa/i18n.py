"""Japanese-first user-facing text with English available.

Messages are written in place as ``tr("日本語", "English")`` so both stay next to the code that
emits them. The language comes from ``DXRPA_LANG`` / settings (``ja`` by default) and is set once
by the CLI via :func:`set_lang`.
"""

from __future__ import annotations

import os
from typing import Literal

Lang = Literal["ja", "en"]
_lang: Lang = "en" if os.environ.get("DXRPA_LANG", "ja").lower().startswith("en") else "ja"


def set_lang(lang: str) -> None:
    global _lang
    _lang = "en" if lang.lower().startswith("en") else "ja"


def get_lang() -> Lang:
    return _lang


def tr(ja: str, en: str) -> str:
    """Pick the text for the current language."""
    return en if _lang == "en" else ja
