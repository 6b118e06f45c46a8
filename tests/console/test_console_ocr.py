"""OCR review in real Chromium with the keyboard only: real scans, real RapidOCR, minutes in the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from dxrpa.demo.scans import generate
from dxrpa.engine.ocr_source import run_ocr
from dxrpa.store.ledger_tables import LedgerHumanMinutes
from dxrpa.store.ocr_tables import OcrField, OcrReview
from dxrpa.store.tables import AuditRow
from tests.console.conftest import ROOT, Console, login


@pytest.fixture
def ocr_env(dx_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Shipped templates, and every field doubtful (threshold above any confidence) so there is a queue."""
    monkeypatch.setenv("DXRPA_TEMPLATES_DIR", str(ROOT / "ocr" / "templates"))
    monkeypatch.setenv("DXRPA_OCR__REVIEW_THRESHOLD", "1.01")
    return dx_home


def test_review_a_batch_with_the_keyboard(ocr_env: Path, console: Console, page: Page) -> None:
    scans = ocr_env / "scans"
    generate(scans, "juminhyo", 1, 211, handwriting_share=0.0, formats=(".png",))
    batch = run_ocr(console.store, console.settings, "juminhyo", sorted(scans.glob("*.png")))
    with console.store.session() as s:
        fields = list(s.scalars(select(OcrField).order_by(OcrField.document_id, OcrField.seq)))
    assert [f.status for f in fields[:3]] == ["review"] * 3
    first, second, third = fields[:3]

    login(page, console, "operator1")
    page.goto(console.url + "/ocr")
    page.get_by_role("link", name=batch.batch_id).click()
    expect(page.locator("#review tr.field")).to_have_count(sum(f.status == "review" for f in fields))
    crop = page.locator(f'tr.field[data-id="{first.id}"] img.crop')
    expect(crop).to_be_visible()
    assert crop.evaluate("img => img.naturalWidth") > 10  # the crop image is served
    phone = next(f for f in fields if f.name == "電話番号")
    assert phone.crop and phone.crop.endswith(".png.sealed")  # ten digits: sealed on disk...
    shown = page.locator(f'tr.field[data-id="{phone.id}"] img.crop')
    shown.scroll_into_view_if_needed()
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.complete && img.naturalWidth") > 10  # ...and shown to the reviewer
    expect(page.locator(f'tr.field[data-id="{first.id}"] input.value')).to_be_focused()
    page.wait_for_timeout(2100)  # a little reviewing time to measure

    page.keyboard.press("Control+a")
    page.keyboard.type("100299")  # correct the 受付番号
    page.keyboard.press("Enter")
    expect(page.locator(f'tr.field[data-id="{second.id}"] input.value')).to_be_focused()
    page.keyboard.press("Tab")  # leave 申請日 for later
    expect(page.locator(f'tr.field[data-id="{third.id}"] input.value')).to_be_focused()
    page.keyboard.press("Enter")  # accept 氏名 as read
    page.keyboard.press("Control+Enter")  # save what was accepted
    page.wait_for_url("**/ocr")
    expect(page.locator(".flash")).to_contain_text("修正 1 / 確認のみ 1")

    with console.store.session() as s:
        after = {
            f.id: f
            for f in s.scalars(select(OcrField).where(OcrField.id.in_([first.id, second.id, third.id])))
        }
        review = s.scalars(select(OcrReview).where(OcrReview.applied_at.is_not(None))).one()
        human = s.scalars(select(LedgerHumanMinutes)).one()
        audit = [(r.actor, r.action) for r in s.scalars(select(AuditRow))]
    assert after[first.id].value == "100299" and after[first.id].corrected and after[first.id].status == "ok"
    assert after[second.id].status == "review"
    assert after[third.id].status == "ok" and not after[third.id].corrected
    assert review.reviewer == "operator1" and review.minutes_source == "measured"
    assert review.minutes is not None and 0 < review.minutes < 1
    assert human.reason == "ocr_review" and human.department == "市民課" and human.minutes == review.minutes
    assert ("operator1", "ocr.review") in audit


