"""HTTP routes of the sample app (standard-library ``BaseHTTPRequestHandler``).

Robot-facing pages go through the fault switch; ``/api/*`` (tests, admin) and ``/static/*``
never do. Every page except ``/login`` needs a session cookie.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import mimetypes
import time
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jinja2

from dxrpa.log import logger

from .faults import Fault, FaultInjector, Faults
from .forms import FormData, parse_form
from .sessions import COOKIE, Draft, Session, Sessions
from .storage import APPLICATION_KEYS, NewApplication, Storage, now_tokyo
from .validation import DUPLICATE_MESSAGE, KINDS, PURPOSES, check_applicant, check_request

HERE = Path(__file__).parent
STATIC = HERE / "static"
MAX_BODY = 10 * 1024 * 1024
MAX_ATTACHMENT = 5 * 1024 * 1024
LOGIN_ERROR = "ユーザーIDまたはパスワードが違います"
APPLICANT_FIELDS = ("uketsuke_no", "name", "kana", "birth_date", "postal_code", "address", "phone")
NOTICES = (
    ("2026-12-01", "年末年始（12月29日〜1月3日）の窓口業務について"),
    ("2026-11-20", "マイナンバーカード交付窓口の混雑状況"),
    ("2026-11-10", "住民票の写し等交付申請システムの定期メンテナンス（11月28日 18時〜）"),
    ("2026-10-01", "証明書のコンビニ交付サービスの利用時間変更"),
)


def _dt(value: str) -> str:
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.filters["dt"] = _dt


@dataclass
class AppState:
    """Everything the handlers share; one per running app."""

    storage: Storage
    faults: FaultInjector
    sessions: Sessions
    users: dict[str, str]
    allow_duplicates: bool


class AppServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: AppState) -> None:
        self.state = state
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that went away mid-request (a killed robot) is normal here: no traceback."""
        logger.debug("sample app: connection from {} ended abnormally", client_address)


def _summary_rows(
    applicant: dict[str, str], request: dict[str, str], attachment_name: str
) -> list[tuple[str, str]]:
    return [
        ("受付番号", applicant["uketsuke_no"]),
        ("氏名", applicant["name"]),
        ("フリガナ", applicant["kana"]),
        ("生年月日", applicant["birth_date"]),
        ("郵便番号", applicant["postal_code"]),
        ("住所", applicant["address"]),
        ("電話番号", applicant["phone"]),
        ("請求の種類", request["kind"]),
        ("必要部数", request["copies"]),
        ("本籍・筆頭者の記載", "あり" if request.get("honseki") else "なし"),
        ("使用目的", request["purpose"]),
        ("添付書類", attachment_name or "なし"),
    ]


