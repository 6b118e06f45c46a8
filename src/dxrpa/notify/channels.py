"""Delivery: mail through the SMTP relay (smtplib) and webhooks (urllib), nothing else installed.

Every failure becomes :class:`DeliveryFailed` with one short line fit for the log and the outbox:
the SMTP reply code or the HTTP status, a timeout, a refused connection. Never the message
body, the recipients, the server's reply text (it may echo them) or the webhook URL (its
token is the credential).
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from types import TracebackType
from typing import Any

from dxrpa.engine.secrets import lookup
from dxrpa.i18n import tr
from dxrpa.log import redact
from dxrpa.notify.config import Channel, NotifyConfig, SmtpConfig
from dxrpa.notify.messages import Message, webhook_payload


class DeliveryFailed(Exception):
    """One attempt failed; ``str()`` is safe to log and store."""


def _secret(name: str, var_dir: Path, env: Mapping[str, str] | None, what: str) -> str:
    found = lookup(name, var_dir=var_dir, env=env)
    if found is None:
        raise DeliveryFailed(
            tr(f"{what}のシークレット {name} が設定されていません", f"the secret {name} ({what}) is not set")
        )
    redact.add(found[0])
    return found[0]


def _network_error(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return tr(f"{timeout:g} 秒で応答がありません (timeout)", f"no answer within {timeout:g} s (timeout)")
    if isinstance(exc, ConnectionRefusedError):
        return tr("接続を拒否されました (connection refused)", "connection refused")
    if isinstance(exc, socket.gaierror):
        return tr("ホスト名を解決できません", "the host name does not resolve")
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {type(exc).__name__}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return type(exc).__name__


class MailSender:
    """One SMTP connection reused for a batch of mails (``with MailSender(...) as m: m.send(...)``)."""

    def __init__(self, smtp: SmtpConfig, var_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.cfg = smtp
        self.var_dir = var_dir
        self.env = env
        self._conn: smtplib.SMTP | None = None
        self._unreachable: str | None = None  # the relay did not answer: the rest of the batch waits

    def __enter__(self) -> MailSender:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        if not cfg.host:
            raise DeliveryFailed(tr("smtp.host が設定されていません", "smtp.host is not set"))
        password = None
        if cfg.username:
            password = _secret(
                cfg.password_secret or "", self.var_dir, self.env, tr("SMTP パスワード", "SMTP password")
            )
        conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        try:
            conn.ehlo()
            if cfg.starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if cfg.username and password is not None:
                conn.login(cfg.username, password)
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, to: list[str], msg: Message) -> None:
        mail = EmailMessage()
        mail["Subject"] = msg.title
        mail["From"] = self.cfg.sender
        mail["To"] = ", ".join(to)
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = make_msgid(domain=self.cfg.sender.rpartition("@")[2] or None)
        mail.set_content(msg.text, charset="utf-8")
        if self._unreachable is not None:  # one timeout per batch, not one per mail
            raise DeliveryFailed(self._unreachable)
        try:
            if self._conn is None:
                self._conn = self._connect()
            refused = self._conn.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            self._drop()
            codes = sorted({str(code) for code, _ in exc.recipients.values()})
            raise DeliveryFailed(
                f"SMTP {'/'.join(codes)}: " + tr("宛先を拒否されました", "recipients refused")
            ) from None
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise DeliveryFailed(f"SMTP {exc.smtp_code}: {type(exc).__name__}") from None
        except smtplib.SMTPException as exc:
            self._drop()
            cause = exc.__context__  # SMTPServerDisconnected wraps the timeout or reset it met
            if isinstance(cause, OSError):
                self._unreachable = _network_error(cause, self.cfg.timeout_seconds)
                raise DeliveryFailed(self._unreachable) from None
            raise DeliveryFailed(f"SMTP: {type(exc).__name__}") from None
        except OSError as exc:
            self._drop()
            self._unreachable = _network_error(exc, self.cfg.timeout_seconds)
            raise DeliveryFailed(self._unreachable) from None
        if refused:
            codes = sorted({str(code) for code, _ in refused.values()})
            raise DeliveryFailed(
                f"SMTP {'/'.join(codes)}: "
                + tr(f"{len(refused)} 件の宛先を拒否されました", f"{len(refused)} recipient(s) refused")
            )

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def post_webhook(
    channel: Channel,
    msg: Message,
    facts: dict[str, Any],
    *,
    timeout: float,
    var_dir: Path,
    env: Mapping[str, str] | None = None,
) -> None:
    """POST the channel's JSON shape; anything but a 2xx answer is a failure."""
    url = channel.url or _secret(channel.url_secret or "", var_dir, env, tr("Webhook URL", "webhook URL"))
    body = json.dumps(webhook_payload(channel.type, msg, facts), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "dxrpa-notify"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(1024)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, BaseException) else OSError(str(exc.reason))
        raise DeliveryFailed(_network_error(reason, timeout)) from None
    except (TimeoutError, OSError) as exc:
        raise DeliveryFailed(_network_error(exc, timeout)) from None


class Senders:
    """The senders of one delivery batch (an SMTP connection opened on the first mail)."""

    def __init__(self, config: NotifyConfig, var_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.var_dir = var_dir
        self.env = env
        self.mail = MailSender(config.smtp, var_dir, env)

    def send(self, channel: Channel, msg: Message, facts: dict[str, Any]) -> None:
        if channel.type == "mail":
            self.mail.send(channel.to, msg)
        else:
            post_webhook(
                channel,
                msg,
                facts,
                timeout=self.config.delivery.timeout_seconds,
                var_dir=self.var_dir,
                env=self.env,
            )

    def close(self) -> None:
        self.mail.close()
