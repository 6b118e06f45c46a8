"""The one place that configures loguru: console, per-run file, optional JSON, redaction.

Every record passes :class:`Redactor`, which replaces resolved secret values and anything that
looks like a My Number (12 digits with a valid check digit) with ``***`` before any sink sees it.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from pathlib import Path
from typing import Any

from loguru import logger

MASK = "***"
_DIGITS12 = re.compile(r"(?<!\d)(\d{4})[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
#: A My Number candidate in NFKC-normalized text: 12 digits in groups of 4, each gap at most one of
#: the separators people write (``-`` ``－`` space, ideographic space, ``.`` ``/`` ``ー``).
MY_NUMBER_CANDIDATE = re.compile(r"(?<!\d)\d{4}[ \-./ー‐−]?\d{4}[ \-./ー‐−]?\d{4}(?!\d)")


def is_my_number(digits: str) -> bool:
    """Check digit of 個人番号 (12 digits), per the 行政手続番号法 施行令."""
    d = re.sub(r"\D", "", digits)
    if len(d) != 12:
        return False
    body = [int(c) for c in d[:11]][::-1]  # P1..P11 from the right
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(body, start=1))
    rem = total % 11
    check = 0 if rem <= 1 else 11 - rem
    return check == int(d[11])


def my_number_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every My Number (check digit valid) in ``text``, NFKC-normalized first
    character by character, so the offsets index ``text`` itself (full-width digits count)."""
    norm: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        n = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        norm.append(n)
        index.extend([i] * len(n))
    flat = "".join(norm)
    return [
        (index[m.start()], index[m.end() - 1] + 1)
        for m in MY_NUMBER_CANDIDATE.finditer(flat)
        if is_my_number(m.group(0))
    ]


class Redactor:
    """Replaces secret values and My Numbers in text. Thread-safe; secrets can be added any time."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str) -> None:
        with self._lock:
            for v in values:
                if v and len(v) >= 3:
                    self._secrets.add(v)
            words = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(w) for w in words)) if words else None

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        if any(c.isdigit() for c in text):
            text = _DIGITS12.sub(lambda m: MASK if is_my_number(m.group(0)) else m.group(0), text)
        return text


redact = Redactor()


def _filter(record: dict[str, Any]) -> bool:
    record["message"] = redact(record["message"])
    if record["exception"] is not None:
        exc = record["exception"]
        if exc.value is not None and exc.value.args:
            exc.value.args = tuple(redact(str(a)) if isinstance(a, str) else a for a in exc.value.args)
        for attr in ("message", "hint"):  # DxrpaError.__str__ prints these, not args
            value = getattr(exc.value, attr, None)
            if isinstance(value, str):
                setattr(exc.value, attr, redact(value))
    for key, value in list(record["extra"].items()):
        if isinstance(value, str):
            record["extra"][key] = redact(value)
    return True


_console_id: int | None = None


def setup(*, level: str = "INFO", json_logs: bool = False, console: bool = True) -> None:
    """Configure sinks once per process (idempotent)."""
    global _console_id
    logger.remove()
    _console_id = None
    if console:
        _console_id = logger.add(
            sys.stderr,
            level=level,
            filter=_filter,  # type: ignore[arg-type]
            format="<green>{time:HH:mm:ss}</green> <level>{level: <7}</level> {message}",
            serialize=json_logs,
            diagnose=False,
        )


def add_run_file(path: Path, *, run_id: str, json_logs: bool = False) -> int:
    """A per-run log file holding only this run's records; returns the sink id to remove."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def only_this_run(record: dict[str, Any]) -> bool:
        return record["extra"].get("run_id") == run_id and _filter(record)

    return logger.add(
        path,
        level="DEBUG",
        filter=only_this_run,  # type: ignore[arg-type]
        serialize=json_logs,
        encoding="utf-8",
        diagnose=False,
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} {level: <7} {extra[run_id]} {message}",
        enqueue=False,
    )


def remove_sink(sink_id: int) -> None:
    logger.remove(sink_id)


logger.remove()
logger.add(sys.stderr, level="WARNING", filter=_filter, diagnose=False)  # type: ignore[arg-type]

__all__ = [
    "MASK",
    "MY_NUMBER_CANDIDATE",
    "Redactor",
    "add_run_file",
    "is_my_number",
    "logger",
    "my_number_spans",
    "redact",
    "remove_sink",
    "setup",
]
