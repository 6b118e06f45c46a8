"""Fixtures for the sample-app tests: real Chromium (system package) driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect, sync_playwright

from dxrpa.demo.webapp import SampleApp, start_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

APPLICANT: dict[str, str] = {
    "受付番号": "000101",
    "氏名": "山田 太郎",
    "フリガナ": "ヤマダ タロウ",
    "生年月日": "1980-04-01",
    "郵便番号": "123-4567",
    "住所": "さくら市本町一丁目1番1号",
    "電話番号": "03-1234-5678",
}


@pytest.fixture(scope="module")  # not session: a live sync Playwright keeps an event loop running
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install the system browser with `apt-get install chromium`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[SampleApp]:
    a = start_app(tmp_path / "app.sqlite")
    yield a
    a.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(accept_downloads=True, locale="ja-JP")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


class UI:
    """Steps a robot would take on the sample app (tests reach it through the ``ui`` fixture,
    because several test folders have a ``conftest`` module and cannot import each other's)."""

    applicant = APPLICANT

    @staticmethod
    def login(page: Page, url: str, user: str = "staff01", password: str = "demo-pass") -> None:
        page.goto(f"{url}/login")
        page.get_by_label("ユーザーID").fill(user)
        page.get_by_label("パスワード").fill(password)
        page.get_by_role("button", name="ログイン").click()
        expect(page.get_by_role("heading", name="業務メニュー")).to_be_visible()

    @staticmethod
    def fill_applicant(page: Page, url: str, values: dict[str, str]) -> None:
        """Step 1 of the entry form, then 次へ."""
        page.goto(f"{url}/applications/new")
        for label, value in values.items():
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name="次へ").click()

    @staticmethod
    def fill_request(
        page: Page,
        *,
        kind: str = "住民票の写し",
        copies: str = "2",
        honseki: bool = True,
        purpose: str = "就職",
    ) -> None:
        """Step 2 of the entry form (waits for the delayed 使用目的 radios), then 確認."""
        page.get_by_label("請求の種類").select_option(kind)
        page.get_by_label("必要部数").fill(copies)
        if honseki:
            page.get_by_label("本籍・筆頭者の記載").check()
        page.get_by_role("radio", name=purpose).check()  # auto-waits for the radios to appear
        page.get_by_role("button", name="確認").click()

    @staticmethod
    def submit_confirmed(page: Page) -> list[str]:
        """Step 3: click 登録 and accept the confirm dialog; returns the dialog messages seen."""
        messages: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            messages.append(dialog.message)
            dialog.accept()

        page.once("dialog", on_dialog)
        page.get_by_role("button", name="登録").click()
        return messages

    def enter(self, page: Page, url: str, **overrides: str) -> str:
        """Enter one application end to end; returns the 交付番号 on the success page."""
        self.fill_applicant(page, url, {**APPLICANT, **overrides})
        self.fill_request(page)
        self.submit_confirmed(page)
        expect(page.get_by_text("登録しました")).to_be_visible()
        return page.locator("#receipt-no").inner_text()


@pytest.fixture
def ui() -> UI:
    return UI()


@pytest.fixture
def logged_in(page: Page, app: SampleApp) -> Page:
    UI.login(page, app.url)
    return page
