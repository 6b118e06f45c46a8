"""Every step action against real Chromium and small pages served on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from dxrpa.engine.steps import run_steps, table_records, truthy
from dxrpa.errors import BusinessError, ItemSystemError, RobotDefect

from .conftest import Harness


def test_form_entry_with_templates(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": "{{ env.APP_URL }}/form"},
            {"fill": {"label": "氏名", "value": "{{ item.氏名 }}"}},
            {"fill": {"placeholder": "ヤマダ タロウ", "value": "{{ item.フリガナ }}"}},
            {"select": {"label": "請求の種類", "value": "{{ item.種類 }}"}},
            {"check": {"label": "郵送希望", "value": "{{ item.郵送 }}"}},
            {"check": {"label": "至急", "value": "いいえ"}},
            {"fill": {"label": "備考", "value": "受付 {{ run.id }}"}},
            {"click": {"role": "button", "name": "登録", "submit": True}},
            {"expect": {"text": "登録しました"}},
            {"extract": {"css": "#receipt-no", "into": "receipt_no"}},
        ],
        item={"氏名": "山田 太郎", "フリガナ": "ヤマダ タロウ", "種類": "住民票の写し", "郵送": "はい"},
    )
    assert h.page_text("#out") == "山田 太郎|ヤマダ タロウ|juminhyo|true|false|受付 test-run|"
    assert ctx.variables["receipt_no"] == "R-2026-0001"
    assert ctx.current_step == "item 手順 10 (extract)"
    assert ctx.submit_started


def test_select_by_value_and_missing_option_is_business_error(h: Harness) -> None:
    h.run_item([{"goto": f"{h.site.base}/form"}, {"select": {"label": "請求の種類", "value": "kisai"}}])
    assert h.run(h.handle.page.locator("#kind").input_value()) == "kisai"
    with pytest.raises(BusinessError) as err:
        h.run_item([{"select": {"label": "請求の種類", "value": "戸籍謄本"}, "timeout_ms": 500}])
    assert "戸籍謄本" in str(err.value) and "住民票の写し" in str(err.value)


@pytest.mark.parametrize("raw", ["false", "0", "いいえ", "", "off", "FALSE"])
def test_truthy_falsy_strings(raw: str) -> None:
    assert not truthy(raw)


def test_check_uncheck_press_and_dry_run_skip(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/form"},
            {"check": {"label": "郵送希望"}},
            {"uncheck": {"label": "至急"}},
            {"check": {"label": "至急", "value": "{{ item.flag }}"}},
            {"press": {"label": "備考", "key": "Enter"}},
            {"click": {"role": "button", "name": "登録"}, "submit": True},
        ],
        item={"flag": "0"},
        dry_run=True,
    )
    page = h.handle.page
    assert h.run(page.locator("#mail").is_checked()) is True
    assert h.run(page.locator("#urgent").is_checked()) is False
    assert h.page_text("#status") == "Enter pressed"
    assert ctx.skipped_submits == 1 and not ctx.submit_started
    assert h.page_text("#out") == ""  # the submit never ran


def test_upload_resolves_file_in_run_folder(h: Harness) -> None:
    (h.run_folder / "申請書.pdf").write_bytes(b"%PDF-1.4\n")
    h.run_item(
        [
            {"goto": f"{h.site.base}/form"},
            {"upload": {"label": "添付", "files": "{{ item.添付 }}"}},
            {"click": {"css": "#submit"}},
        ],
        item={"添付": "申請書.pdf"},
    )
    assert h.page_text("#out").endswith("|申請書.pdf")
    with pytest.raises(BusinessError, match=r"ない.pdf"):
        h.run_item([{"upload": {"label": "添付", "files": "ない.pdf"}}])


def test_download_saved_inside_run_folder(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/download"},
            {
                "download": {
                    "text": "CSVをダウンロード",
                    "save_as": "downloads/{{ item.no }}.csv",
                    "into": "csv",
                }
            },
        ],
        item={"no": "A-001"},
    )
    saved = Path(ctx.variables["csv"])
    assert saved == (h.run_folder / "downloads" / "A-001.csv").resolve()
    assert saved.read_text(encoding="utf-8").startswith("受付番号,氏名")


@pytest.mark.parametrize("target", ["../escape.csv", "/tmp/escape.csv", "a/../../escape.csv"])
def test_download_path_guard(h: Harness, target: str) -> None:
    with pytest.raises(RobotDefect, match=r"run folder|実行フォルダー"):
        h.run_item(
            [
                {"goto": f"{h.site.base}/download"},
                {"download": {"text": "CSVをダウンロード", "save_as": target}},
            ]
        )
    assert not (h.run_folder.parent / "escape.csv").exists()


def test_wait_variants(h: Harness) -> None:
    h.run_item(
        [
            {"goto": f"{h.site.base}/delayed"},
            {"wait": {"selector": {"css": "#late"}, "state": "visible"}},
            {"wait": {"text": "検索結果 3 件"}},
            {"wait": {"url": "/delayed/done"}},
            {"wait": {"url": "re:.*/done$"}},
            {"wait": {"load_state": "load"}},
            {"wait": {"seconds": 0.05}},
            {"wait": {"selector": {"css": "#nothing"}, "state": "detached"}},
        ]
    )


def test_expect_variants_pass(h: Harness) -> None:
    h.run_item(
        [
            {"goto": f"{h.site.base}/form"},
            {"expect": {"visible": {"role": "heading", "name": "住民票交付申請"}}},
            {"expect": {"hidden": {"css": "#nothing"}}},
            {"expect": {"url": "**/form"}},
            {"expect": {"count": {"css": "button.del", "equals": 2}}},
        ]
    )


def test_expect_failure_without_business_error_is_system_error(h: Harness) -> None:
    with pytest.raises(ItemSystemError, match=r"robots/test_robot.yaml item 手順 2 \(expect\)"):
        h.run_item(
            [{"goto": f"{h.site.base}/form"}, {"expect": {"text": "存在しない文言"}, "timeout_ms": 300}]
        )
    with pytest.raises(ItemSystemError):
        h.run_item([{"expect": {"count": {"css": "button.del", "equals": 3}}, "timeout_ms": 300}])


def test_expect_business_error_appends_page_text_fast(h: Harness) -> None:
    steps: list[dict[str, Any]] = [
        {"goto": f"{h.site.base}/validate"},
        {"click": {"role": "button", "name": "登録"}},
        {
            "expect": {
                "text": "登録しました",
                "business_error": "入力内容に誤りがあります",
                "error_text": {"css": ".error"},
            },
            "timeout_ms": 10_000,
        },
    ]
    started = time.perf_counter()
    with pytest.raises(BusinessError) as err:
        h.run_item(steps)
    assert time.perf_counter() - started < 5  # the page's error ended the wait, not the timeout
    assert "入力内容に誤りがあります: 氏名を入力してください" in str(err.value)
    assert "item 手順 3 (expect)" in str(err.value)
    # without error_text the expectation still becomes a business error
    with pytest.raises(BusinessError, match="登録できません"):
        h.run_item(
            [
                steps[0],
                steps[1],
                {"expect": {"text": "登録しました", "business_error": "登録できません"}, "timeout_ms": 400},
            ]
        )
    # and the success path passes
    h.run_item([steps[0], {"fill": {"label": "氏名", "value": "山田"}}, steps[1], steps[2]])


def test_extract_kinds_and_table(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/form"},
            {"fill": {"label": "氏名", "value": "佐藤"}},
            {"extract": {"label": "氏名", "what": "value", "into": "name"}},
            {
                "extract": {
                    "test_id": "copies",
                    "what": "attribute",
                    "attribute": "aria-label",
                    "into": "aria",
                }
            },
            {"extract": {"css": "#t tbody tr >> nth=0", "what": "html", "into": "html"}},
            {"extract": {"css": "#t", "what": "table", "into": "rows"}},
            {"extract": {"css": "#plain", "what": "table", "into": "plain"}},
        ]
    )
    v = ctx.variables
    assert v["name"] == "佐藤" and v["aria"] == "部数" and "<td>A-001</td>" in v["html"]
    assert v["rows"] == [
        {"受付番号": "A-001", "氏名": "山田 太郎", "列3": "済", "氏名_2": "x"},
        {"受付番号": "A-002", "氏名": "佐藤 花子", "列3": "未", "氏名_2": "y", "列5": "extra"},
    ]
    assert v["plain"] == [{"項目": "人口", "値": "12,345"}]
    with pytest.raises(RobotDefect, match="table"):
        h.run_item([{"extract": {"css": "#out", "what": "table", "into": "x"}}])


def test_table_records_pure() -> None:
    assert table_records([], [["a", "b"]]) == [{"列1": "a", "列2": "b"}]


def test_set_if_for_each(h: Harness) -> None:
    ctx = h.run_item(
        [
            {
                "set": {
                    "names": "{{ item.names }}",
                    "count": "{{ item.names | length }}",
                    "label": "計{{ item.names | length }}件",
                    "nested": {"a": ["{{ item.names[0] }}"]},
                }
            },
            {
                "if": {
                    "condition": "vars.count > 1",
                    "then": [{"set": {"many": True}}],
                    "else": [{"set": {"many": False}}],
                }
            },
            {
                "if": {
                    "condition": "item.flag",
                    "then": [{"set": {"flag": "yes"}}],
                    "else": [{"set": {"flag": "no"}}],
                }
            },
            {"set": {"seen": []}},
            {
                "for_each": {
                    "in": "vars.names",
                    "as": "who",
                    "steps": [
                        {"set": {"last": "{{ loop.index }}:{{ who }}"}},
                        {"if": {"condition": "loop.last", "then": [{"set": {"final": "{{ who }}"}}]}},
                    ],
                }
            },
        ],
        item={"names": ["山田", "佐藤", "鈴木"], "flag": "いいえ"},
    )
    v = ctx.variables
    assert v["names"] == ["山田", "佐藤", "鈴木"] and v["count"] == 3 and v["label"] == "計3件"
    assert v["nested"] == {"a": ["山田"]}
    assert v["many"] is True and v["flag"] == "no"
    assert v["last"] == "3:鈴木" and v["final"] == "鈴木"
    assert ctx.locals == {}


def test_for_each_errors_name_the_nested_step(h: Harness) -> None:
    with pytest.raises(RobotDefect, match=r"手順 1 \(for_each\) \[2/2\] › 手順 1 \(set\)"):
        h.run_item(
            [{"for_each": {"in": "item.rows", "as": "r", "steps": [{"set": {"x": "{{ r.missing }}"}}]}}],
            item={"rows": [{"missing": 1}, {}]},
        )
    with pytest.raises(RobotDefect, match=r"reserved|予約語"):
        h.run_item(
            [{"for_each": {"in": "item.rows", "as": "item", "steps": [{"log": "x"}]}}], item={"rows": [1]}
        )
    with pytest.raises(RobotDefect, match=r"list|リスト"):
        h.run_item([{"for_each": {"in": "item.rows", "steps": [{"log": "x"}]}}], item={"rows": "abc"})


def test_frame_steps(h: Harness) -> None:
    h.run_item(
        [
            {"goto": f"{h.site.base}/frame-host"},
            {
                "frame": {
                    "selector": "#inner",
                    "steps": [
                        {"fill": {"label": "連絡事項", "value": "至急"}},
                        {"click": {"role": "button", "name": "送信"}},
                        {"expect": {"text": "受付:至急"}},
                    ],
                }
            },
            {"expect": {"visible": {"css": "#r", "frame": "#inner"}}},
            {"expect": {"text": "親ページ"}},
        ]
    )


def test_dialogs(h: Harness) -> None:
    h.run_item([{"goto": f"{h.site.base}/dialog"}, {"click": {"css": "#c", "dialog": "accept"}}])
    assert h.page_text("#r") == "はい"
    h.run_item([{"click": {"css": "#c", "dialog": "dismiss"}}])
    assert h.page_text("#r") == "いいえ"
    h.run_item(
        [{"dialog": {"action": "accept", "prompt_text": "{{ item.理由 }}"}}, {"click": {"css": "#p"}}],
        item={"理由": "転居"},
    )
    assert h.page_text("#r") == "転居"
    with pytest.raises(RobotDefect, match="削除しますか"):  # no answer left behind: unexpected, dismissed
        h.run_item([{"click": {"css": "#c"}}])
    assert h.page_text("#r") == "いいえ"


def test_screenshot_in_run_folder(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/personal"},
            {"screenshot": {"name": "確認_{{ item.no }}"}},
            {"screenshot": {"name": "確認_{{ item.no }}", "full_page": False}},
        ],
        item={"no": "A-1"},
        robot_extra={"pii": [{"css": "#addr"}]},
    )
    names = [p.name for p in ctx.screenshots]
    assert names == ["確認_A-1.png", "確認_A-1-2.png"]
    assert all(p.stat().st_size > 1000 and p.parent == h.run_folder / "screenshots" for p in ctx.screenshots)
    with pytest.raises(RobotDefect):
        h.run_item([{"screenshot": {"name": "../x"}}])


def test_log_is_redacted_and_secret_fill_masked(h: Harness) -> None:
    lines: list[str] = []
    from dxrpa.log import _filter

    sink = logger.add(lambda m: lines.append(str(m)), level="DEBUG", filter=_filter)  # type: ignore[arg-type]
    try:
        h.run_item(
            [
                {"goto": f"{h.site.base}/form"},
                {"fill": {"label": "氏名", "value": "{{ secret.APP_PASSWORD }}"}},
                {"log": "個人番号 {{ item.mn }} を処理"},
            ],
            item={"mn": "123456789018"},
            secrets={"APP_PASSWORD": "s3cr3t-pw"},
        )
    finally:
        logger.remove(sink)
    text = "".join(lines)
    assert "label=氏名 ← ***" in text
    assert "s3cr3t-pw" not in text
    assert "個人番号 *** を処理" in text and "123456789018" not in text


def test_ocr_step(h: Harness) -> None:
    with pytest.raises(RobotDefect, match=r"ocr step not available|ocr ステップ"):
        h.run_item([{"ocr": {"into": "x", "file": "scan.png"}}])
    (h.run_folder / "scan.png").write_bytes(b"png")
    seen: list[object] = []

    def reader(source: bytes | Path, template: str | None) -> str:
        seen.append((source, template))
        return "山田 太郎"

    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/form"},
            {"ocr": {"into": "from_file", "file": "scan.png", "template": "juminhyo"}},
            {"ocr": {"into": "from_page", "locator": {"role": "heading"}}},
        ],
        ocr_reader=reader,
    )
    assert ctx.variables == {"from_file": "山田 太郎", "from_page": "山田 太郎"}
    assert seen[0] == (h.run_folder / "scan.png", "juminhyo")
    assert isinstance(seen[1], tuple) and isinstance(seen[1][0], bytes)


def test_optional_step_continues(h: Harness) -> None:
    ctx = h.run_item(
        [
            {"goto": f"{h.site.base}/form"},
            {"click": {"text": "閉じる"}, "optional": True, "timeout_ms": 200},
            {"set": {"after": "ok"}},
        ]
    )
    assert ctx.variables["after"] == "ok"


def test_template_problem_is_robot_defect_with_line(h: Harness) -> None:
    robot = h.robot(
        [{"goto": f"{h.site.base}/form"}, {"fill": {"label": "氏名", "value": "{{ item.氏名 }}"}}]
    )
    robot.item[1]._line = 14
    ctx = h.context(robot, item={"名前": "x"})
    with pytest.raises(RobotDefect) as err:
        h.run(run_steps(robot.item, ctx, "item"))
    assert str(err.value).startswith("robots/test_robot.yaml:14 item 手順 2 (fill): ")
    assert "氏名" in str(err.value)
    assert err.value.step == "item 手順 2 (fill)"
