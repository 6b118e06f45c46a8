"""Delivery against real local servers: what arrives, retries with backoff, failures without the body."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import Settings
from dxrpa.log import logger
from dxrpa.notify.config import load_for
from dxrpa.notify.events import run_events
from dxrpa.notify.hooks import after_run
from dxrpa.notify.outbox import Outbox
from dxrpa.store.base import Store
from dxrpa.store.notify_tables import NotifyOutbox
from dxrpa.store.tables import Run

from .conftest import WriteConfig, basic_config
from .rows import finished_run
from .servers import SilentPort, SmtpServer, WebhookReceiver


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", format="{message}")
    yield lines
    with contextlib.suppress(ValueError):  # the CLI's setup_logging removes every sink
        logger.remove(sink)


def _rows(store: Store) -> list[NotifyOutbox]:
    with store.session() as s:
        return list(s.scalars(select(NotifyOutbox).order_by(NotifyOutbox.id)))


def _outbox(settings: Settings, store: Store) -> Outbox:
    config = load_for(settings)
    assert config is not None
    return Outbox(config, store, settings.var_dir)


def test_partial_run_sends_one_mail_and_one_webhook(
    nsettings: Settings, store: Store, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    write_config(basic_config(smtp.port, hook.url()))
    run_id = finished_run(store, status="partial", done=7, business=2, system=1)
    report = after_run(nsettings, run_id, store)
    assert report is not None and report.sent == 2 and report.retrying == 0
    assert len(smtp.box.messages) == 1 and len(hook.hits) == 1
    mail = smtp.box.messages[0]
    assert mail["Subject"] == "【dxrpa】一部失敗: juminhyo_entry (定時実行)"
    assert smtp.box.envelopes[0] == ("rpa@city.example.lg.jp", ["shimin-kakari@city.example.lg.jp"])
    text = smtp.box.texts()[0]
    counts = "全 10 件 / 完了 7 / 業務エラー 2 / システムエラー 1"
    link = f"http://console.city.local:8080/runs/{run_id}"
    for part in ("3 件が失敗", "結果: 一部失敗", counts, "課: 市民課", f"実行 ID: {run_id}", link):
        assert part in text, text
    slack = hook.hits[0].json()
    assert set(slack) == {"text"} and "一部失敗" in slack["text"] and run_id in slack["text"]
    assert hook.hits[0].headers["Content-Type"].startswith("application/json")
    # the same run again: nothing new (one notification per run and channel)
    after_run(nsettings, run_id, store)
    assert len(smtp.box.messages) == 1 and len(hook.hits) == 1
    assert [r.status for r in _rows(store)] == ["sent", "sent"]


@pytest.mark.parametrize("kind", ["teams", "lineworks", "webhook"])
def test_webhook_shapes(
    nsettings: Settings,
    store: Store,
    smtp: SmtpServer,
    hook: WebhookReceiver,
    write_config: WriteConfig,
    kind: str,
) -> None:
    write_config(basic_config(smtp.port, hook.url(), kind=kind))
    run_id = finished_run(store, status="failed", done=0, business=0, system=3)
    after_run(nsettings, run_id, store)
    body = hook.hits[0].json()
    link = f"http://console.city.local:8080/runs/{run_id}"
    if kind == "teams":
        card = body["attachments"][0]
        assert body["type"] == "message" and card["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert card["content"]["body"][0]["text"] == "【dxrpa】失敗: juminhyo_entry (定時実行)"
        assert card["content"]["actions"][0]["url"] == link
    elif kind == "lineworks":
        assert body["title"] == "【dxrpa】失敗: juminhyo_entry (定時実行)"
        assert "システムエラー 3" in body["body"]["text"] and body["button"]["url"] == link
    else:
        assert body["facts"]["counts"]["system_error"] == 3 and body["facts"]["event"] == "run_failed"
        assert body["link"] == link


def test_robot_defect_and_succeeded_runs(
    nsettings: Settings, store: Store, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    write_config(basic_config(smtp.port, hook.url()))
    ok = finished_run(store, status="succeeded", done=5, business=0, system=0)
    defect = finished_run(store, status="failed", done=1, business=0, system=0, error_class="RobotDefect")
    assert after_run(nsettings, ok, store) is not None
    assert smtp.box.messages == []  # nothing to tell
    after_run(nsettings, defect, store)
    assert smtp.box.messages[0]["Subject"] == "【dxrpa】ロボット定義の誤り: juminhyo_entry"
    assert "定義の誤り" in smtp.box.texts()[0]


def test_smtp_refusing_is_retried_with_backoff_then_failed(
    nsettings: Settings,
    store: Store,
    smtp: SmtpServer,
    hook: WebhookReceiver,
    write_config: WriteConfig,
    log_lines: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(basic_config(smtp.port, hook.url(), backoff=0.3, attempts=3))
    smtp.box.refuse = "554 5.7.1 Message rejected: contains 【dxrpa】一部失敗"
    hook.status = 500
    run_id = finished_run(store, status="partial")
    with store.session() as s:
        before = s.get(Run, run_id)
        assert before is not None
        status_before = before.status
    report = after_run(nsettings, run_id, store)
    assert report is not None and report.retrying == 2 and report.sent == 0
    with store.session() as s:
        run = s.get(Run, run_id)
        assert run is not None and run.status == status_before  # the run is unaffected
    mail_row, hook_row = _rows(store)
    assert (mail_row.status, mail_row.attempts, mail_row.last_error) == (
        "pending",
        1,
        "SMTP 554: SMTPDataError",
    )
    assert (hook_row.status, hook_row.attempts, hook_row.last_error) == ("pending", 1, "HTTP 500")
    first_wait = (mail_row.next_attempt_at - mail_row.updated_at).total_seconds()
    assert first_wait == pytest.approx(0.3, abs=0.05)
    outbox = _outbox(nsettings, store)
    assert outbox.deliver().sent == 0  # not due yet: the backoff holds
    assert smtp.box.tries == 1 and len(hook.hits) == 1
    time.sleep(0.35)
    assert outbox.deliver().retrying == 2
    mail_row, hook_row = _rows(store)
    assert mail_row.attempts == 2
    assert (mail_row.next_attempt_at - mail_row.updated_at).total_seconds() == pytest.approx(0.6, abs=0.05)
    time.sleep(0.65)
    assert outbox.deliver().failed == 2
    assert [(r.status, r.attempts) for r in _rows(store)] == [("failed", 3), ("failed", 3)]
    assert smtp.box.tries == 3 and len(hook.hits) == 3
    # visible to an operator, in the log and in `notify status`, without the message body
    logged = "\n".join(log_lines)
    assert "failed for good after 3 attempt(s): SMTP 554" in logged and "HTTP 500" in logged
    assert main(["notify", "status", "--failed"]) == 0
    shown = capsys.readouterr().out
    assert "送信失敗 2" in shown and "SMTP 554" in shown and "HTTP 500" in shown
    for text in (logged, shown, mail_row.last_error or "", hook_row.last_error or ""):
        assert "一部失敗" not in text and "件数" not in text and "127.0.0.1" not in text
    # the relay is fixed: an operator retries the failed ones
    smtp.box.refuse, hook.status = None, 200
    assert main(["notify", "deliver", "--retry-failed"]) == 0
    assert "送信 2 件" in capsys.readouterr().out
    assert len(smtp.box.messages) == 1 and [r.status for r in _rows(store)] == ["sent", "sent"]


def test_smtp_timeout_and_connection_refused(
    nsettings: Settings, store: Store, silent: SilentPort, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    write_config(basic_config(silent.port, hook.url("/closed"), smtp_timeout=0.5))
    hook.stop()  # the webhook host is down: connection refused
    run_id = finished_run(store, status="failed", done=0)
    started = time.monotonic()
    report = after_run(nsettings, run_id, store)
    assert time.monotonic() - started < 5  # bounded by the timeouts
    assert report is not None and report.retrying == 2
    mail_row, hook_row = _rows(store)
    assert mail_row.last_error is not None and "timeout" in mail_row.last_error
    assert hook_row.last_error is not None and "connection refused" in hook_row.last_error
    # several mails due in one batch wait for one timeout, not one each
    outbox = _outbox(nsettings, store)
    more = [finished_run(store, status="failed", done=0) for _ in range(3)]
    with store.session() as s:
        events = [e for rid in more for e in run_events(s, rid)]
    ids = outbox.add(events)
    connections = len(silent.conns)
    report = outbox.deliver(ids)
    assert report.retrying == 6
    assert len(silent.conns) == connections + 1
    assert all("timeout" in (r.last_error or "") for r in _rows(store) if r.channel == "kakari-mail")


def test_rules_filter_by_robot_and_department(
    nsettings: Settings, store: Store, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    extra = """\
  - events: [run_failed]
    robots: [zeimu_import]
    channels: [zei-mail]
