"""``dxrpa secrets …`` and ``dxrpa audit …``: manage robot secrets, read and verify the audit chain."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from dxrpa.app import App, open_app
from dxrpa.cli.printing import plain_console
from dxrpa.engine import secrets as sec
from dxrpa.errors import IntegrityError, UsageError
from dxrpa.i18n import tr
from dxrpa.store import audit_repo

console = plain_console(soft_wrap=True, highlight=False)
secrets_app = typer.Typer(
    help="シークレット(パスワード等)の登録・一覧・削除 / store robot secrets (passwords, tokens)",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="監査ログの一覧・改ざん検証・署名 / list, verify and anchor the audit log", no_args_is_help=True
)


@contextmanager
def _app() -> Iterator[App]:
    with open_app() as app:
        yield app


def _read_value(name: str, from_env: str | None) -> str:
    """The secret value from ``--from-env``, piped stdin, or a hidden prompt (never echoed)."""
    if from_env:
        value = os.environ.get(from_env, "")
        if not value:
            raise UsageError(
                tr(
                    f"環境変数 {from_env} が設定されていません", f"environment variable {from_env} is not set"
                ),
                hint=tr(f"{from_env} に値を入れてから実行してください", f"export {from_env} first"),
            )
        return value
    if not sys.stdin.isatty():
        return sys.stdin.read().rstrip("\r\n")
    prompted: str = typer.prompt(
        tr(f"{name} の値", f"value of {name}"),
        hide_input=True,
        confirmation_prompt=tr("もう一度入力してください", "repeat for confirmation"),
    )
    return prompted


@secrets_app.command("set")
def secrets_set(
    name: str = typer.Argument(..., help="シークレット名 / secret name (e.g. PORTAL_PASSWORD)"),
    from_env: str | None = typer.Option(
        None, "--from-env", metavar="VAR", help="値を環境変数から読む / read the value from this env var"
    ),
    use_keyring: bool = typer.Option(
        False, "--keyring", help="OS のキーリングに保存 / store in the OS keyring instead of the file"
    ),
    unit: str | None = typer.Option(
        None, "--unit", help="共有ロボットの区ごとの値 / this 区's own value (NAME@区)"
    ),
) -> None:
    """Store a secret (prompted without echo, or piped on stdin, or --from-env VAR)."""
    sec.check_name(name)
    if unit:
        name = f"{name}@{unit.strip()}"
        sec.check_name(name)
    value = _read_value(name, from_env)
    if not value:
        raise UsageError(tr(f"シークレット「{name}」の値が空です", f"secret '{name}': empty value"))
    with _app() as app:
        if use_keyring:
            sec.keyring_set(name, value)
            where = "keyring"
        else:
            sec.FileSecretStore(app.settings.var_dir).set(name, value)
            where = "file"
        with app.store.session() as s:
            audit_repo.append(s, "", "secret.set", name, {"store": where})
        target = (
            tr("OS のキーリング", "the OS keyring")
            if use_keyring
            else str(app.settings.var_dir / sec.STORE_FILE)
        )
    console.print(
        tr(f"シークレット「{name}」を {target} に保存しました", f"secret '{name}' stored in {target}")
    )


@secrets_app.command("list")
def secrets_list() -> None:
    """Names in the encrypted file store (never values)."""
    with _app() as app:
        names = sec.FileSecretStore(app.settings.var_dir).names()
    if not names:
        console.print(tr("登録済みのシークレットはありません", "no secrets stored"))
        return
    for name in names:
        console.print(name, highlight=False)
    if sec.keyring_available():
        console.print(
            tr(
                "(OS のキーリングに保存したものは一覧に出ません)",
                "(secrets kept in the OS keyring are not listed)",
            )
        )


@secrets_app.command("delete")
def secrets_delete(name: str = typer.Argument(..., help="シークレット名 / secret name")) -> None:
    """Remove a secret from the file store and the OS keyring."""
    with _app() as app:
        removed = [
            where
            for where, gone in (
                ("file", sec.FileSecretStore(app.settings.var_dir).delete(name)),
                ("keyring", sec.keyring_delete(name)),
            )
            if gone
        ]
        if not removed:
            raise UsageError(
                tr(f"シークレット「{name}」は登録されていません", f"secret '{name}' is not stored"),
                hint=tr("`dxrpa secrets list` で名前を確認してください", "see `dxrpa secrets list`"),
            )
        with app.store.session() as s:
            audit_repo.append(s, "", "secret.deleted", name, {"store": ",".join(removed)})
    console.print(tr(f"シークレット「{name}」を削除しました", f"secret '{name}' deleted"))


def _read_anchor(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(
            tr(f"アンカーファイル {path} を読めません", f"cannot read the anchor file {path}"),
            hint=tr(
                "`dxrpa audit anchor -o FILE` またはレポートと一緒に出力した .anchor.json を指定してください",
                "give a file from `dxrpa audit anchor -o FILE` or a report's .anchor.json",
            ),
        ) from exc
    if not isinstance(data, dict):
        raise UsageError(tr(f"{path} はアンカーファイルではありません", f"{path} is not an anchor file"))
    return data


@audit_app.command("verify")
def audit_verify(
    anchor: Path | None = typer.Option(
        None,
        "--anchor",
        metavar="FILE",
        help="署名済みの最新行と照合 / also check against a signed head (from `audit anchor`)",
    ),
) -> None:
    """Recompute the keyed chain; exit 12 naming the first row altered, recomputed or removed,
    or a tail cut off since ``--anchor`` was signed."""
    signed = _read_anchor(anchor) if anchor is not None else None
    with _app() as app, app.store.session() as s:
        result = audit_repo.verify(s, anchor=signed)
    if not result.ok:
        raise IntegrityError(
            result.message,
            hint=tr(
                "バックアップと照合し、情報セキュリティ担当者に報告してください",
                "compare with a backup and report it to your security officer",
            ),
        )
    console.print(result.message, highlight=False)
    if result.head_hash:
        console.print(
            tr(f"最新行のハッシュ: {result.head_hash}", f"head hash: {result.head_hash}"),
            highlight=False,
        )


@audit_app.command("anchor")
def audit_anchor(
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="書き出し先(省略時は標準出力) / file (default: stdout)"
    ),
) -> None:
    """Export the current head (row id, count, hash, time) signed with the audit key."""
    with _app() as app, app.store.session() as s:
        if output is None:
            typer.echo(json.dumps(audit_repo.make_anchor(s), ensure_ascii=False))
            return
        audit_repo.write_anchor(s, output)
    console.print(
        tr(f"署名済みの最新行を {output} に書き出しました", f"signed head written to {output}"),
        highlight=False,
    )


@audit_app.command("rekey")
def audit_rekey() -> None:
    """Re-hash rows written before the chain was keyed (needed once with DXRPA_AUDIT_KEY)."""
    with _app() as app, app.store.session() as s:
        n = audit_repo.rekey(s, app.store.audit_key())
    console.print(tr(f"鍵なしの行 {n} 行を鍵付きにしました", f"re-keyed {n} unkeyed rows"), highlight=False)


def _parse_since(value: str | None, tz: ZoneInfo) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            tr(f"--since の日時「{value}」を読めません", f"--since: cannot read '{value}'"),
            hint=tr(
                "例: --since 2026-11-01 または 2026-11-01T09:00",
                "e.g. --since 2026-11-01 or 2026-11-01T09:00",
            ),
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=tz)


@audit_app.command("list")
def audit_list(
    since: str | None = typer.Option(None, "--since", help="この日時以降 / from this date (e.g. 2026-11-01)"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="最大件数 / at most this many rows"),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines で出力 / print JSON lines"),
) -> None:
    """Audit rows in order, times in the office time zone."""
    with _app() as app:
        tz = ZoneInfo(app.settings.timezone)
        with app.store.session() as s:
            rows = audit_repo.list_rows(s, _parse_since(since, tz), limit=limit)
    if as_json:
        for r in rows:
            line = {
                "id": r.id,
                "at": r.at.astimezone(tz).isoformat(),
                "actor": r.actor,
                "action": r.action,
                "subject": r.subject,
                "detail": r.detail,
                "hash": r.hash,
            }
            typer.echo(json.dumps(line, ensure_ascii=False))
        return
    table = Table(show_lines=False)
    for header in (
        "#",
        tr("日時", "at"),
        tr("実行者", "actor"),
        tr("操作", "action"),
        tr("対象", "subject"),
        tr("詳細", "detail"),
    ):
        table.add_column(header)
    for r in rows:
        table.add_row(
            str(r.id),
            r.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            r.actor,
            r.action,
            r.subject,
            json.dumps(r.detail, ensure_ascii=False) if r.detail else "",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``secrets`` and ``audit`` sub-commands to the root app."""
    app.add_typer(secrets_app, name="secrets")
    app.add_typer(audit_app, name="audit")
