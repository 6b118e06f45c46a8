"""CLI of the web console: ``dxrpa serve`` and ``dxrpa users add|list|passwd|role|departments|enable|
disable|delete`` (also as ``dxrpa console user …``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from dxrpa.app import open_app
from dxrpa.cli.printing import plain_console
from dxrpa.cli.timefmt import local
from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.store import audit_repo, console_repo
from dxrpa.store.console_tables import ROLES

if TYPE_CHECKING:
    from dxrpa.console.users import Action

console = plain_console()
users_app = typer.Typer(help="Web コンソールの利用者 / web console users", no_args_is_help=True)
console_app = typer.Typer(help="Web コンソール / web console", no_args_is_help=True)
NAME = typer.Argument(..., help="ユーザー名 / user name")
STDIN = typer.Option(False, "--password-stdin", help="パスワードを標準入力から読む / read it from stdin")
DEPARTMENTS = typer.Option(
    [], "--department", "-d", help="担当課 (繰り返し可、なし = すべて) / department (repeatable; none = all)"
)


def _read_password(stdin: bool) -> str:
    from dxrpa.console.users import check_password

    if stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(tr("パスワード", "password"), hide_input=True, confirmation_prompt=True)
    return check_password(password)


def _change(name: str, action: Action, value: str = "") -> None:
    from dxrpa.console.users import change

    with open_app() as app:
        message = change(app.store, audit_repo.current_actor(), name, action, value)
    console.print(message)


@users_app.command("add")
def users_add(
    name: str = NAME,
    role: str = typer.Option("viewer", "--role", help=" | ".join(ROLES)),
    password_stdin: bool = STDIN,
    department: list[str] = DEPARTMENTS,
) -> None:
    """利用者を追加 (パスワードは入力を求めます) / add a user (the password is prompted for)."""
    from dxrpa.console.users import add

    if role not in ROLES:
        raise UsageError(tr(f"役割 '{role}' はありません", f"unknown role '{role}'"), hint=" | ".join(ROLES))
    password = _read_password(password_stdin)
    with open_app() as app:
        add(app.store, audit_repo.current_actor(), name, role, password, list(department))
    console.print(tr(f"利用者 {name} ({role}) を追加しました", f"user {name} ({role}) added"))


@users_app.command("list")
def users_list() -> None:
    """利用者の一覧 / list users."""
    with open_app() as app, app.store.session() as s:
        rows = console_repo.list_users(s)
        table = Table(
            tr("利用者", "user"),
            tr("役割", "role"),
            tr("担当課", "departments"),
            tr("状態", "state"),
            tr("最終ログイン", "last login"),
        )
        for u in rows:
            table.add_row(
                u.name,
                u.role,
                "、".join(u.departments or []) or tr("すべて", "all"),
                tr("無効", "disabled") if u.disabled else tr("有効", "active"),
                local(u.last_login_at, app.settings.timezone),
            )
    console.print(table)


@users_app.command("passwd")
def users_passwd(name: str = NAME, password_stdin: bool = STDIN) -> None:
    """パスワードを変更 (その利用者はログアウトされます) / set a new password (ends their sessions)."""
    _change(name, "passwd", _read_password(password_stdin))


@users_app.command("role")
def users_role(name: str = NAME, role: str = typer.Argument(..., help=" | ".join(ROLES))) -> None:
    """役割を変更 (その利用者はログアウトされます) / change the role (ends their sessions)."""
    _change(name, "role", role)


@users_app.command("departments")
def users_departments(name: str = NAME, department: list[str] = DEPARTMENTS) -> None:
    """担当課を設定 (なし = すべての課) / set the departments (none = all)."""
    _change(name, "departments", ",".join(department))


@users_app.command("enable")
def users_enable(name: str = NAME) -> None:
    """利用者を有効にする / enable a user."""
    _change(name, "enable")


@users_app.command("disable")
def users_disable(name: str = NAME) -> None:
    """利用者を無効にする (すぐにログアウトされます) / disable a user (their session stops at once)."""
    _change(name, "disable")


@users_app.command("delete")
def users_delete(name: str = NAME) -> None:
    """利用者を削除 (最後の管理者は削除できません) / delete a user (not the last admin)."""
    _change(name, "delete")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="待ち受けるアドレス / address to listen on"),
    port: int = typer.Option(8765, "--port", min=0, max=65535),
    secure_cookies: bool | None = typer.Option(
        None,
        "--secure-cookies/--no-secure-cookies",
        help="Cookie の Secure 属性と HSTS (既定: localhost 以外で待ち受けるときは有効) / Secure cookies "
        "and HSTS (default: on unless listening on localhost)",
    ),
    trust_header: str = typer.Option(
        "", "--trust-header", help="リバースプロキシの利用者ヘッダを信頼 / trust this proxy user header (SSO)"
    ),
) -> None:
    """Web コンソールを起動 / run the web console."""
    import os

    import uvicorn

    from dxrpa.console import create_app
    from dxrpa.console.app import TRUST_HEADER_ENV

    # read (and hide) the proxy-header switch first: the settings loader refuses unknown DXRPA_* names
    header = trust_header or os.environ.pop(TRUST_HEADER_ENV, "") or None
    app = open_app()
    web = create_app(
        app.settings, app.store, secure_cookies=secure_cookies, trust_header=header or "", host=host
    )
    if web.state.console.secure:
        console.print(
            tr(
                "Cookie は Secure です: HTTPS (リバースプロキシ) 経由で開いてください。"
                "HTTP のままなら --no-secure-cookies",
                "cookies are Secure: open the console through HTTPS (a reverse proxy), "
                "or pass --no-secure-cookies for plain HTTP",
            )
        )
    console.print(
        tr(
            f"Web コンソール: http://{host}:{port}/  (Ctrl+C で停止)",
            f"web console: http://{host}:{port}/  (Ctrl+C stops it)",
        )
    )
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        app.close()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(users_app, name="users")
    console_app.add_typer(users_app, name="user")
    app.add_typer(console_app, name="console")
    app.command("serve")(serve)