class Handler(BaseHTTPRequestHandler):
    """One request. Routes are dispatched by method and path in :meth:`_route`."""

    server: AppServer
    protocol_version = "HTTP/1.1"
    server_version = "SakuraCityDemo/1.0"
    timeout = 120
    session: Session | None = None
    query: dict[str, str]

    # ---- plumbing -------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: URLs may carry names (search), and the tests start many requests."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _sess(self) -> Session:
        assert self.session is not None, "route needs a session"
        return self.session

    def _handle(self, method: str) -> None:
        self.session = None  # the handler object is reused for keep-alive requests
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            if path == "/favicon.ico":  # pages declare none; never a fault or a login redirect
                return self._send(HTTPStatus.NOT_FOUND, b"", "text/plain; charset=utf-8")
            if not (path.startswith("/api/") or path.startswith("/static/")) and not self._apply_fault():
                return
            self._route(method, path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 — the sample app answers 500 for its own bugs, as a real one would
            logger.exception("sample app: error on {} {}", method, path)
            self.close_connection = True
            self._page(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "error.html",
                title="システムエラー",
                message="システムエラーが発生しました。時間をおいて再度お試しください。",
            )

    def _apply_fault(self) -> bool:
        """Draw a fault; return False when the request was answered with a 500."""
        fault, seconds = self.server.state.faults.draw()
        if fault is Fault.STALL:
            time.sleep(seconds)
        elif fault is Fault.ERROR:
            self._body()  # drain it: closing with unread data would reset the connection instead
            self.close_connection = True
            self._page(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "error.html",
                title="システムエラー",
                message="システムエラーが発生しました（500）。時間をおいて再度お試しください。",
                extra_headers={"Connection": "close"},
            )
            return False
        return True

    def _send(
        self, status: int, body: bytes, content_type: str, extra_headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _page(
        self, status: int, template: str, extra_headers: dict[str, str] | None = None, **ctx: Any
    ) -> None:
        ctx.setdefault("user", self.session.user if self.session else None)
        ctx.setdefault("title", "")
        html = _ENV.get_template(template).render(**ctx)
        self._send(status, html.encode("utf-8"), "text/html; charset=utf-8", extra_headers)

    def _redirect(self, location: str, extra_headers: dict[str, str] | None = None) -> None:
        headers = {"Location": location, **(extra_headers or {})}
        self._send(HTTPStatus.SEE_OTHER, b"", "text/plain; charset=utf-8", headers)

    def _json(self, data: Any, status: int = HTTPStatus.OK) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _form(self) -> FormData:
        return parse_form(self.headers.get("Content-Type", ""), self._body())

    def _session_token(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel else None

    # ---- routing --------------------------------------------------------------------------

    def _route(self, method: str, path: str) -> None:
        st = self.server.state
        if path.startswith("/static/"):
            return self._static(path.removeprefix("/static/"))
        if path.startswith("/api/"):
            return self._api(method, path)
        if path == "/login":
            return self._login_post() if method == "POST" else self._login_form()
        if path == "/logout":
            st.sessions.drop(self._session_token())
            return self._redirect("/login", {"Set-Cookie": f"{COOKIE}=; Path=/; Max-Age=0"})
        session = st.sessions.get(self._session_token())
        if session is None:
            if method == "POST":
                self._body()
            target = self.path if method == "GET" else "/"
            return self._redirect("/login?next=" + quote(target, safe=""))
        self.session = session
        routes = {
            ("GET", "/"): lambda: self._page(HTTPStatus.OK, "menu.html", title="業務メニュー"),
            ("GET", "/applications/new"): self._step1_form,
            ("POST", "/applications/new"): self._step1_post,
            ("GET", "/applications/new/request"): self._step2_form,
            ("POST", "/applications/new/request"): self._step2_post,
            ("GET", "/applications/new/confirm"): self._confirm_form,
            ("POST", "/applications/new/confirm"): self._confirm_post,
            ("GET", "/applications"): self._search,
            ("GET", "/notices"): lambda: self._page(HTTPStatus.OK, "notices.html", title="お知らせ"),
            ("GET", "/notices/frame"): self._notices_frame,
            ("POST", "/notices/frame/ack"): self._notices_ack,
            ("GET", "/downloads"): self._downloads,
            ("GET", "/downloads/applications.csv"): self._csv,
        }
        handler = routes.get((method, path))
        if handler is not None:
            return handler()
        if method == "GET" and path.startswith("/applications/"):
            rest = path.removeprefix("/applications/")
            if rest.endswith("/complete"):
                return self._detail(rest.removesuffix("/complete"), complete=True)
            if "/" not in rest:
                return self._detail(rest, complete=False)
        if method == "POST":
            self._body()
        self._page(
            HTTPStatus.NOT_FOUND,
            "error.html",
            title="ページが見つかりません",
            message="お探しのページは見つかりませんでした。",
        )

    # ---- static and admin API ---------------------------------------------------------------

    def _static(self, name: str) -> None:
        file = (STATIC / name).resolve()
        if STATIC.resolve() not in file.parents or not file.is_file():
            return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")
        ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith("javascript"):
            ctype += "; charset=utf-8"
        self._send(HTTPStatus.OK, file.read_bytes(), ctype)

    def _api(self, method: str, path: str) -> None:
        st = self.server.state
        if method == "GET" and path == "/api/health":
            return self._json({"ok": True})
        if method == "GET" and path == "/api/applications":
            return self._json(st.storage.applications(self.query.get("q", "")))
        if method == "GET" and path == "/api/attempts":
            return self._json(st.storage.attempts())
        if method == "GET" and path == "/api/faults":
            return self._json(st.faults.faults.to_json())
        if method == "POST" and path == "/api/faults":
            try:
                data = json.loads(self._body() or b"{}")
                if not isinstance(data, dict):
                    raise ValueError("body must be a JSON object")
                faults = Faults.from_json(data)
            except ValueError as exc:
                return self._json({"error": str(exc)}, HTTPStatus.BAD_REQUEST)
            st.faults.set(faults)
            return self._json(faults.to_json())
        if method == "POST":
            self._body()
        self._json({"error": f"no such endpoint: {method} {path}"}, HTTPStatus.NOT_FOUND)

    # ---- login ------------------------------------------------------------------------------

    def _safe_next(self, target: str) -> str:
        return target if target.startswith("/") and not target.startswith("//") else "/"

    def _login_form(self) -> None:
        self._page(
            HTTPStatus.OK,
            "login.html",
            title="ログイン",
            user=None,
            error="",
            user_id="",
            next=self._safe_next(self.query.get("next", "/")),
        )

    def _login_post(self) -> None:
        form = self._form()
        user_id, password = form.get("user_id"), form.get("password")
        expected = self.server.state.users.get(user_id)
        ok = expected is not None and hmac.compare_digest(expected.encode(), password.encode())
        if not ok:
            return self._page(
                HTTPStatus.OK,
                "login.html",
                title="ログイン",
                user=None,
                error=LOGIN_ERROR,
                user_id=user_id,
                next=self._safe_next(form.get("next", "/")),
            )
        token = self.server.state.sessions.create(user_id)
        cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
        self._redirect(self._safe_next(form.get("next", "/")), {"Set-Cookie": cookie})

    # ---- entry form -------------------------------------------------------------------------

    def _draft(self) -> Draft | None:
        return self._sess().draft

    def _step1_form(self) -> None:
        draft = self._draft()
        if self.query.get("back") and draft is not None:
            values = dict(draft.applicant)
        else:
            self._sess().draft = None
            values = {}
        self._page(
            HTTPStatus.OK,
            "step1.html",
            title="新規申請（申請者）",
            values=values,
            errors={},
            business_error=None,
        )

    def _step1_post(self) -> None:
        form = self._form()
        values = {k: form.get(k) for k in APPLICANT_FIELDS}
        errors = check_applicant(values)
        st = self.server.state
        business_error = None
        if not errors and not st.allow_duplicates and st.storage.exists(values["uketsuke_no"]):
            st.storage.record_attempt(values["uketsuke_no"], "step1", "duplicate", self._sess().user)
            business_error = DUPLICATE_MESSAGE
        if errors or business_error:
            return self._page(
                HTTPStatus.OK,
                "step1.html",
                title="新規申請（申請者）",
                values=values,
                errors=errors,
                business_error=business_error,
            )
        draft = self._draft() or Draft()
        draft.applicant = values
        self._sess().draft = draft
        self._redirect("/applications/new/request")

    def _step2_form(self) -> None:
        draft = self._draft()
        if draft is None or not draft.applicant:
            return self._redirect("/applications/new")
        values = dict(draft.request or {"copies": "1"})
        self._step2_page(values, {}, draft)

    def _step2_page(self, values: dict[str, str], errors: dict[str, str], draft: Draft) -> None:
        self._page(
            HTTPStatus.OK,
            "step2.html",
            title="新規申請（請求内容）",
            values=values,
            errors=errors,
            kinds=KINDS,
            purposes=PURPOSES,
            attachment_name=draft.attachment_name,
        )

    def _step2_post(self) -> None:
        form = self._form()
        draft = self._draft()
        if draft is None or not draft.applicant:
            return self._redirect("/applications/new")
        values = {k: form.get(k) for k in ("kind", "copies", "purpose", "honseki")}
        errors = check_request(values)
        upload = form.files.get("attachment")
        if upload is not None and len(upload.content) > MAX_ATTACHMENT:
            errors["attachment"] = "添付書類は5MBまでです"
        if errors:
            return self._step2_page(values, errors, draft)
        if upload is not None:
            draft.attachment_name, draft.attachment = upload.filename, upload.content
        draft.request = values
        self._redirect("/applications/new/confirm")

    def _confirm_form(self, business_error: str | None = None) -> None:
        draft = self._draft()
        if draft is None or not draft.applicant:
            return self._redirect("/applications/new")
        if draft.request is None:
            return self._redirect("/applications/new/request")
        rows = _summary_rows(draft.applicant, draft.request, draft.attachment_name)
        self._page(
            HTTPStatus.OK,
            "confirm.html",
            title="新規申請（確認）",
            rows=rows,
            draft_id=draft.id,
            business_error=business_error,
        )

    def _confirm_post(self) -> None:
        form = self._form()
        draft = self._draft()
        if draft is None or draft.request is None or form.get("draft") != draft.id:
            return self._page(
                HTTPStatus.CONFLICT,
                "error.html",
                title="入力内容が見つかりません",
                message="入力内容が見つかりません（登録済みか、有効期限切れです）。最初からやり直してください。",
            )
        a, r = draft.applicant, draft.request
        new = NewApplication(
            uketsuke_no=a["uketsuke_no"],
            name=a["name"],
            kana=a["kana"],
            birth_date=a["birth_date"],
            postal_code=a["postal_code"],
            address=a["address"],
            phone=a["phone"],
            kind=r["kind"],
            copies=int(r["copies"]),
            honseki=bool(r.get("honseki")),
            purpose=r["purpose"],
            attachment_name=draft.attachment_name,
            attachment=draft.attachment,
        )
        st = self.server.state
        receipt = st.storage.insert(new, self._sess().user, allow_duplicates=st.allow_duplicates)
        if receipt is None:
            return self._confirm_form(business_error=DUPLICATE_MESSAGE)
        self._sess().draft = None
        if st.faults.lose_response_after_save():
            self.close_connection = True
            return self._page(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "error.html",
                title="システムエラー",
                message="システムエラーが発生しました（500）。時間をおいて再度お試しください。",
                extra_headers={"Connection": "close"},
            )
        self._redirect(f"/applications/{quote(receipt)}/complete")

    # ---- search, detail ---------------------------------------------------------------------

    def _search(self) -> None:
        q = self.query.get("q", "")
        results = self.server.state.storage.applications(q)
        self._page(HTTPStatus.OK, "search.html", title="申請検索", q=q, results=results)

    def _detail(self, receipt: str, *, complete: bool) -> None:
        app = self.server.state.storage.get(receipt)
        if app is None:
            return self._page(
                HTTPStatus.NOT_FOUND,
                "error.html",
                title="申請が見つかりません",
                message=f"交付番号 {receipt} の申請は見つかりませんでした。",
            )
        if complete:
            return self._page(HTTPStatus.OK, "complete.html", title="登録完了", app=app)
        rows = [(k, app[k]) for k in APPLICATION_KEYS if k not in ("id", "交付番号", "添付書類サイズ")]
        rows = [
            (k, ("あり" if v else "なし") if isinstance(v, bool) else (_dt(v) if k == "登録日時" else v))
            for k, v in rows
        ]
        self._page(HTTPStatus.OK, "detail.html", title="申請詳細", app=app, rows=rows)

    # ---- notices (iframe) and downloads -----------------------------------------------------

    def _notices_frame(self) -> None:
        keyword = self.query.get("keyword", "").strip()
        notices = [n for n in NOTICES if keyword in n[1]]
        self._page(
            HTTPStatus.OK,
            "notices_frame.html",
            keyword=keyword,
            notices=notices,
            acked=self._sess().acked_notices,
        )

    def _notices_ack(self) -> None:
        self._body()
        self._sess().acked_notices = True
        self._redirect("/notices/frame")

    def _downloads(self) -> None:
        count = len(self.server.state.storage.applications())
        self._page(HTTPStatus.OK, "downloads.html", title="帳票ダウンロード", count=count)

    def _csv(self) -> None:
        rows = self.server.state.storage.applications()
        columns = [k for k in APPLICATION_KEYS if k not in ("id", "添付書類サイズ")]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(
                [("あり" if r[c] else "なし") if isinstance(r[c], bool) else r[c] for c in columns]
            )
        cp932 = self.query.get("encoding", "").lower() in ("cp932", "shift_jis", "sjis")
        body = (
            buf.getvalue().encode("cp932", errors="replace") if cp932 else buf.getvalue().encode("utf-8-sig")
        )
        stamp = now_tokyo().strftime("%Y%m%d")
        disposition = (
            f'attachment; filename="applications_{stamp}.csv"; '
            f"filename*=UTF-8''{quote(f'申請一覧_{stamp}.csv')}"
        )
        charset = "shift_jis" if cp932 else "utf-8"
        self._send(HTTPStatus.OK, body, f"text/csv; charset={charset}", {"Content-Disposition": disposition})