"""
    text = basic_config(smtp.port, hook.url(), rule_filter="    departments: [市民課]\n", extra_rules=extra)
    text = text.replace(
        "rules:\n", "  zei-mail:\n    type: mail\n    to: [zeimu@city.example.lg.jp]\nrules:\n"
    )
    write_config(text)
    shimin = finished_run(store, "juminhyo_entry", "市民課", status="failed", done=0)
    zeimu = finished_run(store, "zeimu_import", "税務課", status="failed", done=0)
    other = finished_run(store, "kokuho_check", "保険年金課", status="failed", done=0)
    for run_id in (shimin, zeimu, other):
        after_run(nsettings, run_id, store)
    rcpts = [rcpt for _, rcpt in smtp.box.envelopes]
    assert rcpts == [["shimin-kakari@city.example.lg.jp"], ["zeimu@city.example.lg.jp"]]
    assert [h.json()["text"].count("juminhyo_entry") > 0 for h in hook.hits] == [True]
    assert {(r.robot, r.channel) for r in _rows(store)} == {
        ("juminhyo_entry", "kakari-mail"), ("juminhyo_entry", "kakari-chat"), ("zeimu_import", "zei-mail"),
    }  # fmt: skip


def test_manual_runs_only_when_a_rule_asks(
    nsettings: Settings, store: Store, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    write_config(basic_config(smtp.port, hook.url()))
    manual = finished_run(store, status="failed", trigger="manual", done=0)
    with store.session() as s:
        assert [e.kind for e in run_events(s, manual)] == ["run_failed"]
    after_run(nsettings, manual, store)
    assert smtp.box.messages == []  # default triggers: schedule and now
    write_config(basic_config(smtp.port, hook.url(), triggers="[manual]"))
    after_run(nsettings, manual, store)
    assert smtp.box.messages[0]["Subject"] == "【dxrpa】失敗: juminhyo_entry (手動実行)"


def test_notify_test_command(
    smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(basic_config(smtp.port, hook.url()))
    assert main(["notify", "test"]) == 0
    assert smtp.box.messages[0]["Subject"] == "【dxrpa】通知のテスト" and len(hook.hits) == 1
    hook.status = 500
    assert main(["notify", "test", "--channel", "kakari-chat"]) == 7
    assert "kakari-chat: HTTP 500" in capsys.readouterr().out


def test_no_config_means_no_notifications(nsettings: Settings, store: Store, dx_home: Path) -> None:
    run_id = finished_run(store, status="failed")
    assert after_run(nsettings, run_id, store) is None
    assert _rows(store) == []


def test_english_messages(
    nsettings: Settings, store: Store, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    from dxrpa.i18n import set_lang

    write_config(basic_config(smtp.port, hook.url()))
    run_id = finished_run(store, status="partial", done=7, business=2, system=1)
    set_lang("en")
    after_run(nsettings, run_id, store)
    assert smtp.box.messages[0]["Subject"] == "[dxrpa] partly failed: juminhyo_entry (scheduled run)"
    text = smtp.box.texts()[0]
    assert "ended with 3 failed item(s)" in text and "status: partial" in text
    assert "department: 市民課" in text
