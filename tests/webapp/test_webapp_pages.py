"""Search table, detail page, the お知らせ iframe and the CSV download, in real Chromium."""

from __future__ import annotations

import csv
import io
from typing import Any

from playwright.sync_api import Page, expect

from dxrpa.demo.webapp import SampleApp


def test_search_finds_by_receipt_number_and_name(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    r1 = ui.enter(page, app.url)
    r2 = ui.enter(page, app.url, 受付番号="000202", 氏名="佐藤 花子", フリガナ="サトウ ハナコ")
    page.goto(app.url + "/")
    page.get_by_role("link", name="申請検索").click()
    page.get_by_label("受付番号または氏名").fill("000202")
    page.get_by_role("button", name="検索").click()
    table = page.get_by_role("table", name="検索結果")
    headers = ["受付番号", "氏名", "請求の種類", "登録日時", "交付番号"]
    expect(table.get_by_role("columnheader")).to_have_text(headers)  # waits for the results page
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("佐藤 花子")
    expect(rows.first).to_contain_text(r2)
    page.goto(app.url + "/applications?q=山田")
    expect(page.get_by_role("table", name="検索結果").locator("tbody tr")).to_have_count(1)
    page.goto(app.url + "/applications?q=")
    expect(page.locator("#result-count")).to_have_text("2件")
    page.goto(app.url + "/applications?q=999999")
    expect(page.get_by_text("該当する申請はありません")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    assert r1 != r2


def test_detail_page_from_search(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    receipt = ui.enter(page, app.url)
    page.goto(app.url + "/applications?q=000101")
    page.get_by_role("link", name=receipt).click()
    expect(page.get_by_role("heading", name="申請詳細")).to_be_visible()
    expect(page.locator("#receipt-no")).to_have_text(receipt)
    expect(page.get_by_role("table", name="申請内容")).to_contain_text("さくら市本町一丁目1番1号")
    page.goto(app.url + "/applications/R8-999999")
    expect(page.get_by_role("alert")).to_contain_text("R8-999999")


def test_notices_iframe(logged_in: Page, app: SampleApp) -> None:
    page = logged_in
    page.goto(app.url + "/")
    page.get_by_role("link", name="お知らせ").click()
    frame = page.frame_locator("iframe[title='お知らせ一覧']")
    expect(frame.get_by_role("list", name="お知らせ").get_by_role("listitem")).to_have_count(4)
    frame.get_by_label("キーワード").fill("年末年始")
    frame.get_by_role("button", name="絞り込み").click()
    expect(frame.get_by_role("listitem")).to_have_count(1)
    expect(frame.get_by_role("listitem")).to_contain_text("年末年始")
    frame.get_by_role("button", name="確認しました").click()
    expect(frame.locator("#ack")).to_have_text("確認済みです（staff01）")
    expect(page).to_have_url(app.url + "/notices")  # only the frame navigated


def test_csv_download(logged_in: Page, app: SampleApp, ui: Any, tmp_path: Any) -> None:
    page = logged_in
    receipt = ui.enter(page, app.url)
    page.goto(app.url + "/")
    page.get_by_role("link", name="帳票ダウンロード").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="申請一覧CSV（UTF-8）").click()
    download = info.value
    name = download.suggested_filename
    assert name.startswith("申請一覧_") and name.endswith(".csv")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [(r["受付番号"], r["氏名"], r["交付番号"]) for r in rows] == [("000101", "山田 太郎", receipt)]
    with page.expect_download() as info:
        page.get_by_role("link", name="申請一覧CSV（Shift_JIS）").click()
    sjis = tmp_path / "sjis.csv"
    info.value.save_as(sjis)
    assert "山田 太郎" in sjis.read_bytes().decode("cp932")
