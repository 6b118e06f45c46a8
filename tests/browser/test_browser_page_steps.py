"""Issue 17: what legacy municipal web systems are full of — new windows and tabs, chains of
dialogs, ARIA and spanning tables, paging, hover menus, multi-selects, HTTP statuses as business
outcomes, Basic authentication and blocked internet assets — against real Chromium."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dxrpa.engine.paths import Folders, local_assets
from dxrpa.errors import BusinessError, DefinitionError, ItemSystemError, RobotDefect

from .conftest import Harness

# ------------------------------------------------------------------ windows and tabs


def test_popup_from_target_blank_link_runs_steps_there_and_returns(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/windows"},
            {
                "popup": {
                    "click": {"text": "詳細を別ウィンドウで開く"},
                    "steps": [
                        {"expect": {"text": "詳細"}},
                        {"extract": {"css": "#no", "into": "no"}},
                    ],
                }
            },
            {"expect": {"visible": {"css": "#open"}}},  # back on the opener page
        ]
    )
    assert ctx.variables["no"] == "A-7"
    assert ctx.page is h.handle.page
    assert len(h.handle.context.pages) == 1  # the popup was closed


def test_popup_from_window_open_that_closes_itself(h: Harness) -> None:
    h.run_item(
        [
            {"goto": f"{h.site.base}/windows"},
            {
                "popup": {
                    "click": {"css": "#open"},
                    "steps": [
                        {"fill": {"label": "メモ", "value": "{{ item.memo }}"}},
                        {"click": {"role": "button", "name": "反映して閉じる"}},
                    ],
                }
            },
            {"expect": {"text": "転入届"}},
        ],
        item={"memo": "転入届"},
    )
    assert h.page_text("#r") == "転入届"


def test_window_switches_by_title_and_reports_what_is_open(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/windows"},
            {"popup": {"click": {"text": "詳細を別ウィンドウで開く"}, "close": False}},
            {
                "window": {
                    "title": "詳細画面",
                    "steps": [{"extract": {"css": "#no", "into": "no"}}],
                    "close": True,
                }
            },
        ]
    )
    assert ctx.variables["no"] == "A-7"
    with pytest.raises(ItemSystemError) as err:
        h.run_item([{"window": {"title": "存在しない画面", "steps": []}, "timeout_ms": 500}])
    assert "存在しない画面" in str(err.value) and "台帳" in str(err.value)


def test_download_that_opens_a_new_tab(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/windows"},
            {"download": {"text": "CSVを新しいタブで", "save_as": "dl/report.csv", "into": "csv"}},
        ]
    )
    assert Path(ctx.variables["csv"]).read_text(encoding="utf-8").startswith("受付番号,氏名")
    assert len(h.handle.context.pages) == 1


def test_loop_over_a_csv_downloaded_in_the_same_run(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/download"},
            {"download": {"text": "CSVをダウンロード", "save_as": "dl/list.csv", "into": "csv"}},
            {"read_csv": {"file": "{{ vars.csv }}", "into": "rows"}},
            {"for_each": {"in": "vars.rows", "as": "row", "steps": [{"set": {"last": "{{ row.氏名 }}"}}]}},
        ]
    )
    assert ctx.variables["rows"] == [{"受付番号": "A-001", "氏名": "山田"}]
    assert ctx.variables["last"] == "山田"
    (h.run_folder / "dl" / "bad.csv").write_text("受付番号,氏名\nA-002,佐藤,余分\n", encoding="utf-8")
    with pytest.raises(ItemSystemError, match=r"bad\.csv:2"):
        h.run_item([{"read_csv": {"file": "dl/bad.csv", "into": "rows"}}])
    with pytest.raises(RobotDefect):
        h.run_item([{"read_csv": {"file": "../outside.csv", "into": "rows"}}])


# ------------------------------------------------------------------ dialogs


def test_prompt_keeps_its_default_and_a_chain_is_answered_in_order(h: Harness) -> None:
    h.run_item(
        [{"goto": f"{h.site.base}/dialog-chain"}, {"dialog": {"default": True}}, {"click": {"css": "#d"}}]
    )
    assert h.page_text("#r") == "0001"
    h.run_item([{"dialog": {"accept": False}}, {"click": {"css": "#d"}}])
    assert h.page_text("#r") == "キャンセル"
    h.run_item(
        [
            {"dialog": {"accept": True, "contains": "登録しますか", "then": [{"contains": "登録しました"}]}},
            {"click": {"css": "#chain"}},
        ]
    )
    assert h.page_text("#r") == "済"
    h.run_item([{"dialog": {"text": "{{ item.no }}"}}, {"click": {"css": "#d"}}], item={"no": "0420"})
    assert h.page_text("#r") == "0420"


def test_unexpected_dialog_names_its_text_and_stops(h: Harness) -> None:
    h.run_item([{"goto": f"{h.site.base}/dialog-chain"}])
    with pytest.raises(RobotDefect) as err:
        h.run_item([{"click": {"css": "#surprise"}}])
    assert "セッションの有効期限が近づいています" in str(err.value) and "alert" in str(err.value)
    # the second dialog of a chain without an answer is unexpected too, and the first was answered
    with pytest.raises(RobotDefect) as err:
        h.run_item([{"click": {"css": "#chain", "dialog": "accept"}}])
    assert "登録しました" in str(err.value)
    # a dialog that says something else than declared is refused (dismissed)
    with pytest.raises(RobotDefect) as err:
        h.run_item([{"dialog": {"contains": "削除しますか"}}, {"click": {"css": "#chain"}}])
    assert "登録しますか" in str(err.value) and "削除しますか" in str(err.value)
    assert h.page_text("#r") == "中止"


# ------------------------------------------------------------------ tables


def test_aria_grid_is_a_table(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/aria-table"},
            {"extract": {"role": "grid", "name": "申請一覧", "what": "table", "into": "rows"}},
        ]
    )
    assert ctx.variables["rows"] == [
        {"受付番号": "A-001", "氏名": "山田 太郎", "状態": "受付"},
        {"受付番号": "A-002", "氏名": "佐藤 花子", "状態": "完了"},
    ]


def test_colspan_rowspan_and_two_level_headers(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/span-table"},
            {"extract": {"css": "#s", "what": "table", "into": "rows"}},
            {"extract": {"css": "#bare", "what": "table", "headers": ["番号", "種別"], "into": "bare"}},
        ]
    )
    assert ctx.variables["rows"] == [
        {"地区": "北区", "人口/男": "100", "人口/女": "110", "世帯数": "90"},
        {"地区": "北区", "人口/男": "120", "人口/女": "130", "世帯数": "95"},
        {"地区": "南区", "人口/男": "非公表", "人口/女": "非公表", "世帯数": "80"},
    ]
    assert ctx.variables["bare"] == [{"番号": "1", "種別": "交付"}, {"番号": "2", "種別": "再交付"}]


def test_paged_table_joins_every_page_and_max_pages_stops(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/paged-table"},
            {"wait": {"text": "青木"}},
            {"extract": {"css": "#p", "what": "table", "next": {"css": "#next"}, "into": "all"}},
        ]
    )
    assert [r["氏名"] for r in ctx.variables["all"]] == ["青木", "井上", "上田", "江藤", "大野"]
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/paged-table"},
            {"wait": {"text": "青木"}},
            {
                "extract": {
                    "css": "#p",
                    "what": "table",
                    "next": {"css": "#next"},
                    "max_pages": 2,
                    "into": "two",
                }
            },
        ]
    )
    assert [r["番号"] for r in ctx.variables["two"]] == ["1", "2", "3", "4"]


def test_table_options_need_what_table() -> None:
    from tests.browser.conftest import make_robot

    with pytest.raises(ValueError, match="what: table"):
        make_robot([{"extract": {"css": "#x", "into": "v", "headers": ["a"]}}])


# ------------------------------------------------------------------ small steps


def test_hover_multi_select_count_and_assert(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/widgets"},
            {"hover": {"text": "メニュー"}},
            {"click": {"role": "link", "name": "届出"}},
            {"select": {"label": "必要書類", "value": ["住民票", "c"]}},
            {"count": {"css": "#list li.hit", "into": "hits"}},
            {"count": {"css": "#list li.none", "into": "none"}},
            {"assert": {"that": "vars.hits == 3"}},
            {"assert": {"text": {"css": "#status"}, "contains": "受付済"}},
            {"assert": {"text": {"css": "#status"}, "matches": r"\d{4}-\d{2}-\d{2}"}},
        ]
    )
    assert h.page_text("#r") == "届出"
    selected = h.run(
        h.handle.page.eval_on_selector("#docs", "s => Array.from(s.selectedOptions).map(o => o.value)")
    )
    assert selected == ["a", "c"]
    assert ctx.variables["hits"] == 3 and ctx.variables["none"] == 0
    with pytest.raises(BusinessError) as err:
        h.run_item(
            [{"assert": {"text": {"css": "#status"}, "equals": "完了", "business_error": "未完了の申請です"}}]
        )
    assert "未完了の申請です" in str(err.value) and "受付済" in str(err.value)
    with pytest.raises(ItemSystemError, match=r"vars\.hits"):
        h.run_item([{"assert": {"that": "vars.hits > 5"}}], variables={"hits": 3})


def test_evaluate_is_off_unless_the_robot_declares_it(h: Harness, tmp_path: Path) -> None:
    from dxrpa.engine.definitions import parse_robot

    text = (
        "name: js_robot\ntitle: t\ndepartment: 市民課\nbaseline: {minutes_per_item: 1}\n"
        "item:\n  - evaluate: {script: '() => document.title', into: title}\n"
    )
    with pytest.raises(DefinitionError) as err:
        parse_robot(tmp_path / "js_robot.yaml", text)
    assert "allow_javascript" in str(err.value) and ":5" in str(err.value)
    parse_robot(
        tmp_path / "js_robot.yaml", text.replace("\nitem:", "\nbrowser: {allow_javascript: true}\nitem:")
    )
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/widgets"},
            {"evaluate": {"script": "(n) => document.title + n", "arg": "{{ item.n }}", "into": "title"}},
        ],
        item={"n": "!"},
        robot_extra={"browser": {"allow_javascript": True}},
    )
    assert ctx.variables["title"] == "各種部品!"
    with pytest.raises(ValueError, match="arg"):
        h.robot([{"evaluate": {"script": "() => '{{ item.x }}'"}}])


def test_a_group_label_names_each_match_in_robot_syntax(h: Harness) -> None:
    started = time.monotonic()
    with pytest.raises(RobotDefect) as err:
        h.run_item(
            [
                {"goto": f"{h.site.base}/group"},
                {"fill": {"label": "生年月日", "exact": False, "value": "令和"}},
            ]
        )
    assert "3" in str(err.value) and "nth:" in str(err.value)
    assert "{role: textbox, name: 生年月日 年}" in (err.value.hint or "")
    assert time.monotonic() - started < 3  # a defect at once, no retry storm


# ------------------------------------------------------------------ HTTP


def test_http_status_is_a_declared_business_outcome(h: Harness) -> None:
    with pytest.raises(BusinessError) as err:
        h.run_item([{"goto": {"url": f"{h.site.base}/gone", "http_errors": {404: "未登録の番号です"}}}])
    assert "未登録の番号です" in str(err.value) and "404" in str(err.value)
    with pytest.raises(BusinessError, match="HTTP 404"):
        h.run_item([{"goto": f"{h.site.base}/gone"}])
    with pytest.raises(ItemSystemError, match="500"):
        h.run_item([{"goto": f"{h.site.base}/boom"}])
    with pytest.raises(BusinessError, match="メンテナンス中"):
        h.run_item([{"goto": {"url": f"{h.site.base}/boom", "http_errors": {500: "メンテナンス中"}}}])


def test_robot_level_http_errors_and_expect_status(h: Harness) -> None:
    with pytest.raises(ItemSystemError, match="404"):
        h.run_item([{"goto": f"{h.site.base}/gone"}], robot_extra={"http_errors": {404: "system"}})
    with pytest.raises(BusinessError, match="500"):
        h.run_item([{"goto": f"{h.site.base}/boom"}], robot_extra={"http_errors": {500: "business"}})
    check = {"expect": {"status": 404, "business_error": "未登録の番号です"}}
    with pytest.raises(BusinessError, match="未登録の番号です"):
        h.run_item([{"goto": f"{h.site.base}/gone"}, check])
    h.run_item([{"goto": f"{h.site.base}/form"}, check])  # the page is there: the item goes on
    with pytest.raises(BusinessError, match="停止中"):  # a 5xx the robot expects is not retried
        h.run_item([{"goto": f"{h.site.base}/boom"}, {"expect": {"status": 500, "business_error": "停止中"}}])
    with pytest.raises(ValueError, match="business_error"):
        h.robot([{"expect": {"status": 404}}])


def test_basic_auth_without_credentials_says_what_to_declare(h: Harness) -> None:
    with pytest.raises(RobotDefect, match="http_credentials"):
        h.run_item([{"goto": f"{h.site.base}/basic"}])


def test_basic_auth_credentials_come_from_secrets(h: Harness) -> None:
    from tests.browser.conftest import make_robot

    with pytest.raises(ValueError, match="secrets"):
        make_robot([{"goto": "/"}], browser={"http_credentials": {"username": "U", "password": "P"}})
    browser = h.handle.context.browser
    assert browser is not None

    async def visit() -> str:
        context = await browser.new_context(http_credentials={"username": "clerk", "password": "s3cret-pass"})
        try:
            page = await context.new_page()
            await page.goto(f"{h.site.base}/basic")
            return await page.inner_text("h1")
        finally:
            await context.close()

    assert h.run(visit()) == "庁内システム"  # the test page itself accepts the right pair


# ------------------------------------------------------------------ assets


def test_assets_serve_local_copies_and_blocked_hosts_are_summed_up(
    h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loguru import logger

    from dxrpa.browser.session import BrowserHandle
    from dxrpa.config import Settings

    home = tmp_path / "home"
    (home / "data" / "assets").mkdir(parents=True)
    js = home / "data" / "assets" / "jquery.min.js"
    js.write_text("window.jQueryLike = (sel, text) => { document.querySelector(sel).textContent = text }")
    folders = Folders.of(Settings(home=home), ["data"])
    assets = local_assets(
        {"https://code.jquery.example/jquery-3.7.1.min.js": "data/assets/jquery.min.js"}, folders, "r.yaml"
    )
    with pytest.raises(DefinitionError, match=r"missing\.js"):
        local_assets({"https://x.example/a.js": "data/assets/missing.js"}, folders, "r.yaml")

    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="INFO")
    browser_handle: BrowserHandle = h.browser_handle
    try:
        handle = h.run(
            browser_handle.new_context(
                allowed_domains=["127.0.0.1"], downloads_dir=tmp_path / "dl", timeout_ms=3000, assets=assets
            )
        )
        try:
            page = handle.page
            for _ in range(2):
                h.run(page.goto(f"{h.site.base}/assets"))
            started = time.monotonic()
            assert h.run(page.inner_text("#r")) == "読み込み済"
            assert time.monotonic() - started < 2
        finally:
            h.run(handle.close())
        assert browser_handle.blocked == {"cdn.blocked.example": 4}
        assert sum("cdn.blocked.example" in line for line in lines) == 1  # once per host, not per request
        assert browser_handle.blocked_summary() == "cdn.blocked.example (4)"
    finally:
        logger.remove(sink)
        browser_handle.blocked.clear()
