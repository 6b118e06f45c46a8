"""Fixtures: a dxrpa home with a store, real SMTP/webhook servers, and a notify.yaml writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dxrpa.config import Settings, load_settings
from dxrpa.store.base import Store

from .servers import SilentPort, SmtpServer, WebhookReceiver


@pytest.fixture
def nsettings(dx_home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def store(nsettings: Settings) -> Iterator[Store]:
    st = Store(nsettings.db_url, key_dir=nsettings.var_dir)
    st.upgrade()
    yield st
    st.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def silent() -> Iterator[SilentPort]:
    port = SilentPort()
    yield port
    port.stop()


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


WriteConfig = Callable[..., Path]


@pytest.fixture
def write_config(dx_home: Path) -> WriteConfig:
    def _write(text: str) -> Path:
        path = dx_home / "configs" / "notify.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def basic_config(smtp_port: int, hook_url: str, *, kind: str = "slack", extra_rules: str = "",
                 backoff: float = 0.2, attempts: int = 3, smtp_timeout: float = 5.0,
                 rule_filter: str = "", triggers: str = "[schedule, now]") -> str:  # fmt: skip
    return f"""\
console_url: http://console.city.local:8080/
smtp:
  host: 127.0.0.1
  port: {smtp_port}
  sender: rpa@city.example.lg.jp
  timeout_seconds: {smtp_timeout}
delivery:
  max_attempts: {attempts}
  backoff_seconds: {backoff}
  max_backoff_seconds: 10
  timeout_seconds: 2
channels:
  kakari-mail:
    type: mail
    to: [shimin-kakari@city.example.lg.jp]
  kakari-chat:
    type: {kind}
    url: {hook_url}
rules:
  - name: 市民課の失敗
    events: [run_failed, run_partial, robot_defect, items_waiting, ocr_review_waiting, scheduler_lock_lost]
    triggers: {triggers}
{rule_filter}    channels: [kakari-mail, kakari-chat]
{extra_rules}"""
