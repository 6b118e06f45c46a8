"""The 3-step 住民票の写し等交付申請 entry form: dialog, delayed radios, validation, duplicates, upload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from dxrpa.demo.webapp import SampleApp, start_app


def test_full_entry_with_confirm_dialog(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    ui.fill_applicant(page, app.url, ui.applicant)
    expect(page.get_by_role("heading", name="請求内容")).to_be_visible()
    ui.fill_request(page, kind="住民票記載事項証明書", copies="3", purpose="年金手続")
    expect(page.get_by_role("heading", name="確認")).to_be_visible()
    table = page.get_by_role("table", name="入力内容")
    for value in ("000101", "山田 太郎", "ヤマダ タロウ", "住民票記載事項証明書", "年金手続", "あり"):
        expect(table).to_contain_text(value)
    messages = ui.submit_confirmed(page)
    assert messages == ["この内容で登録しますか？"]
    expect(page.get_by_text("登録しました")).to_be_visible()
    receipt = page.locator("#receipt-no").inner_text()
    assert re.fullmatch(r"R\d+-\d{6}", receipt)
    [row] = app.applications()
    assert row["受付番号"] == "000101" and row["交付番号"] == receipt
    assert row["請求の種類"] == "住民票記載事項証明書" and row["必要部数"] == 3
    assert row["本籍・筆頭者の記載"] is True and row["使用目的"] == "年金手続"
    assert row["生年月日"] == "1980-04-01" and row["登録者"] == "staff01"


def test_dismissed_dialog_stores_nothing(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    ui.fill_applicant(page, app.url, ui.applicant)
    ui.fill_request(page)
    page.once("dialog", lambda d: d.dismiss())
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_role("heading", name="確認")).to_be_visible()
    assert app.applications() == []


def test_purpose_radios_appear_late(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    ui.fill_applicant(page, app.url, ui.applicant)
    expect(page.get_by_text("選択肢を読み込み中…")).to_be_visible()
    assert page.get_by_role("radio").count() == 0
    expect(page.get_by_role("radio")).to_have_count(3)
    expect(page.get_by_role("group", name="使用目的")).to_be_visible()


def test_validation_errors_are_shown_and_nothing_stored(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    bad = {
        **ui.applicant,
        "受付番号": "12a",
        "フリガナ": "やまだ たろう",
        "郵便番号": "1234567",
        "電話番号": "abc",
    }
    ui.fill_applicant(page, app.url, bad)
    expect(page).to_have_url(app.url + "/applications/new")
    expect(page.get_by_role("alert")).to_contain_text("入力内容に誤りがあります（4件）")
    expect(page.get_by_text("受付番号は6桁の数字で入力してください")).to_be_visible()
    expect(page.get_by_text("フリガナは全角カタカナで入力してください")).to_be_visible()
    expect(page.get_by_text("郵便番号は「123-4567」の形式で入力してください")).to_be_visible()
    expect(page.get_by_label("フリガナ", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("氏名", exact=True)).to_have_value("山田 太郎")  # entered values are kept
    # step 2: submitting before choosing 使用目的 is rejected by the server
    ui.fill_applicant(page, app.url, ui.applicant)
    page.get_by_label("必要部数").fill("11")
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_text("請求の種類を選択してください")).to_be_visible()
    expect(page.get_by_text("必要部数は1から10までの数字で入力してください")).to_be_visible()
    expect(page.get_by_text("使用目的を選択してください")).to_be_visible()
    assert app.applications() == []


def test_duplicate_receipt_number_is_a_business_error(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    ui.enter(page, app.url)
    ui.fill_applicant(page, app.url, ui.applicant)  # same 受付番号 again
    expect(page.get_by_role("alert")).to_have_text("この受付番号は既に登録されています")
    assert len(app.applications()) == 1
    assert [(a["段階"], a["結果"]) for a in app.attempts()] == [
        ("submit", "accepted"),
        ("step1", "duplicate"),
    ]


def test_duplicate_caught_at_submit_by_two_sessions(browser: Any, app: SampleApp, ui: Any) -> None:
    """Two staff enter the same 受付番号 in parallel: the second 登録 is rejected, counted, not stored."""
    first, second = browser.new_context(), browser.new_context()
    try:
        pages = [first.new_page(), second.new_page()]
        for p in pages:
            ui.login(p, app.url)
            ui.fill_applicant(p, app.url, ui.applicant)
            ui.fill_request(p)
        ui.submit_confirmed(pages[0])
        expect(pages[0].get_by_text("登録しました")).to_be_visible()
        ui.submit_confirmed(pages[1])
        expect(pages[1].get_by_role("alert")).to_have_text("この受付番号は既に登録されています")
    finally:
        first.close()
        second.close()
    assert len(app.applications()) == 1
    assert [a["結果"] for a in app.attempts()] == ["accepted", "duplicate"]


def test_allow_duplicates_stores_double_entry(page: Page, tmp_path: Path, ui: Any) -> None:
    with start_app(tmp_path / "dup.sqlite", allow_duplicates=True) as app:
        ui.login(page, app.url)
        r1 = ui.enter(page, app.url)
        r2 = ui.enter(page, app.url)
    rows = app.applications()  # still readable after stop()
    assert r1 != r2
    assert [r["受付番号"] for r in rows] == ["000101", "000101"]
    assert [r["交付番号"] for r in rows] == [r1, r2]


def test_upload_attachment(logged_in: Page, app: SampleApp, ui: Any, tmp_path: Path) -> None:
    page = logged_in
    doc = tmp_path / "委任状.pdf"
    doc.write_bytes(b"%PDF-1.4\n% sample\n" + bytes(range(256)))
    ui.fill_applicant(page, app.url, ui.applicant)
    page.get_by_label("添付書類").set_input_files(doc)
    ui.fill_request(page)
    expect(page.get_by_role("table", name="入力内容")).to_contain_text("委任状.pdf")
    ui.submit_confirmed(page)
    expect(page.get_by_text("登録しました")).to_be_visible()
    [row] = app.applications()
    assert row["添付書類"] == "委任状.pdf" and row["添付書類サイズ"] == doc.stat().st_size


def test_back_keeps_values_and_stale_confirm_is_refused(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    ui.fill_applicant(page, app.url, ui.applicant)
    page.get_by_role("link", name="戻る").click()
    expect(page.get_by_label("氏名", exact=True)).to_have_value("山田 太郎")
    page.get_by_role("button", name="次へ").click()
    ui.fill_request(page)
    # a second tab of the same session starts a new entry: the first tab's confirm page is stale
    other = page.context.new_page()
    other.goto(app.url + "/applications/new")
    ui.submit_confirmed(page)
    expect(page.get_by_role("alert")).to_contain_text("入力内容が見つかりません")
    assert app.applications() == []
