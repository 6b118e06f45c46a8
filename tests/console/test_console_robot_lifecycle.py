"""Issue 16: an admin disables, archives and enables a robot from its page (audited with the console
as the way); operators see the state but no buttons and are refused; a disabled robot's page offers
no run, and a run request is refused with the Japanese message."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from dxrpa.store.tables import AuditRow, Robot
from tests.console.conftest import Console, login
from tests.console.test_console_access import _register


def test_admin_disables_archives_and_enables(console: Console, page: Page, tmp_path: Path) -> None:
    _register(console)
    login(page, console, "admin1")
    page.goto(console.url + "/robots/juminhyo_entry")
    expect(page.locator("#robot-state")).to_contain_text("有効")
    expect(page.locator("#run-now")).to_be_visible()
    page.click("#robot-disable")
    expect(page.locator("#robot-state")).to_contain_text("停止中")
    expect(page.locator(".flash")).to_contain_text("停止中にしました")
    expect(page.locator("#run-now")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "robot-disabled-1366.png"), full_page=True)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    r = page.request.post(console.url + "/robots/juminhyo_entry/run", form={"csrf": csrf}, max_redirects=0)
    assert r.status in (303, 400)
    page.goto(console.url + "/robots/juminhyo_entry")
    expect(page.locator("body")).to_contain_text("停止中のため実行できません")
    page.click("#robot-archive")
    expect(page.locator("#robot-state")).to_contain_text("アーカイブ済み")
    page.goto(console.url + "/robots")
    expect(page.locator("#robots")).to_contain_text("アーカイブ済み")
    page.goto(console.url + "/robots/juminhyo_entry")
    page.click("#robot-enable")
    expect(page.locator("#robot-state")).to_contain_text("有効")
    with console.store.session() as s:
        assert s.scalar(select(Robot.state)) == "active"
        rows = [
            (r.actor, r.action, r.detail["via"])
            for r in s.scalars(select(AuditRow).where(AuditRow.action.like("robot.%able")))
        ]
    assert rows == [("admin1", "robot.disable", "console"), ("admin1", "robot.enable", "console")]

    page.context.clear_cookies()
    login(page, console, "operator1")
    page.goto(console.url + "/robots/juminhyo_entry")
    expect(page.locator("#robot-state")).to_be_visible()
    expect(page.locator("#lifecycle")).to_have_count(0)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    r = page.request.post(
        console.url + "/robots/juminhyo_entry/state",
        form={"csrf": csrf, "action": "disable"},
        max_redirects=0,
    )
    assert r.status == 403