def test_review_screen_page_view_counter_forms_and_ime(
    ocr_env: Path, console: Console, page: Page, tmp_path: Path
) -> None:
    """Issue 16: the whole page with the field outlined and zoom, the crop beside a wide value box,
    an n/N counter, the reading as written beside its standard form (staff choose), and an Enter
    that ends an IME conversion accepts nothing."""
    scans = ocr_env / "scans"
    generate(scans, "juminhyo", 1, 212, handwriting_share=0.0, formats=(".png",))
    batch = run_ocr(console.store, console.settings, "juminhyo", sorted(scans.glob("*.png")))
    with console.store.session() as s:
        fields = [f for f in s.scalars(select(OcrField).order_by(OcrField.document_id, OcrField.seq))]
        doubtful = [f for f in fields if f.status == "review"]
        name = next(f for f in doubtful if f.name == "氏名")
        name.value, name.raw_value = "渡辺 花子", "渡邊 花子"  # as normalizing to 常用 would leave them
        ids = [f.id for f in doubtful]
    first = ids[0]
    login(page, console, "operator1")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(console.url + f"/ocr/batches/{batch.batch_id}")
    expect(page.locator("#review-total")).to_have_text(str(len(ids)))
    expect(page.locator("#review-n")).to_have_text("1")
    image = page.locator("#page-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") > 500  # the whole page is served
    outline = page.locator("#page-box").bounding_box()
    shown = image.bounding_box()
    assert outline and shown and outline["width"] < shown["width"] / 2  # one field, not the page
    value = page.locator(f'tr.field[data-id="{first}"] input.value').bounding_box()
    crop = page.locator(f'tr.field[data-id="{first}"] img.crop').bounding_box()
    page.screenshot(path=str(tmp_path / "ocr-review-1366.png"), full_page=True)
    assert value and crop and value["width"] >= 300  # wide enough for an address
    assert abs((value["y"] + value["height"] / 2) - (crop["y"] + crop["height"] / 2)) < 40  # side by side
    before = image.bounding_box()
    page.click("#zoom-in")
    expect(page.locator("#zoom-level")).to_have_text("150%")
    after = image.bounding_box()
    assert before and after and after["width"] > before["width"] * 1.4
    page.screenshot(path=str(tmp_path / "ocr-review-1366.png"), full_page=True)

    # an IME conversion's Enter does not accept the field or move on
    box = page.locator(f'tr.field[data-id="{first}"] input.value')
    box.focus()
    box.evaluate(
        "el => el.dispatchEvent(new KeyboardEvent('keydown',"
        " {key: 'Enter', isComposing: true, bubbles: true, cancelable: true}))"
    )
    expect(page.locator(f'tr.field[data-id="{first}"] input.accepted')).to_have_value("0")
    expect(box).to_be_focused()
    page.keyboard.press("Enter")  # a plain Enter accepts it and moves to the next field
    expect(page.locator(f'tr.field[data-id="{first}"] input.accepted')).to_have_value("1")
    expect(page.locator("#review-n")).to_have_text("2")

    # the name: prefilled as written (渡邊), never silently 渡辺; staff can take either
    row = page.locator(f'tr.field[data-id="{name.id}"]')
    entry = row.locator("input.value")
    expect(entry).to_have_value("渡邊 花子")
    expect(row.locator("fieldset.forms")).to_contain_text("渡辺 花子")
    entry.focus()
    page.keyboard.press("Alt+2")
    expect(entry).to_have_value("渡辺 花子")
    page.keyboard.press("Alt+1")
    expect(entry).to_have_value("渡邊 花子")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/ocr")
    with console.store.session() as s:
        kept = s.get(OcrField, name.id)
        assert kept is not None and kept.value == "渡邊花子" and kept.status == "ok"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(console.url + "/ocr")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "ocr-queue-390.png"), full_page=True)


def test_double_check_needs_a_second_reviewer_and_books_both(
    ocr_env: Path, monkeypatch: pytest.MonkeyPatch, password_hash: str, page: Page
) -> None:
    """ダブルチェック: a field one reviewer accepted waits for a different one; both reviews' minutes
    go to the ledger; the document is usable only after the second."""
    from dxrpa.store.ocr_tables import OcrDocument
    from tests.console.conftest import start_console

    monkeypatch.setenv("DXRPA_OCR__DOUBLE_CHECK", "true")
    with start_console(password_hash) as console:
        scans = ocr_env / "scans"
        generate(scans, "juminhyo", 1, 213, handwriting_share=0.0, formats=(".png",))
        batch = run_ocr(console.store, console.settings, "juminhyo", sorted(scans.glob("*.png")))
        with console.store.session() as s:
            first = s.scalars(
                select(OcrField).where(OcrField.status == "review").order_by(OcrField.id)
            ).first()
            assert first is not None
        url = console.url + f"/ocr/batches/{batch.batch_id}"

        def accept_first_and_save(user: str) -> None:
            page.context.clear_cookies()
            login(page, console, user)
            page.goto(url)
            expect(page.locator(f'tr.field[data-id="{first.id}"] input.value')).to_be_focused()
            page.wait_for_timeout(1100)
            page.keyboard.press("Enter")
            page.keyboard.press("Control+Enter")

        accept_first_and_save("operator1")
        page.wait_for_url("**/ocr")
        with console.store.session() as s:
            field = s.get(OcrField, first.id)
            assert field is not None and field.status == "check" and field.first_reviewer == "operator1"
            assert s.get(OcrDocument, field.document_id).status == "review"  # type: ignore[union-attr]

        accept_first_and_save("operator1")  # the same person cannot be the second
        expect(page.locator(".flash.error")).to_contain_text("ダブルチェック")
        expect(page.locator(f'tr.field[data-id="{first.id}"] small.double-check')).to_contain_text(
            "operator1"
        )
        accept_first_and_save("admin1")
        page.wait_for_url("**/ocr")
        with console.store.session() as s:
            field = s.get(OcrField, first.id)
            assert field is not None and field.status == "ok"
            reviews = list(s.scalars(select(OcrReview).where(OcrReview.applied_at.is_not(None))))
            human = list(s.scalars(select(LedgerHumanMinutes)))
        assert sorted(r.reviewer for r in reviews) == ["admin1", "operator1"]
        assert len(human) == 2 and all(h.reason == "ocr_review" for h in human)
