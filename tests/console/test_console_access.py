"""Access control: sessions, roles, CSRF, escaping, the reverse-proxy header and the users CLI."""

from __future__ import annotations

import io
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from dxrpa.cli import main
from dxrpa.engine.definitions import parse_robot
from dxrpa.engine.registry import register_robots
from dxrpa.store import robots_repo, runs_repo
from dxrpa.store.tables import AuditRow, Run
from tests.console.conftest import PASSWORD, ROOT, Console, login, start_console

GET_PAGES = [
    "/",
    "/robots",
    "/robots/new",
    "/robots/juminhyo_entry",
    "/robots/juminhyo_entry/edit",
    "/runs",
    "/runs/20260101-000000-abcdef",
    "/schedules",
    "/ocr",
    "/ocr/batches/x",
    "/dashboard",
    "/dashboard/report.xlsx",
    "/runs/20260101-000000-abcdef/attempts/1/screenshot",
    "/ocr/crops/1",
]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _status(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(req) as r:
            return r.status, r.headers.get("location", "")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("location", "")


def _register(console: Console, text: str | None = None, name: str = "juminhyo_entry.yaml") -> None:
    body = text if text is not None else (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    register_robots(console.store, [parse_robot(name, body)], actor="admin1")


def _runs(console: Console) -> int:
    with console.store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Run)) or 0)


def test_no_page_answers_without_a_session(console: Console) -> None:
    _register(console)
    for path in GET_PAGES:
        code, location = _status(console.url + path)
        assert code == 303 and location.startswith("/login"), path
    assert _status(console.url + "/runs/20260101-000000-abcdef/status.json")[0] == 401
    for path in ["/robots/juminhyo_entry/run", "/robots/editor", "/calendar/closures", "/logout"]:
        assert _status(console.url + path, data=b"csrf=x")[0] == 401, path
    assert _runs(console) == 0
    # a forged cookie is no session either
    assert _status(console.url + "/robots", headers={"Cookie": "dxrpa_session=forged.value.sig"})[0] == 303


