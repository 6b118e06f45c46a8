"""CLI of the web console: ``dxrpa serve`` and ``dxrpa users add|list|disable``."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table

from dxrpa.app import open_app
from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.store import audit_repo, console_repo
from dxrpa.store.console_tables import ROLES

console = Console()
users_app = typer.Typer(help="Web コンソールの利用者 / web console users", no_args_is_help=True)
MIN_PASSWORD = 8


def _read_password(stdin: bool) -> str:
    if stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(tr("パスワード", "password"), hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise UsageError(
            tr(
                f"パスワードは {MIN_PASSWORD} 文字以上にしてください",
                f"passwords need at least {MIN_PASSWORD} characters",
            )
        )
    return password


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="ユーザー名 / user name"),
    role: str = typer.Option("viewer", "--role", help=" | ".join(ROLES)),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="パスワードを標準入力から読む / read it from stdin"
    ),
) -> None:
    """利用者を追加 (パスワードは入力を求めます) / add a user (the password is prompted for)."""
    from dxrpa.console.auth import hash_password

    if role not in ROLES:
        raise UsageError(tr(f"役割 '{role}' はありません", f"unknown role '{role}'"), hint=" | ".join(ROLES))
    password = _read_password(password_stdin)
    app = open_app()
    try:
        with app.store.session() as s:
            console_repo.add_user(s, name, role, hash_password(password), by=audit_repo.current_actor())
            audit_repo.append(s, "", "console.user_add", name, {"role": role})
    finally:
        app.close()
    console.print(tr(f"利用者 {name} ({role}) を追加しました", f"user {name} ({role}) added"))


@users_app.command("list")
def users_list() -> None:
    """利用者の一覧 / list users."""
    app = open_app()
    try:
        with app.store.session() as s:
            rows = console_repo.list_users(s)
            table = Table(
                tr("利用者", "user"),
                tr("役割", "role"),
                tr("状態", "state"),
                tr("最終ログイン", "last login"),
            )
            for u in rows:
                table.add_row(
                    u.name,
                    u.role,
                    tr("無効", "disabled") if u.disabled else tr("有効", "active"),
                    u.last_login_at.astimezone().strftime("%Y-%m-%d %H:%M") if u.last_login_at else "-",
                )
    finally:
        app.close()
    console.print(table)


@users_app.command("disable")
def users_disable(name: str = typer.Argument(..., help="ユーザー名 / user name")) -> None:
    """利用者を無効にする (すぐにログアウトされます) / disable a user (their session stops at once)."""
    app = open_app()
    try:
        with app.store.session() as s:
            console_repo.set_disabled(s, name, True)
            audit_repo.append(s, "", "console.user_disable", name, {})
    finally:
        app.close()
    console.print(tr(f"利用者 {name} を無効にしました", f"user {name} disabled"))


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="待ち受けるアドレス / address to listen on"),
    port: int = typer.Option(8765, "--port", min=0, max=65535),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="HTTPS の背後で Secure 属性を付ける / behind HTTPS"
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
    web = create_app(app.settings, app.store, secure_cookies=secure_cookies, trust_header=header or "")
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
    app.command("serve")(serve)
