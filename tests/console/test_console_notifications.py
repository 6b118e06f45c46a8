"""Issue 16: a failed notification delivery shows in the console with its reason (never the body);
operators see the page, viewers are refused; it fits 390 px."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from dxrpa.store import notify_repo
from dxrpa.store.notify_repo import OutboxEntry
from tests.console.conftest import PASSWORD, Console, login
from tests.console.test_console_hardening import _fetch, _http_login


def test_failed_delivery_is_visible_without_the_body(console: Console, page: Page, tmp_path: Path) -> None:
    facts: dict[str, Any] = {
        "event": "run_failed",
        "robot": "juminhyo_entry",
        "run_id": "20261203-080000-ab12cd",
        "status": "failed",
        "counts": {"total": 25, "done": 0, "failed": 25},
    }
    with console.store.session() as s:
        failed, sent = notify_repo.enqueue(
            s,
            [
                OutboxEntry(
                    "run_failed", "k1", "市民課メール", facts, robot="juminhyo_entry", run_id=facts["run_id"]
                ),
                OutboxEntry(
                    "run_failed", "k1", "teams", facts, robot="juminhyo_entry", run_id=facts["run_id"]
                ),
            ],
        )
        for _ in range(3):
            notify_repo.settle(
                s, failed, error="SMTP 554: SMTPDataError", max_attempts=3, backoff=timedelta(seconds=1)
            )
        notify_repo.settle(s, sent, error=None, max_attempts=3, backoff=timedelta(seconds=1))
        s.commit()

    login(page, console, "operator1")
    page.goto(console.url + "/notifications")
    row = page.locator('#deliveries tr[data-status="failed"]')
    expect(row).to_have_count(1)
    expect(row.locator("td.status")).to_have_text("失敗")
    expect(row.locator("td.reason")).to_have_text("SMTP 554: SMTPDataError")
    expect(row).to_contain_text("市民課メール")
    expect(page.locator('#counts a[data-status="failed"]')).to_have_text("失敗 1")
    expect(page.locator('#counts a[data-status="sent"]')).to_have_text("送信済み 1")
    page.locator('#counts a[data-status="failed"]').click()
    expect(page.locator("#deliveries tbody tr")).to_have_count(1)
    assert "25" not in (page.locator("td.reason").first.text_content() or "")  # the reason, not the message
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(console.url + "/notifications")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "notifications-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    viewer = _http_login(console, "viewer1", PASSWORD)[1]
    assert _fetch(console.url + "/notifications", cookie=viewer)[0] == 403
