"""Login, session cookie and the menu of the sample app, in real Chromium."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from dxrpa.demo.webapp import SampleApp


def test_pages_redirect_to_login_without_session(page: Page, app: SampleApp) -> None:
    for path in ("/", "/applications/new", "/applications?q=1", "/notices", "/downloads"):
        page.goto(app.url + path)
        expect(page).to_have_url(
            f"{app.url}/login?next=" + path.replace("/", "%2F").replace("?", "%3F").replace("=", "%3D")
        )
        expect(page.get_by_role("button", name="ログイン")).to_be_visible()


def test_wrong_password_shows_error(page: Page, app: SampleApp) -> None:
    page.goto(app.url + "/login")
    page.get_by_label("ユーザーID").fill("staff01")
    page.get_by_label("パスワード").fill("wrong")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("alert")).to_have_text("ユーザーIDまたはパスワードが違います")
    expect(page.get_by_label("ユーザーID")).to_have_value("staff01")


def test_login_shows_menu_and_returns_to_requested_page(page: Page, app: SampleApp, ui: Any) -> None:
    page.goto(app.url + "/downloads")
    page.get_by_label("ユーザーID").fill("staff01")
    page.get_by_label("パスワード").fill("demo-pass")
    page.get_by_role("button", name="ログイン").click()
    expect(page).to_have_url(app.url + "/downloads")
    page.goto(app.url + "/")
    for name in ("新規申請", "申請検索", "お知らせ", "帳票ダウンロード"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    page.get_by_role("link", name="ログアウト").click()
    page.goto(app.url + "/")
    expect(page).to_have_url(app.url + "/login?next=%2F")


def test_custom_users(page: Page, tmp_path: Any, ui: Any) -> None:
    from dxrpa.demo.webapp import start_app

    with start_app(tmp_path / "u.sqlite", users={"kakari02": "s3cret"}) as other:
        ui.login(page, other.url, "kakari02", "s3cret")
        expect(page.get_by_text("kakari02 さん")).to_be_visible()
