"""Locator strategies, fallbacks and strictness against real Chromium."""

from __future__ import annotations

import pytest

from dxrpa.browser.locators import build_locator
from dxrpa.errors import ItemSystemError, RobotDefect
from dxrpa.model.robot import Locator

from .conftest import Harness


def test_every_strategy_finds_its_element(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/form"},
            {"extract": {"role": "heading", "name": "住民票交付申請", "into": "role"}},
            {"extract": {"role": "heading", "name": "住民票", "exact": False, "into": "role_sub"}},
            {"fill": {"label": "氏名", "value": "label"}},
            {"fill": {"placeholder": "ヤマダ タロウ", "value": "placeholder"}},
            {"extract": {"test_id": "copies", "what": "value", "into": "test_id"}},
            {"extract": {"css": "#t tbody td", "nth": 1, "into": "css_nth"}},
            {"extract": {"xpath": "//table[@id='t']/tbody/tr[1]/td[1]", "into": "xpath"}},
            {"extract": {"text": "佐藤 花子", "into": "text"}},
            {"extract": {"label": "{{ item.欄 }}", "what": "value", "into": "templated"}},
        ],
        item={"欄": "氏名"},
    )
    v = ctx.variables
    assert v["role"] == v["role_sub"] == "住民票交付申請"
    assert (
        v["test_id"] == "1"
        and v["css_nth"] == "山田 太郎"
        and v["xpath"] == "A-001"
        and v["text"] == "佐藤 花子"
    )
    assert v["templated"] == "label"
    assert h.run(h.handle.page.locator("#kana").input_value()) == "placeholder"


def test_any_fallbacks_take_the_first_that_matches(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/fallback"},
            # the old label is gone, the new one matches
            {"fill": {"any": [{"label": "お名前"}, {"label": "お名前（新）"}], "value": "山田"}},
            # neither is there yet: wait until the late button appears
            {"click": {"any": [{"css": "#never"}, {"role": "button", "name": "検索"}]}},
            {"extract": {"any": [{"css": "#new"}, {"css": "#late-btn"}], "what": "value", "into": "first"}},
        ]
    )
    assert ctx.variables["first"] == "山田"


def test_any_without_match_is_timeout_naming_alternatives(h: Harness) -> None:
    with pytest.raises(ItemSystemError) as err:
        h.run_item(
            [
                {"goto": f"{h.site.base}/form"},
                {"click": {"any": [{"css": "#a"}, {"text": "存在しない"}]}, "timeout_ms": 300},
            ]
        )
    msg = str(err.value)
    assert "css=#a | text=存在しない" in msg and "timeout" in msg and "item 手順 2 (click)" in msg


def test_two_matches_is_robot_defect_until_nth(h: Harness) -> None:
    with pytest.raises(RobotDefect) as err:
        h.run_item([{"goto": f"{h.site.base}/form"}, {"click": {"role": "button", "name": "削除"}}])
    msg = str(err.value)
    assert "role=button name=削除" in msg and "2" in msg and "add nth: or a more specific locator" in msg
    h.run_item([{"click": {"role": "button", "name": "削除", "nth": 1}}])
    with pytest.raises(RobotDefect, match=r"matches 2|2 個"):
        h.run_item([{"extract": {"css": "button.del", "into": "x"}}])


def test_missing_element_on_a_settled_page_is_a_robot_defect_naming_the_closest(h: Harness) -> None:
    with pytest.raises(RobotDefect) as err:  # retrying cannot make a wrong label right
        h.run_item(
            [
                {"goto": f"{h.site.base}/form"},
                {"fill": {"label": "氏 名", "value": "x"}, "timeout_ms": 300},
            ]
        )
    msg = str(err.value)
    assert "label=氏 名" in msg and "label=氏名" in msg and "dxrpa inspect" in msg, msg


def test_missing_element_on_a_busy_page_is_item_system_error_naming_locator(h: Harness) -> None:
    with pytest.raises(ItemSystemError) as err:  # still fetching: it may yet appear, so retry
        h.run_item(
            [
                {"goto": f"{h.site.base}/busy"},
                {"fill": {"label": "生年月日", "value": "x"}, "timeout_ms": 300},
            ]
        )
    msg = str(err.value)
    assert "label=生年月日" in msg and "300 ms" in msg and "timeout" in msg


def test_build_locator_any_is_a_union_for_masks(h: Harness) -> None:
    page = h.handle.page
    h.run(page.goto(f"{h.site.base}/personal"))
    union = build_locator(page, Locator.model_validate({"any": [{"css": "#mn"}, {"label": "メール"}]}))
    assert h.run(union.count()) == 2