def test_session_cookie_is_httponly_and_samesite(console: Console, page: Page) -> None:
    login(page, console, "viewer1")
    cookie = next(c for c in page.context.cookies() if c["name"] == "dxrpa_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""


def test_viewer_cannot_register_or_run(console: Console, page: Page) -> None:
    _register(console)
    login(page, console, "viewer1")
    page.goto(console.url + "/robots/juminhyo_entry")
    expect(page.locator("#robot-name")).to_have_text("juminhyo_entry")
    expect(page.locator("#run-now")).to_have_count(0)
    expect(page.locator("#dry-run")).to_have_count(0)
    response = page.goto(console.url + "/robots/new")
    assert response is not None and response.status == 403
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    for path in [
        "/robots/juminhyo_entry/run",
        "/robots/juminhyo_entry/dry-run",
        "/schedules/juminhyo_entry/pause",
    ]:
        r = page.request.post(console.url + path, form={"csrf": csrf}, max_redirects=0)
        assert r.status == 403, path
    text = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8").replace("住民票", "住民票X")
    r = page.request.post(
        console.url + "/robots/editor",
        max_redirects=0,
        multipart={"csrf": csrf, "text": text, "filename": "juminhyo_entry.yaml", "action": "register"},
    )
    assert r.status == 403
    assert _runs(console) == 0
    with console.store.session() as s:
        assert robots_repo.get_robot(s, "juminhyo_entry").current_version == 1


def test_forms_without_their_csrf_token_are_refused(console: Console, page: Page) -> None:
    _register(console)
    login(page, console, "admin1")
    for form in ({}, {"csrf": "not-the-token"}):
        for path in ["/robots/juminhyo_entry/run", "/schedules/juminhyo_entry/pause", "/calendar/closures"]:
            r = page.request.post(console.url + path, form={**form, "day": "2026-12-01"}, max_redirects=0)
            assert r.status == 403, (path, form)
    # JSON posts carry the token in a header
    r = page.request.post(
        console.url + "/runs/20260101-000000-abcdef/cancel", headers={"X-CSRF-Token": "wrong"}
    )
    assert r.status == 403
    assert _runs(console) == 0
    with console.store.session() as s:
        assert robots_repo.get_robot(s, "juminhyo_entry").paused is False
    # the login form too
    page.context.clear_cookies()
    r = page.request.post(
        console.url + "/login", form={"name": "admin1", "password": PASSWORD}, max_redirects=0
    )
    assert r.status == 403


def test_html_in_names_and_values_is_shown_escaped(console: Console, page: Page) -> None:
    text = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    evil = '<img src=x onerror="window.pwned=1">'
    login(page, console, "admin1")
    page.goto(console.url + "/robots/new")
    page.locator("#yaml-text").fill(text.replace("name: juminhyo_entry", f"name: '{evil}'", 1))
    page.locator("#validate").click()
    expect(page.locator("#line-3")).to_have_class("err")
    expect(page.locator("#line-3 code")).to_contain_text(evil)
    assert page.locator("main img").count() == 0

    titled = text.replace("title: 住民票交付申請の入力", "title: '<script>window.pwned=1</script>'").replace(
        "department: 市民課", "department: '<b>市民課</b>'"
    )
    _register(console, titled)
    page.goto(console.url + "/robots")
    expect(page.locator("#robots")).to_contain_text("<script>window.pwned=1</script>")
    expect(page.locator("#robots")).to_contain_text("<b>市民課</b>")
    assert page.locator("#robots b").count() == 0

    # an item key from the data holding HTML, on the live run page
    with console.store.session() as s:
        robot = robots_repo.get_robot(s, "juminhyo_entry")
        version = robots_repo.current_version(s, robot)
        assert version is not None
        run = runs_repo.create_run(s, robot=robot, version=version, status="failed", folder="")
        runs_repo.add_attempt(
            s,
            run_id=run.id,
            item_id=None,
            key=evil,
            seq=1,
            attempt=1,
            status="business_error",
            error_message=f"<b>{evil}</b>",
        )
        run_id = run.id
    page.goto(console.url + f"/runs/{run_id}")
    expect(page.locator("#items-body")).to_contain_text(evil)
    assert page.locator("#items-body img, #items-body b").count() == 0
    page.goto(console.url + "/dashboard")
    expect(page.locator("#saving-nothing")).to_contain_text("juminhyo_entry")
    assert page.evaluate("window.pwned") is None


def test_reverse_proxy_header_when_enabled(
    dx_home: Path, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with start_console(password_hash, monkeypatch, "X-Remote-User") as console:
        assert _status(console.url + "/robots", headers={"X-Remote-User": "viewer1"})[0] == 200
        assert _status(console.url + "/robots", headers={"X-Remote-User": "nobody"})[0] == 403
        assert _status(console.url + "/robots")[0] == 303


def test_header_is_ignored_by_default(console: Console) -> None:
    assert _status(console.url + "/robots", headers={"X-Remote-User": "admin1"})[0] == 303


def test_users_cli_add_list_disable(
    console: Console, page: Page, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    assert main(["users", "add", "carol", "--role", "operator", "--password-stdin"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["users", "add", "dave", "--password-stdin"]) == 2
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "carol" in out and "operator" in out and "dave" not in out
    login(page, console, "carol", "s3cret-pass")
    assert main(["users", "disable", "carol"]) == 0
    response = page.goto(console.url + "/robots")
    assert response is not None and "/login" in page.url  # the live session stops at once
    page.get_by_label("ユーザー名").fill("carol")
    page.get_by_label("パスワード").fill("s3cret-pass")
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator("#login-error")).to_be_visible()


def test_operator_cancels_a_running_run(console: Console, page: Page) -> None:
    _register(console)
    with console.store.session() as s:
        robot = robots_repo.get_robot(s, "juminhyo_entry")
        version = robots_repo.current_version(s, robot)
        assert version is not None
        run_id = runs_repo.create_run(s, robot=robot, version=version, status="running", folder="").id
    login(page, console, "operator1")
    page.goto(console.url + f"/runs/{run_id}")
    expect(page.locator("#run-status")).to_have_attribute("data-status", "running")
    with page.expect_response(lambda r: r.url.endswith("/cancel")) as posted:
        page.locator("#cancel").click()
    assert posted.value.status == 200  # posted by JavaScript with the X-CSRF-Token header
    with console.store.session() as s:
        run = s.get(Run, run_id)
        assert run is not None and run.cancel_requested is True
        assert (
            s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == "run.cancel")) == 1
        )
