"""Cron rules in words for the console (cron-descriptor, Japanese locale, raw cron as fallback)."""

from __future__ import annotations

from dxrpa.i18n import set_lang
from dxrpa.scheduler.cron_words import cron_in_words


def test_japanese_words_with_japanese_day_and_month_names() -> None:
    set_lang("ja")
    assert cron_in_words("0 8 * * 1-5") == "08:00 に実行、月曜日 から 金曜日 まで"
    assert cron_in_words("0 8 1-7 1,4 *") == "08:00 に実行、月の 1 日から 7 日の間、1月 と 4月 でのみ"
    assert cron_in_words("0 */2 * * *") == "2 時間ごと"


def test_english_and_fallback_to_the_expression() -> None:
    set_lang("en")
    try:
        assert "Monday through Friday" in cron_in_words("0 8 * * 1-5")
        assert cron_in_words("every morning") == "every morning"  # unreadable: shown as written
    finally:
        set_lang("ja")
