"""Console hardening, attacked over HTTP: the trusted header is never stored, sessions are server-side
and revocable, logins are throttled and take the same time for every kind of account, cookies are
Secure off localhost (with HSTS), evidence is scoped by department and audited, users are managed
from the CLI and the admins' page."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from email.message import Message
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from dxrpa.cli import main
from dxrpa.console.auth import verify_password
from dxrpa.store import console_repo, robots_repo, runs_repo
from dxrpa.store.base import utcnow
from dxrpa.store.console_tables import ConsoleSession, ConsoleUser, LoginThrottle
from dxrpa.store.tables import AuditRow
from tests.console.conftest import PASSWORD, Console, login, start_console
from tests.console.test_console_access import _NoRedirect, _register

WAIT = "待って"  # the locked-out answer tells the user to wait


def _fetch(
    url: str, data: dict[str, str] | None = None, cookie: str = "", headers: dict[str, str] | None = None
) -> tuple[int, Message, str]:
    """One request without following redirects: status, headers, body."""
    opener = urllib.request.build_opener(_NoRedirect)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(
        url, data=body, headers={**(headers or {}), **({"Cookie": cookie} if cookie else {})}
    )
    try:
        with opener.open(req) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def _cookie(headers: Message, fallback: str = "") -> str:
    for value in headers.get_all("set-cookie") or []:
        if value.startswith("dxrpa_session="):
            return value.split(";", 1)[0]
    return fallback


def _http_login(console: Console, name: str, password: str) -> tuple[int, str, str, float]:
    """Log in with a plain HTTP client: status, the session cookie, the page, server time (ms)."""
    _code, headers, html = _fetch(console.url + "/login")
    cookie = _cookie(headers)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert csrf is not None
    code, headers, html = _fetch(
        console.url + "/login", {"csrf": csrf.group(1), "name": name, "password": password}, cookie
    )
    took = float(re.search(r"dur=([0-9.]+)", headers.get("server-timing", "")).group(1))  # type: ignore[union-attr]
    return code, _cookie(headers, cookie), html, took


def _opens(console: Console, cookie: str, path: str = "/robots") -> bool:
    return _fetch(console.url + path, cookie=cookie)[0] == 200


def _audit(console: Console, action: str) -> list[AuditRow]:
    with console.store.session() as s:
        return list(s.scalars(select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)))


def test_trusted_header_is_never_stored_in_the_cookie(
    dx_home: Path, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with start_console(password_hash, monkeypatch, "X-Remote-User") as console:
        code, headers, _ = _fetch(console.url + "/robots", headers={"X-Remote-User": "admin1"})
        assert code == 200
        cookie = _cookie(headers)
        assert cookie, "the page sets its CSRF cookie"
        # the same cookie without the header is no login, not even for a moment
        assert _fetch(console.url + "/robots", cookie=cookie)[0] == 303
        assert _fetch(console.url + "/robots", cookie=cookie, headers={"X-Remote-User": "viewer1"})[0] == 200
        # each request is the header's user: the viewer does not inherit the admin's rights
        assert _fetch(console.url + "/users", cookie=cookie, headers={"X-Remote-User": "viewer1"})[0] == 403
        # and password logins are refused in this mode (they would only make sessions nobody checks)
        code, _cookie_value, html, _ = _http_login(console, "admin1", PASSWORD)
        assert code == 403 and "リバースプロキシ" in html
        with console.store.session() as s:
            assert s.scalars(select(ConsoleSession)).first() is None


def test_logout_revokes_the_session_server_side(console: Console, page: Page) -> None:
    login(page, console, "viewer1")
    cookie = next(c for c in page.context.cookies() if c["name"] == "dxrpa_session")
    stolen = f"dxrpa_session={cookie['value']}"
    assert _opens(console, stolen)
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url("**/login")
    assert not _opens(console, stolen)  # a copy of the cookie taken before logout opens nothing
    with console.store.session() as s:
        row = s.scalars(select(ConsoleSession)).one()
        assert row.revoked_at is not None
        assert row.id != cookie["value"] and len(row.id) == 64  # only a hash of the token is stored
    assert [r.subject for r in _audit(console, "console.logout")] == ["viewer1"]


def test_a_cookie_forged_with_the_signing_key_opens_nothing(console: Console) -> None:
    key = (console.settings.var_dir / "console" / "session.key").read_text(encoding="utf-8").strip()
    signer = TimestampSigner(key)
    for data in ({"user": "admin1"}, {"sid": "guessed-token"}):
        value = signer.sign(base64.b64encode(json.dumps(data).encode())).decode()
        assert _fetch(console.url + "/users", cookie=f"dxrpa_session={value}")[0] == 303, data


@pytest.mark.parametrize(
    ("argv", "action"),
    [
        (["users", "role", "viewer1", "author"], "role"),
        (["console", "user", "disable", "viewer1"], "disable"),
        (["users", "passwd", "viewer1", "--password-stdin"], "passwd"),
        (["console", "user", "delete", "viewer1"], "delete"),
    ],
)
def test_user_changes_end_their_sessions(
    console: Console, monkeypatch: pytest.MonkeyPatch, argv: list[str], action: str
) -> None:
    code, cookie, _, _ = _http_login(console, "viewer1", PASSWORD)
    assert code == 303 and _opens(console, cookie)
    _, other, _, _ = _http_login(console, "author1", PASSWORD)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-new-password\n"))
    assert main(argv) == 0
    assert not _opens(console, cookie)
    assert _opens(console, other)  # other users keep their sessions
    assert [r.subject for r in _audit(console, f"console.user_{action}")] == ["viewer1"]


def test_idle_and_absolute_timeouts(console: Console) -> None:
    _, cookie, _, _ = _http_login(console, "viewer1", PASSWORD)
    assert _opens(console, cookie)
    with console.store.session() as s:
        s.execute(update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(minutes=61)))
    assert not _opens(console, cookie)  # idle for more than an hour

    _, cookie, _, _ = _http_login(console, "viewer1", PASSWORD)
    with console.store.session() as s:
        s.execute(
            update(ConsoleSession)
            .where(
                ConsoleSession.revoked_at.is_(None),
                ConsoleSession.last_seen_at > utcnow() - timedelta(minutes=5),
            )
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert not _opens(console, cookie)  # past the absolute lifetime, however active


def test_cookies_are_secure_with_hsts_unless_on_localhost(dx_home: Path, password_hash: str) -> None:
    with start_console(password_hash, host="0.0.0.0") as console:
        _, headers, _ = _fetch(console.url + "/login")
        set_cookie = next(v for v in headers.get_all("set-cookie") or [] if v.startswith("dxrpa_session="))
        flags = [part.strip().lower() for part in set_cookie.split(";")]
        assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags
        assert headers.get("strict-transport-security", "").startswith("max-age=")
    with start_console(password_hash, host="localhost") as console:
        _, headers, _ = _fetch(console.url + "/login")
        set_cookie = next(v for v in headers.get_all("set-cookie") or [] if v.startswith("dxrpa_session="))
        assert "secure" not in set_cookie.lower() and "httponly" in set_cookie.lower()
        assert headers.get("strict-transport-security") is None
    with start_console(password_hash, host="0.0.0.0", secure_cookies=False) as console:  # the override
        _, headers, _ = _fetch(console.url + "/login")
        assert "secure" not in (_cookie(headers) + str(headers.get_all("set-cookie"))).lower()


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(console: Console) -> None:
    for _ in range(6):
        code, _, html, _ = _http_login(console, "viewer1", "wrong password")
        assert code == 401
    assert WAIT in html  # the sixth failure starts the back-off and says so
    code, cookie, html, _ = _http_login(console, "viewer1", PASSWORD)
    assert code == 401 and WAIT in html  # the lock holds for the right password too
    assert not _opens(console, cookie)
    with console.store.session() as s:
        assert s.scalars(select(ConsoleSession)).first() is None
        throttle = s.get(LoginThrottle, "user:viewer1")
        assert throttle is not None and throttle.locked_until is not None
        wait = (throttle.locked_until - utcnow()).total_seconds()
    assert _audit(console, "console.login_locked")
    # an unknown name answers exactly alike, so a lock tells nothing about who exists
    for _ in range(7):
        code, _, unknown_html, _ = _http_login(console, "nobody-here", "wrong password")
    assert code == 401 and WAIT in unknown_html
    # other accounts still log in; the locked one does again after its back-off
    assert _http_login(console, "author1", PASSWORD)[0] == 303
    time.sleep(max(0.0, wait) + 0.2)
    code, cookie, _, _ = _http_login(console, "viewer1", PASSWORD)
    assert code == 303 and _opens(console, cookie)


def test_many_failures_from_one_address_lock_that_address(console: Console) -> None:
    for i in range(31):  # every name different: no single account reaches its own limit
        assert _http_login(console, f"guess{i}", "wrong password")[0] == 401
    code, _, html, _ = _http_login(console, "admin1", PASSWORD)
    assert code == 401 and WAIT in html
    with console.store.session() as s:
        assert s.get(LoginThrottle, "ip:127.0.0.1") is not None


def test_unknown_disabled_and_active_accounts_take_the_same_time(console: Console) -> None:
    """Each kind of account costs the server at least one argon2 verify. Timed by the server itself
    (Server-Timing) and compared by minimum, since load on a shared machine only ever adds time."""
    with console.store.session() as s:
        active_hash = console_repo.get_user(s, "viewer1").password_hash  # type: ignore[union-attr]
        console_repo.add_user(s, "retired1", "viewer", active_hash)
        console_repo.set_disabled(s, "retired1", True)
    times: dict[str, list[float]] = {"unknown": [], "disabled": [], "active": [], "one verify": []}
    for i in range(5):  # interleaved, below every lock
        for kind, name, password in (
            ("unknown", f"ghost{i}", "wrong password"),
            ("disabled", "retired1", PASSWORD),  # even the right password of a disabled account
            ("active", "viewer1", "wrong password"),
        ):
            code, _, html, took = _http_login(console, name, password)
            assert code == 401 and "ユーザー名またはパスワードが違います" in html
            times[kind].append(took)
        started = time.perf_counter()
        assert not verify_password(active_hash, "wrong password")
        times["one verify"].append((time.perf_counter() - started) * 1000)
    fastest = {kind: min(ms) for kind, ms in times.items()}
    for kind in ("unknown", "disabled", "active"):
        assert fastest[kind] > 0.6 * fastest["one verify"], (kind, times)


def _evidence_run(console: Console, department: str) -> tuple[str, int]:
    """A finished run of a robot of ``department`` with a screenshot and a trace in its folder."""
    text = (Path(__file__).resolve().parents[2] / "robots" / "juminhyo_entry.yaml").read_text(
        encoding="utf-8"
    )
    _register(console, text.replace("department: 市民課", f"department: {department}"))
    with console.store.session() as s:
        robot = robots_repo.get_robot(s, "juminhyo_entry")
        version = robots_repo.current_version(s, robot)
        assert version is not None
        run = runs_repo.create_run(s, robot=robot, version=version, status="partial", folder="")
        folder = console.settings.runs_dir / run.id
        folder.mkdir(parents=True)
        (folder / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\nsecret-pixels")
        (folder / "trace.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
        run.folder = str(folder)
        attempt = runs_repo.add_attempt(
            s,
            run_id=run.id,
            item_id=None,
            key="A-1",
            seq=1,
            attempt=1,
            status="business_error",
            screenshot=str(folder / "shot.png"),
            trace=str(folder / "trace.zip"),
        )
        return run.id, attempt.id


def test_evidence_is_scoped_by_department_and_audited(console: Console) -> None:
    run_id, attempt_id = _evidence_run(console, "市民課")
    assert main(["users", "departments", "viewer1", "-d", "税務課"]) == 0
    assert main(["users", "departments", "author1", "-d", "市民課", "-d", "税務課"]) == 0
    assert main(["users", "departments", "admin1", "-d", "税務課"]) == 0  # admins see all regardless
    shot = f"/runs/{run_id}/attempts/{attempt_id}/screenshot"
    trace = f"/runs/{run_id}/attempts/{attempt_id}/trace"
    cookies = {
        name: _http_login(console, name, PASSWORD)[1]
        for name in ("viewer1", "author1", "admin1", "operator1")
    }
    code, _, body = _fetch(console.url + shot, cookie=cookies["viewer1"])
    assert code == 403 and "secret-pixels" not in body
    assert _fetch(console.url + trace, cookie=cookies["viewer1"])[0] == 403
    # the run page and its JSON do not even link the evidence for that viewer
    _, _, status = _fetch(console.url + f"/runs/{run_id}/status.json", cookie=cookies["viewer1"])
    assert json.loads(status)["items"][0]["screenshot"] is None
    _, _, status = _fetch(console.url + f"/runs/{run_id}/status.json", cookie=cookies["author1"])
    assert json.loads(status)["items"][0]["screenshot"] == shot
    for name in ("author1", "admin1", "operator1"):  # operator1 has no departments: all
        code, _, body = _fetch(console.url + shot, cookie=cookies[name])
        assert code == 200 and "secret-pixels" in body, name
    assert _fetch(console.url + trace, cookie=cookies["author1"])[0] == 200
    downloads = _audit(console, "run.evidence_download")
    assert [(r.actor, r.subject, r.detail) for r in downloads] == [
        ("author1", run_id, {"attempt": attempt_id, "kind": "screenshot"}),
        ("admin1", run_id, {"attempt": attempt_id, "kind": "screenshot"}),
        ("operator1", run_id, {"attempt": attempt_id, "kind": "screenshot"}),
        ("author1", run_id, {"attempt": attempt_id, "kind": "trace"}),
    ]
    refused = _audit(console, "run.evidence_refused")
    assert [(r.actor, r.detail["kind"]) for r in refused] == [("viewer1", "screenshot"), ("viewer1", "trace")]
    assert all("secret-pixels" not in json.dumps(r.detail) for r in downloads + refused)


def test_users_cli_passwd_role_enable_delete_and_the_last_admin(
    console: Console, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("first-password\n"))
    assert (
        main(["console", "user", "add", "erin", "--role", "author", "-d", "市民課", "--password-stdin"]) == 0
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("second-password\n"))
    assert main(["users", "passwd", "erin", "--password-stdin"]) == 0
    assert _http_login(console, "erin", "first-password")[0] == 401
    assert _http_login(console, "erin", "second-password")[0] == 303
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["users", "passwd", "erin", "--password-stdin"]) == 2
    assert main(["users", "role", "erin", "operator"]) == 0
    assert main(["users", "role", "erin", "overlord"]) == 2
    assert main(["users", "disable", "erin"]) == 0
    assert _http_login(console, "erin", "second-password")[0] == 401
    assert main(["console", "user", "enable", "erin"]) == 0
    assert _http_login(console, "erin", "second-password")[0] == 303
    assert main(["console", "user", "list"]) == 0
    out = capsys.readouterr().out
    assert "erin" in out and "operator" in out and "市民課" in out
    # admin1 is the only admin: it cannot be deleted, disabled or demoted
    for argv in (
        ["users", "delete", "admin1"],
        ["users", "disable", "admin1"],
        ["users", "role", "admin1", "viewer"],
    ):
        assert main(argv) == 2, argv
        assert "最後の有効な管理者" in capsys.readouterr().err
    assert main(["users", "role", "erin", "admin"]) == 0
    assert main(["users", "delete", "admin1"]) == 0  # with a second admin it may go
    assert main(["users", "delete", "erin"]) == 2  # now erin is the last one
    assert main(["users", "delete", "nobody"]) == 2
    with console.store.session() as s:
        assert console_repo.get_user(s, "admin1") is None
        actions = [
            (r.action, r.subject, r.detail)
            for r in s.scalars(
                select(AuditRow).where(AuditRow.action.like("console.user_%")).order_by(AuditRow.id)
            )
        ]
    assert actions == [
        ("console.user_add", "erin", {"role": "author", "departments": ["市民課"]}),
        ("console.user_passwd", "erin", {}),
        ("console.user_role", "erin", {"from": "author", "to": "operator"}),
        ("console.user_disable", "erin", {}),
        ("console.user_enable", "erin", {}),
        ("console.user_role", "erin", {"from": "operator", "to": "admin"}),
        ("console.user_delete", "admin1", {}),
    ]
    assert "second-password" not in json.dumps([a[2] for a in actions])


def test_admins_manage_users_on_the_users_page(console: Console, page: Page) -> None:
    login(page, console, "operator1")
    response = page.goto(console.url + "/users")
    assert response is not None and response.status == 403
    page.context.clear_cookies()
    login(page, console, "admin1")
    page.get_by_role("link", name="利用者").click()
    form = page.locator("#user-add")
    form.get_by_label("ユーザー名").fill("frank")
    form.get_by_label("役割").select_option("author")
    form.get_by_label("担当課").fill("市民課、税務課")
    form.get_by_label("パスワード").fill("frank-password")
    form.get_by_role("button", name="追加").click()
    row = page.locator("#user-frank")
    expect(row.locator("input[name=value]").first).to_have_value("市民課, 税務課")
    code, frank, _, _ = _http_login(console, "frank", "frank-password")
    assert code == 303 and _opens(console, frank)
    row.get_by_label("役割").select_option("viewer")
    row.locator("button.set-role").click()
    expect(page.locator(".flash").first).to_contain_text("frank")
    assert not _opens(console, frank)  # the role change ended frank's session
    page.locator("#user-frank button.toggle").click()
    expect(page.locator("#user-frank .state")).to_contain_text("無効")
    page.locator("#user-admin1 button.delete").click()
    expect(page.locator(".flash.error")).to_contain_text("最後の有効な管理者")
    page.locator("#user-frank button.delete").click()
    expect(page.locator("#user-frank")).to_have_count(0)
    with console.store.session() as s:
        assert s.scalar(select(ConsoleUser).where(ConsoleUser.name == "frank")) is None
        assert console_repo.get_user(s, "admin1") is not None
    assert [r.actor for r in _audit(console, "console.user_add")] == ["admin1"]
    assert [r.detail for r in _audit(console, "console.user_role")] == [{"from": "author", "to": "viewer"}]
    assert (
        len(_audit(console, "console.user_disable")) == 1 and len(_audit(console, "console.user_delete")) == 1
    )
    # a forged cross-site post without the token changes nothing
    r = page.request.post(console.url + "/users/viewer1/delete", form={"csrf": "x"}, max_redirects=0)
    assert r.status == 403
