"""End to end in real Chromium: a partly failed scheduled run (the scheduler's child process) and a
manual `dxrpa run` send one mail and one webhook with counts and no personal data; a refusing
SMTP relay and a failing webhook leave the run's outcome and exit code untouched."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import Settings
from dxrpa.demo.webapp import SampleApp, start_app
from dxrpa.errors import ExitCode
from dxrpa.store.base import Store
from dxrpa.store.notify_tables import NotifyOutbox
from dxrpa.store.tables import Run
from tests.conftest import require_chromium

from .conftest import WriteConfig, basic_config
from .servers import SmtpServer, WebhookReceiver

MY_NUMBER = "123456789018"
NAME = "山田太郎"
ROBOT = """\
name: juminhyo_check
title: 住民票の受付確認(テスト)
department: 市民課
baseline: {minutes_per_item: 1}
env: [APP_URL]
data:
  csv: data/uketsuke.csv
  key: 受付番号
item:
  - goto: "{{ env.APP_URL }}/login"
  - expect: {text: "{{ item.期待 }}", business_error: 画面が違います}
    timeout_ms: 1500
retries: 0
"""


@pytest.fixture
def sample_app(tmp_path: Path) -> Iterator[SampleApp]:
    app = start_app(tmp_path / "app.sqlite", allow_duplicates=True)
    yield app
    app.stop()


@pytest.fixture
def robot(dx_home: Path, sample_app: SampleApp, monkeypatch: pytest.MonkeyPatch) -> str:
    require_chromium()
    monkeypatch.setenv("APP_URL", sample_app.url)
    (dx_home / "robots").mkdir()
    (dx_home / "robots" / "juminhyo_check.yaml").write_text(ROBOT, encoding="utf-8")
    (dx_home / "data").mkdir()
    rows = (
        f"受付番号,氏名,個人番号,期待\r\n900001,{NAME},{MY_NUMBER},ログイン\r\n"
        "900002,鈴木花子,876543210008,表示されない文言\r\n"
    )
    (dx_home / "data" / "uketsuke.csv").write_text(rows, encoding="utf-8")
    assert main(["robots", "register", "robots/juminhyo_check.yaml"]) == 0
    return "juminhyo_check"


def _scheduled_run(robot: str) -> tuple[str, int]:
    """The scheduler's own child process, exactly as the executor starts it."""
    run_id = uuid.uuid4().hex
    cmd = [sys.executable, "-m", "dxrpa.scheduler.child", "--robot", robot, "--run-id", run_id]
    proc = subprocess.run([*cmd, "--trigger", "schedule"], env=dict(os.environ), timeout=180, check=False)
    return run_id, proc.returncode


def _no_pii(*texts: str | bytes) -> None:
    for text in texts:
        raw = text.encode() if isinstance(text, str) else text
        for needle in (MY_NUMBER, "1234-5678-9018", NAME, "鈴木花子", "876543210008"):
            assert needle.encode() not in raw, f"personal data {needle!r} in a notification"


def test_scheduled_partial_run_notifies_without_personal_data(
    robot: str, settings: Settings, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    write_config(basic_config(smtp.port, hook.url(), kind="teams"))
    run_id, code = _scheduled_run(robot)
    assert code == ExitCode.ITEMS_FAILED
    assert len(smtp.box.messages) == 1 and len(hook.hits) == 1
    text = smtp.box.texts()[0]
    assert smtp.box.messages[0]["Subject"] == f"【dxrpa】一部失敗: {robot} (定時実行)"
    assert "全 2 件 / 完了 1 / 業務エラー 1 / システムエラー 0" in text and run_id in text
    card = hook.hits[0].json()["attachments"][0]["content"]
    assert any("業務エラー 1" in block["text"] for block in card["body"])
    _no_pii(smtp.box.texts()[0], smtp.box.messages[0].as_bytes(), hook.hits[0].body.decode("utf-8"))


def test_refusing_relay_and_failing_webhook_leave_the_run_alone(
    robot: str, settings: Settings, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    write_config(basic_config(smtp.port, hook.url(), backoff=60))
    smtp.box.refuse, hook.status = "554 5.7.1 relay refused", 500
    run_id, code = _scheduled_run(robot)
    assert code == ExitCode.ITEMS_FAILED  # the same exit code as with working delivery
    store = Store(settings.db_url, key_dir=settings.var_dir)
    try:
        with store.session() as s:
            run = s.get(Run, run_id)
            assert run is not None
            assert (run.status, run.items_done, run.items_business_error) == ("partial", 1, 1)
            rows = list(s.scalars(select(NotifyOutbox).order_by(NotifyOutbox.id)))
    finally:
        store.dispose()
    assert [(r.channel, r.status, r.attempts, r.last_error) for r in rows] == [
        ("kakari-mail", "pending", 1, "SMTP 554: SMTPDataError"),
        ("kakari-chat", "pending", 1, "HTTP 500"),
    ]
    assert smtp.box.tries == 1 and smtp.box.messages == []
    _no_pii(hook.hits[0].body)


def test_manual_cli_run_notifies_when_the_rule_takes_manual_runs(
    robot: str, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    write_config(basic_config(smtp.port, hook.url(), triggers="[manual]"))
    assert main(["run", robot]) == ExitCode.ITEMS_FAILED
    assert len(smtp.box.messages) == 1 and len(hook.hits) == 1
    assert smtp.box.messages[0]["Subject"] == f"【dxrpa】一部失敗: {robot} (手動実行)"
    _no_pii(smtp.box.texts()[0], smtp.box.messages[0].as_bytes(), hook.hits[0].body.decode("utf-8"))
