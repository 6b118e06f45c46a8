"""Issue 16: the Assets page — admins set and delete per-environment values (audited without them),
operators only see them, viewers are refused; secret-looking names are refused; it fits 390 px."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from dxrpa.store import assets_repo
from dxrpa.store.tables import AuditRow
from tests.console.conftest import PASSWORD, Console, login
from tests.console.test_console_hardening import _fetch, _http_login


def test_admin_manages_assets_operator_sees_them(console: Console, page: Page, tmp_path: Path) -> None:
    login(page, console, "admin1")
    page.goto(console.url + "/assets")
    expect(page.locator("#current-environment")).to_have_text("本番")
    form = page.locator("#asset-form")
    form.locator("input[name=name]").fill("APP_URL")
    form.locator("select[name=environment]").select_option("staging")
    form.locator("input[name=value]").fill("https://kensho.example.lg.jp/app")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_contain_text("保存しました: APP_URL (検証)")
    row = page.locator('#assets tr[data-name="APP_URL"][data-environment="staging"]')
    expect(row.locator("td.value")).to_have_text("https://kensho.example.lg.jp/app")
    form = page.locator("#asset-form")
    form.locator("input[name=name]").fill("PORTAL_PASSWORD")
    form.locator("input[name=value]").fill("hunter2")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".flash.error")).to_contain_text("dxrpa secrets set")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(console.url + "/assets")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "assets-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    with console.store.session() as s:
        assert assets_repo.values(s, "staging") == {"APP_URL": "https://kensho.example.lg.jp/app"}
        assert assets_repo.values(s, "production") == {}

    page.context.clear_cookies()
    login(page, console, "operator1")
    page.goto(console.url + "/assets")
    expect(page.locator("#assets")).to_contain_text("kensho.example.lg.jp")
    expect(page.locator("#asset-form")).to_have_count(0)
    expect(page.locator("#assets button.delete")).to_have_count(0)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    r = page.request.post(
        console.url + "/assets",
        form={"csrf": csrf, "name": "APP_URL", "environment": "staging", "delete": "1"},
        max_redirects=0,
    )
    assert r.status == 403
    viewer = _http_login(console, "viewer1", PASSWORD)[1]
    assert _fetch(console.url + "/assets", cookie=viewer)[0] == 403

    page.context.clear_cookies()
    login(page, console, "admin1")
    page.goto(console.url + "/assets")
    page.locator('#assets tr[data-name="APP_URL"] button.delete').click()
    expect(page.locator(".flash")).to_contain_text("削除しました")
    with console.store.session() as s:
        assert assets_repo.values(s, "staging") == {}
        audit = [(r.action, r.subject) for r in s.scalars(select(AuditRow)) if r.action.startswith("asset.")]
        details = [r.detail for r in s.scalars(select(AuditRow)) if r.action.startswith("asset.")]
    assert audit == [("asset.set", "staging/APP_URL"), ("asset.delete", "staging/APP_URL")]
    assert "kensho" not in str(details)
