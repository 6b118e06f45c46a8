"""``configs/notify.yaml``: where notifications go and which events each rule sends.

Example::

    console_url: http://rpa-console.city.local:8080
    smtp:
      host: smtp.city.local            # the internal relay
      port: 25
      starttls: false
      username: rpa-notify             # optional; its password comes from the secret store
      password_secret: NOTIFY_SMTP_PASSWORD
      sender: rpa@city.example.lg.jp
    channels:
      shimin-mail: {type: mail, to: [shimin-kakari@city.example.lg.jp]}
      shimin-teams: {type: teams, url_secret: SHIMIN_TEAMS_URL}
    rules:
      - events: [run_failed, run_partial, robot_defect, items_waiting]
        departments: [市民課]
        channels: [shimin-mail, shimin-teams]

A webhook URL carries its own access token, so ``url_secret:`` (a name in the secret store or
the environment) is preferred to ``url:``; neither is ever logged or stored in the outbox.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dxrpa.config import Positions, Settings, load_definition
from dxrpa.errors import DefinitionError, DefinitionErrors
from dxrpa.i18n import tr

EVENTS = (
    "run_failed",  # a run ended failed (or crashed / stopped with nothing done)
    "run_partial",  # a run ended with some items failed
    "robot_defect",  # the robot file is wrong for the page (locator, definition)
    "items_waiting",  # items abandoned after submit with no verify: — staff must check them
    "ocr_review_waiting",  # OCR fields waiting for review beyond review_age_hours
    "scheduler_lock_lost",  # the scheduler lost its lock and stopped
)
RUN_EVENTS = frozenset({"run_failed", "run_partial", "robot_defect", "items_waiting"})
TRIGGERS = ("schedule", "now", "manual")
ChannelType = Literal["mail", "teams", "lineworks", "slack", "webhook"]
WEBHOOK_TYPES = frozenset({"teams", "lineworks", "slack", "webhook"})
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


def check_address(value: str) -> str:
    value = value.strip()
    if not _ADDRESS.match(value) or len(value) > 254:
        raise ValueError(
            tr(
                f"メールアドレス '{value}' の書き方が違います (例: kakari@city.example.lg.jp)",
                f"'{value}' is not a mail address (e.g. kakari@city.example.lg.jp)",
            )
        )
    return value


def check_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            tr(
                "URL は http:// か https:// で始まる完全な URL にしてください",
                "a URL must be a full http:// or https:// URL",
            )
        )
    return value.strip()


def _check_secret_name(value: str | None) -> str | None:
    if value is not None and not _SECRET_NAME.match(value):
        raise ValueError(
            tr(
                f"シークレット名 '{value}' は使えません (英字・数字・_ のみ)",
                f"'{value}' is not a secret name (letters, digits and _ only)",
            )
        )
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmtpConfig(_Strict):
    host: str | None = None
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password_secret: str | None = None  # a name in the secret store or the environment
    sender: str = "dxrpa@localhost"
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return check_address(value)

    @field_validator("password_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return _check_secret_name(value)


class DeliveryConfig(_Strict):
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_seconds: float = Field(default=60.0, ge=0)  # first wait; doubled after each failure
    max_backoff_seconds: float = Field(default=3600.0, ge=0)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)  # one webhook request

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return float(min(self.backoff_seconds * (2 ** max(attempts - 1, 0)), self.max_backoff_seconds))


class Channel(_Strict):
    type: ChannelType
    to: list[str] = Field(default_factory=list)  # mail
    url: str | None = None  # webhooks
    url_secret: str | None = None  # webhooks: the URL kept in the secret store

    @field_validator("to")
    @classmethod
    def _to(cls, value: list[str]) -> list[str]:
        return [check_address(a) for a in value]

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("url_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return _check_secret_name(value)


class Rule(_Strict):
    name: str = ""
    events: list[str] = Field(min_length=1)
    robots: list[str] = Field(default_factory=list)  # empty: every robot
    departments: list[str] = Field(default_factory=list)  # 課; empty: every one
    triggers: list[str] = Field(default_factory=lambda: ["schedule", "now"])  # run events only
    channels: list[str] = Field(min_length=1)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in EVENTS:
                close = difflib.get_close_matches(name, EVENTS, n=1, cutoff=0.6)
                guess = tr(f" — もしかして '{close[0]}'?", f" — did you mean '{close[0]}'?") if close else ""
                raise ValueError(
                    tr(f"不明なイベント '{name}'", f"unknown event '{name}'")
                    + guess
                    + tr(" (使えるイベント: ", " (events: ")
                    + ", ".join(EVENTS)
                    + ")"
                )
        return value

    @field_validator("triggers")
    @classmethod
    def _triggers(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in TRIGGERS:
                raise ValueError(
                    tr(f"不明な起動方法 '{name}'。使えるもの: ", f"unknown trigger '{name}'; use: ")
                    + ", ".join(TRIGGERS)
                )
        return value

    def matches(self, event: str, robot: str, department: str, trigger: str | None) -> bool:
        if event not in self.events:
            return False
        if self.robots and robot not in self.robots:
            return False
        if self.departments and department not in self.departments:
            return False
        return not (event in RUN_EVENTS and trigger is not None and trigger not in self.triggers)


class NotifyConfig(_Strict):
    console_url: str | None = None  # links in messages: <console_url>/runs/<run id>
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    review_age_hours: float = Field(default=24.0, gt=0)  # OCR fields waiting longer are reported
    channels: dict[str, Channel] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("console_url")
    @classmethod
    def _console(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value).rstrip("/")

    def link(self, path: str) -> str:
        return f"{self.console_url}{path}" if self.console_url else ""


def config_path(settings: Settings) -> Path:
    path = Path(settings.notify.file)
    return path if path.is_absolute() else settings.home / path


def load_notify_config(path: str | Path) -> NotifyConfig:
    """Load and check the file; DefinitionError(s) naming ``file:line:col`` and the field."""
    config, pos = load_definition(path, NotifyConfig)
    _check_references(config, pos)
    return config


def _check_references(config: NotifyConfig, pos: Positions) -> None:
    """What one field cannot see alone: rules naming unknown channels, mail without an SMTP host,
    webhooks without a URL."""
    errors: list[DefinitionError] = []

    def err(loc: tuple[str | int, ...], ja: str, en: str, hint: tuple[str, str] | None = None) -> None:
        line, col = pos.find(loc)
        errors.append(
            DefinitionError(tr(ja, en), path=pos.path, line=line, col=col, hint=tr(*hint) if hint else None)
        )

    for name, ch in config.channels.items():
        if ch.type == "mail":
            if not ch.to:
                err(
                    ("channels", name),
                    f"'channels.{name}.to': 宛先がありません",
                    f"'channels.{name}.to': no recipients",
                )
            if not config.smtp.host:
                err(
                    ("smtp", "host"),
                    f"'smtp.host': メールのチャンネル '{name}' がありますが"
                    " SMTP サーバーが指定されていません",
                    f"'smtp.host': channel '{name}' sends mail but no SMTP server is set",
                    (
                        "庁内の SMTP リレーのホスト名を smtp: host: に書いてください",
                        "set smtp: host: to the internal SMTP relay",
                    ),
                )
        else:
            if (ch.url is None) == (ch.url_secret is None):
                err(
                    ("channels", name),
                    f"'channels.{name}': url: か url_secret: のどちらか一方を書いてください",
                    f"'channels.{name}': give exactly one of url: or url_secret:",
                )
            if ch.to:
                err(
                    ("channels", name, "to"),
                    f"'channels.{name}.to': to: はメールだけに使えます",
                    f"'channels.{name}.to': to: is for mail only",
                )
    for i, rule in enumerate(config.rules):
        for j, ch_name in enumerate(rule.channels):
            if ch_name not in config.channels:
                close = difflib.get_close_matches(ch_name, list(config.channels), n=1, cutoff=0.6)
                guess = tr(f" — もしかして '{close[0]}'?", f" — did you mean '{close[0]}'?") if close else ""
                err(
                    ("rules", i, "channels", j),
                    f"'rules.{i + 1}.channels': チャンネル '{ch_name}' は channels: にありません{guess}",
                    f"'rules.{i + 1}.channels': channel '{ch_name}' is not under channels:{guess}",
                )
    if config.smtp.username and not config.smtp.password_secret:
        err(
            ("smtp", "username"),
            "'smtp.password_secret': username: にはパスワードのシークレット名が必要です",
            "'smtp.password_secret': username: needs the name of the password's secret",
            (
                "dxrpa secrets set NAME で登録し、その名前を書いてください",
                "store it with dxrpa secrets set NAME and name it here",
            ),
        )
    errors.sort(key=lambda e: (e.line or 0, e.col or 0))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DefinitionErrors(errors)


def load_for(settings: Settings) -> NotifyConfig | None:
    """The site's notification config, or None when the file does not exist (notifications off)."""
    path = config_path(settings)
    if not path.is_file():
        return None
    return load_notify_config(path)
