"""``dxrpa notify …``: check the notification config, send a test, see and retry the outbox."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import typer

from dxrpa.app import open_app
from dxrpa.cli.printing import line, plain_console, styled
from dxrpa.config import Settings
from dxrpa.errors import ConfigError, DependencyMissing, UsageError
from dxrpa.i18n import tr
from dxrpa.notify.channels import DeliveryFailed, Senders
from dxrpa.notify.config import NotifyConfig, config_path, load_notify_config
from dxrpa.notify.events import review_events
from dxrpa.notify.messages import render
from dxrpa.notify.outbox import Outbox
from dxrpa.store import notify_repo

console = plain_console(soft_wrap=True, highlight=False)
notify_app = typer.Typer(
    help="通知(メール・Teams・LINE WORKS・Slack)の確認・テスト・送信状況 / notifications",
    no_args_is_help=True,
)
_STATUS = {"pending": ("送信待ち", "pending"), "sending": ("送信中", "sending"), "sent": ("送信済み", "sent"),
           "failed": ("送信失敗", "failed")}  # fmt: skip
_COLOUR = {"failed": "red", "sent": "green"}


def _load(settings: Settings) -> NotifyConfig:
    path = config_path(settings)
    if not path.is_file():
        raise ConfigError(
            tr(f"{path}: 通知の設定ファイルがありません", f"{path}: no notification config"),
            hint=tr(
                "configs/notify.example.yaml を configs/notify.yaml にコピーして書き換えてください",
                "copy configs/notify.example.yaml to configs/notify.yaml and edit it",
            ),
        )
    return load_notify_config(path)


@notify_app.command("check")
def check_command() -> None:
    """設定ファイルを検査します / check configs/notify.yaml."""
    settings = open_app().settings
    config = _load(settings)
    console.print(
        tr(
            f"{config_path(settings)}: 問題ありません"
            f" (チャンネル {len(config.channels)}、ルール {len(config.rules)})",
            f"{config_path(settings)}: OK ({len(config.channels)} channels, {len(config.rules)} rules)",
        )
    )


@notify_app.command("test")
def test_command(
    channel: str = typer.Option(None, "--channel", help="only this channel (default: every channel)"),
) -> None:
    """各チャンネルに試験通知を送ります / send a test notification to each channel."""
    app = open_app()
    config = _load(app.settings)
    names = [channel] if channel else list(config.channels)
    if channel and channel not in config.channels:
        raise UsageError(
            tr(f"チャンネル '{channel}' は設定にありません", f"no channel '{channel}' in the config"),
            hint=tr("使えるチャンネル: ", "channels: ") + ", ".join(config.channels),
        )
    facts = {"event": "test"}
    msg = render(facts, config.link("/"))
    senders = Senders(config, app.settings.var_dir)
    failed = 0
    try:
        for name in names:
            try:
                senders.send(config.channels[name], msg, facts)
                console.print(styled(tr(f"送信しました: {name}", f"sent: {name}"), "green"))
            except DeliveryFailed as exc:
                failed += 1
                console.print(styled(tr(f"送信できません: {name}: {exc}", f"not sent: {name}: {exc}"), "red"))
    finally:
        senders.close()
    if failed:
        raise DependencyMissing(
            tr(f"{failed} 件のチャンネルに送れませんでした", f"{failed} channel(s) could not be reached"),
            hint=tr(
                "SMTP サーバー・Webhook の URL とネットワークを確認してください",
                "check the SMTP server, URLs and network",
            ),
        )


@notify_app.command("status")
def status_command(
    failed: bool = typer.Option(False, "--failed", help="only notifications that failed for good"),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
) -> None:
    """送信状況(送信待ち・送信済み・失敗と理由)/ the outbox: pending, sent, failed and why."""
    app = open_app()
    tz = ZoneInfo(app.settings.timezone)
    with app.store.session() as s:
        counts = notify_repo.counts(s)
        rows = notify_repo.recent(s, status="failed" if failed else None, limit=limit)
        lines = []
        for r in rows:
            ja, en = _STATUS.get(r.status, (r.status, r.status))
            when = f"{r.created_at.astimezone(tz):%m-%d %H:%M}"
            lines.append(
                line(
                    f"#{r.id} {when} {r.event} {r.robot or '-'} → {r.channel} ",
                    styled(
                        tr(ja, en), "red" if r.status == "failed" else "green" if r.status == "sent" else ""
                    ),
                    tr(f" ({r.attempts} 回)", f" ({r.attempts} tries)"),
                    f" {r.last_error}" if r.last_error and r.status != "sent" else "",
                )
            )
    summary = "  ".join(f"{tr(*_STATUS.get(k, (k, k)))} {n}" for k, n in sorted(counts.items()))
    console.print(summary or tr("通知はまだありません", "no notifications yet"))
    for text in lines:
        console.print(text)


@notify_app.command("deliver")
def deliver_command(
    retry_failed: bool = typer.Option(False, "--retry-failed", help="try failed notifications again"),
) -> None:
    """送信待ちの通知を今送ります(スケジューラを使わない場合は定期的に実行)/ deliver due notifications now."""
    app = open_app()
    config = _load(app.settings)
    with app.store.session() as s:
        if retry_failed:
            notify_repo.retry_failed(s)
        events = review_events(s, age_hours=config.review_age_hours)
    outbox = Outbox(config, app.store, app.settings.var_dir)
    outbox.add(events)
    report = outbox.deliver()
    console.print(
        tr(
            f"送信 {report.sent} 件、再試行待ち {report.retrying} 件、失敗 {report.failed} 件",
            f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}",
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")
