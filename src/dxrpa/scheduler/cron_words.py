"""A cron expression in words for staff (``cron-descriptor``, Japanese locale), e.g.
``0 8 * * 1-5`` → 「08:00 に実行、月曜日 から 金曜日 まで」. Falls back to the raw expression when
the library is missing or cannot read it, so a page never fails on a description."""

from __future__ import annotations

import re
from functools import lru_cache

from dxrpa.i18n import get_lang

_DAYS = {
    "Monday": "月曜日",
    "Tuesday": "火曜日",
    "Wednesday": "水曜日",
    "Thursday": "木曜日",
    "Friday": "金曜日",
    "Saturday": "土曜日",
    "Sunday": "日曜日",
}
_MONTHS = {
    name: f"{n}月"
    for n, name in enumerate(
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        start=1,
    )
}
_NAMES = re.compile(r"\b(" + "|".join([*_DAYS, *_MONTHS]) + r")\b")
_AT = re.compile(r"^次において実施 ")


def _japanese(text: str) -> str:
    """The library's Japanese leaves day and month names in English and starts 「次において実施」."""
    text = _NAMES.sub(lambda m: _DAYS.get(m.group(1)) or _MONTHS[m.group(1)], text)
    text = _AT.sub("", text)
    return re.sub(r"^(\d{2}:\d{2})(、|$)", r"\1 に実行\2", text)


@lru_cache(maxsize=512)
def _describe(expr: str, lang: str) -> str:
    try:
        from cron_descriptor import Options, get_description

        options = Options()
        options.locale_code = "ja_JP" if lang == "ja" else "en_US"
        options.use_24hour_time_format = True
        text = str(get_description(expr, options))
    except Exception:  # noqa: BLE001 — not installed, or an expression it cannot read: the expression itself
        return expr
    return _japanese(text) if lang == "ja" else text


def cron_in_words(expr: str) -> str:
    """``expr`` described in the current language, or ``expr`` itself if that fails."""
    return _describe(expr.strip(), get_lang())
