"""Resolved secret values and valid My Numbers never reach a log file; other numbers are kept."""

from __future__ import annotations

import json
from pathlib import Path

from dxrpa.engine import secrets as sec
from dxrpa.errors import ItemSystemError
from dxrpa.log import add_run_file, is_my_number, logger, remove_sink

MY_NUMBER = "123456789018"  # valid check digit
NOT_MY_NUMBER = "123456789012"  # 12 digits, wrong check digit: an ordinary number, kept


def test_check_digits_of_fixtures() -> None:
    assert is_my_number(MY_NUMBER)
    assert not is_my_number(NOT_MY_NUMBER)


def test_run_log_redacts_secret_and_my_number(tmp_path: Path) -> None:
    secret = "Pw-for-redaction-9f3e1"
    sec.resolve_secrets("juminhyo", ["PORTAL_PASSWORD"], var_dir=tmp_path, env={"PORTAL_PASSWORD": secret})
    log_file = tmp_path / "runs" / "r-redact" / "run.log"
    sink = add_run_file(log_file, run_id="r-redact")
    try:
        log = logger.bind(run_id="r-redact", field=f"個人番号 {MY_NUMBER}")
        log.info(f"fill #password with {secret} for 個人番号 {MY_NUMBER}")
        log.info("spaced {} and dashed {}", "1234 5678 9018", "1234-5678-9018")
        log.warning(f"receipt number {NOT_MY_NUMBER} kept")
        try:
            raise ValueError(f"login failed for {secret} / {MY_NUMBER}")
        except ValueError:
            log.exception("step failed")
    finally:
        remove_sink(sink)
    text = log_file.read_text(encoding="utf-8")
    assert text.count(secret) == 0
    assert text.count(MY_NUMBER) == 0
    assert "1234 5678 9018" not in text and "1234-5678-9018" not in text
    assert text.count(NOT_MY_NUMBER) == 1
    assert "***" in text


def test_json_run_log_redacts_too(tmp_path: Path) -> None:
    secret = "json-secret-value-5521"
    sec.resolve_secrets("r", ["API_TOKEN"], var_dir=tmp_path, env={"API_TOKEN": secret})
    log_file = tmp_path / "run.jsonl"
    sink = add_run_file(log_file, run_id="r-json", json_logs=True)
    try:
        logger.bind(run_id="r-json").info(f"token {secret} number {MY_NUMBER}")
    finally:
        remove_sink(sink)
    raw = log_file.read_text(encoding="utf-8")
    leaks = [
        (n, key)
        for n, line in enumerate(raw.splitlines())
        for key, value in json.loads(line)["record"].items()
        if secret in json.dumps(value, default=str) or MY_NUMBER in json.dumps(value, default=str)
    ]
    assert secret not in raw and MY_NUMBER not in raw, leaks


def _login(password: str) -> None:
    raise ValueError("login failed")


def test_traceback_never_shows_secret_locals(tmp_path: Path) -> None:
    """loguru's ``diagnose`` would print local variable values (a password argument) in tracebacks."""
    secret = "Local-var-secret-8842"
    sec.resolve_secrets("r", ["PW"], var_dir=tmp_path, env={"PW": secret})
    log_file = tmp_path / "run.log"
    sink = add_run_file(log_file, run_id="r-locals")
    try:
        try:
            _login(secret)
        except ValueError:
            logger.bind(run_id="r-locals").exception("login step failed")
    finally:
        remove_sink(sink)
    text = log_file.read_text(encoding="utf-8")
    assert "login step failed" in text
    assert text.count(secret) == 0


def test_dxrpa_error_message_redacted_in_traceback(tmp_path: Path) -> None:
    """A DxrpaError prints ``self.message``, so redacting ``args`` alone is not enough."""
    secret = "Err-msg-secret-6610"
    sec.resolve_secrets("r", ["PW"], var_dir=tmp_path, env={"PW": secret})
    log_file = tmp_path / "run.log"
    sink = add_run_file(log_file, run_id="r-err")
    try:
        try:
            raise ItemSystemError(f"rejected {secret} / {MY_NUMBER}", step="login")
        except ItemSystemError:
            logger.bind(run_id="r-err").exception("item failed")
    finally:
        remove_sink(sink)
    text = log_file.read_text(encoding="utf-8")
    assert "item failed" in text
    assert text.count(secret) == 0
    assert text.count(MY_NUMBER) == 0


def test_run_log_redacts_encoded_secrets_urls_and_separated_my_numbers(tmp_path: Path) -> None:
    """Issue 12: a secret JSON-escaped, form-encoded or in Basic auth, a URL with a token in its query
    or a password in its userinfo, and My Numbers written with full-width separators are all masked."""
    import base64
    import json
    import re
    from urllib.parse import quote_plus

    secret = 'Enc"oded/pw+7 ü'
    sec.resolve_secrets("juminhyo", ["PORTAL_PASSWORD"], var_dir=tmp_path, env={"PORTAL_PASSWORD": secret})
    log_file = tmp_path / "runs" / "r-enc" / "run.log"
    sink = add_run_file(log_file, run_id="r-enc")
    basic = base64.b64encode(f"staff01:{secret}".encode()).decode()
    try:
        log = logger.bind(run_id="r-enc")
        log.info(f"body {json.dumps({'password': secret})} form password={quote_plus(secret)}")
        log.info(f"header Authorization: Basic {basic}")
        log.info("goto https://staff01:hunter2-pw@portal.example/login?sid=abc123&next=%2F failed")
        log.info("番号 1234－5678－9018 / 1234　5678　9018 / 1234ー5678ー9018 / 1234.5678.9018")
    finally:
        remove_sink(sink)
    text = log_file.read_text(encoding="utf-8")
    for form in (json.dumps(secret)[1:-1], quote_plus(secret), basic, "hunter2-pw", "abc123"):
        assert form not in text
    # the user name is masked too when an earlier run in this process registered it as a secret
    url = r"https://(staff01|\*\*\*):\*\*\*@portal\.example/login\?sid=\*\*\*&next=\*\*\*"
    assert re.search(url, text), text
    assert "5678" not in text
