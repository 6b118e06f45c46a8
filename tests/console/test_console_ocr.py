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
    assert 0 < review.minutes < 1
    assert human.reason == "ocr_review" and human.department == "市民課" and human.minutes == review.minutes
    assert ("operator1", "ocr.review") in audit
