"""The one place that configures loguru: console, per-run file, optional JSON, redaction.

Every record passes :class:`Redactor`, which replaces resolved secret values (raw and in every
encoding a browser, a trace or a template produces: JSON-escaped, percent/form-encoded, base64,
HTML-escaped, reversed) and anything that looks like a My Number (12 digits with a valid check
digit, after NFKC normalization, with any of the usual separators) with ``***`` before any sink
sees it. :func:`redact_url` strips userinfo passwords and query values from URLs.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from loguru import logger

MASK = "***"
# Separators staff and forms put between the digits of a My Number; the text is NFKC normalized
# first, which folds full-width digits, the full-width hyphen (－) and the ideographic space into
# their ASCII forms, but leaves ー (prolonged sound mark) and ‐ (U+2010) alone.
MY_NUMBER_SEPARATORS = (
    " \t\r\n./\\_-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\u30fb\u30fc\uff0d\uff65\u00b7\u3000"
)
# Twelve digits with up to two separators between any two of them (4-4-4, 6-6, one digit at a time,
# a line break inside), not part of a longer number. A lookahead, so that windows overlap: a
# twelve-digit run that fails the check digit does not hide a My Number starting inside it.
_SEP = f"[{re.escape(MY_NUMBER_SEPARATORS)}]{{0,2}}"
MY_NUMBER_CANDIDATE = re.compile(rf"(?<![0-9])(?=([0-9](?:{_SEP}[0-9]){{11}})(?![0-9]))")
_ANY_DIGIT = re.compile(r"[0-9\uff10-\uff19]")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]*={0,2}")
_MIN_SECRET = 3


def is_my_number(digits: str) -> bool:
    """Check digit of 個人番号 (12 digits), per the 行政手続番号法 施行令."""
    folded = digits if digits.isascii() else unicodedata.normalize("NFKC", digits)
    d = "".join(c for c in folded if "0" <= c <= "9")
    if len(d) != 12:
        return False
    body = [int(c) for c in d[:11]][::-1]  # P1..P11 from the right
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(body, start=1))
    rem = total % 11
    check = 0 if rem <= 1 else 11 - rem
    return check == int(d[11])


class _Nfkc1(dict[int, int]):
    """A ``str.translate`` table: each character to its NFKC form when that is one character (full-
    width digits, －, the ideographic space...), so offsets in the folded text are the original's."""

    def __missing__(self, code: int) -> int:
        norm = unicodedata.normalize("NFKC", chr(code))
        self[code] = ord(norm) if len(norm) == 1 else code
        return self[code]


_NFKC1 = _Nfkc1()


def my_number_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``text`` of every valid My Number (the one rule set that log
    redaction and screenshot masking share): NFKC first, separators as :data:`MY_NUMBER_SEPARATORS`."""
    if _ANY_DIGIT.search(text) is None:
        return []
    folded = text if text.isascii() else text.translate(_NFKC1)
    spans: list[tuple[int, int]] = []
    for m in MY_NUMBER_CANDIDATE.finditer(folded):
        start, end = m.span(1)
        if not is_my_number(m.group(1)):
            continue
        if spans and start < spans[-1][1]:  # overlapping windows: one span
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


#: one piece of a My Number written over several boxes, cells or lines: 1–11 digits (separators inside)
_NUMBER_PART = re.compile(rf"\s*[0-9](?:{_SEP}[0-9]){{0,10}}\s*")
_PART_REACH = 48  # pieces looked at from each start (blank ones included)


def split_my_numbers(parts: Sequence[str]) -> set[int]:
    """Indexes of consecutive ``parts`` that together hold one valid My Number: twelve digits over
    two or more pieces (a form's 4 + 4 + 4 boxes, table cells, ``<br>``-split lines). Blank pieces
    between them neither join nor break a number."""
    digits: list[str | None] = []
    for part in parts:
        folded = part if part.isascii() else part.translate(_NFKC1)
        if _NUMBER_PART.fullmatch(folded):
            digits.append("".join(c for c in folded if "0" <= c <= "9"))
        else:
            digits.append("" if not folded.strip() else None)
    out: set[int] = set()
    for i, first in enumerate(digits):
        if not first:
            continue
        total, members = "", []
        for j in range(i, min(i + _PART_REACH, len(parts))):
            piece = digits[j]
            if piece is None:
                break
            if not piece:
                continue
            total += piece
            members.append(j)
            if len(total) >= 12:
                if len(total) == 12 and len(members) > 1 and is_my_number(total):
                    out.update(members)
                break
    return out


#: what keeps the pieces of a number apart in HTML: tags, and the entities of spaces
_MARKUP = re.compile(r"<[^<>]{0,2000}>|&(?:nbsp|ensp|emsp|thinsp|#160|#xa0|#12288|#x3000);", re.IGNORECASE)


def _mask_split_markup(text: str) -> str:
    """Mask a My Number whose pieces markup keeps apart (``<td>1234</td><td>5678</td>…``,
    ``1234&nbsp;5678&nbsp;9018``)."""
    pieces = _MARKUP.split(text)
    hit = split_my_numbers(pieces)
    if not hit:
        return text
    tags = _MARKUP.findall(text)
    out = [MASK if i in hit else piece for i, piece in enumerate(pieces)]
    return "".join(p + (tags[i] if i < len(tags) else "") for i, p in enumerate(out))


def _base64_cores(raw: bytes) -> set[str]:
    """Base64 text that encodes ``raw`` at any of the 3 byte alignments (``user:pass`` in Basic
    auth puts a secret mid-stream), without the boundary groups that depend on the neighbours."""
    cores: set[str] = set()
    for shift in range(3):
        enc = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        body = enc.rstrip("=")
        start = 4 if shift else 0
        stop = len(body) if (shift + len(raw)) % 3 == 0 else (len(body) // 4) * 4
        core = body[start:stop]
        if len(core) >= 4:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    return cores


@lru_cache(maxsize=4096)
def _encodings(value: str) -> tuple[frozenset[str], frozenset[str]]:
    forms, cores = encodings(value)
    return frozenset(forms), frozenset(cores)


def encodings(value: str) -> tuple[set[str], set[str]]:
    """``(text forms, base64 cores)`` of a secret value: every way it shows up in logs and traces."""
    forms: set[str] = set()
    cores: set[str] = set()
    for v in (value, value[::-1]):
        forms.add(v)
        for ascii_only in (True, False):
            forms.add(json.dumps(v, ensure_ascii=ascii_only)[1:-1])
            forms.add(json.dumps(json.dumps(v, ensure_ascii=ascii_only)[1:-1])[1:-1])  # JSON in JSON
        for quoted in (quote(v, safe=""), quote(v), quote_plus(v), quote_plus(v, safe="")):
            forms.add(quoted)
            forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted))
        forms.add(html.escape(v))
        forms.add(html.escape(v, quote=False))
        forms.add(html.escape(v).replace("&#x27;", "&#39;"))
        cores |= _base64_cores(v.encode("utf-8"))
    return {f for f in forms if len(f) >= _MIN_SECRET}, cores


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered)) if ordered else None


@lru_cache(maxsize=64)
def _compile_forms(values: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    forms: set[str] = set()
    cores: set[str] = set()
    for v in values:
        f, c = _encodings(v)  # each value's forms are worked out once per process
        forms |= f
        cores |= c
    return _alternation(forms), _alternation(cores)


class Redactor:
    """Replaces secret values (in every encoding) and My Numbers in text.

    Thread-safe; secrets can be added any time. ``extra`` values given to :meth:`redact_with` are
    masked for one call only (e.g. the fill values of one trace).
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self._b64: re.Pattern[str] | None = None
        self._stale = False  # secrets were added since the patterns were built

    def add(self, *values: str) -> None:
        """Register values; the patterns are rebuilt on the next use, and only if one is new (a
        long-running scheduler resolves the same secrets for every run)."""
        with self._lock:
            new = {v for v in values if v and len(v) >= _MIN_SECRET} - self._secrets
            if new:
                self._secrets |= new
                self._stale = True

    def _current(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        if self._stale:
            with self._lock:
                if self._stale:
                    self._pattern, self._b64 = self._compile(self._secrets)
                    self._stale = False
        return self._pattern, self._b64

    @staticmethod
    def _compile(values: Iterable[str]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        return _compile_forms(tuple(sorted(v for v in values if v and len(v) >= _MIN_SECRET)))

    def has_secret(self, text: str, values: Iterable[str] | None = None) -> bool:
        """Whether ``text`` holds a registered secret (or one of ``values``) in any encoding."""
        pattern, b64 = self._compile(values) if values is not None else self._current()
        return bool((pattern and pattern.search(text)) or (b64 and b64.search(text)))

    def redact_with(self, text: str, extra: Iterable[str]) -> str:
        """Like calling the redactor, also masking ``extra`` values (all encodings) this once."""
        pattern, b64 = self._compile({*self._secrets, *(v for v in extra if v and len(v) >= _MIN_SECRET)})
        return self._apply(text, pattern, b64)

    def __call__(self, text: str) -> str:
        return self._apply(text, *self._current())

    @staticmethod
    def _apply(text: str, pattern: re.Pattern[str] | None, b64: re.Pattern[str] | None) -> str:
        if b64 is not None and b64.search(text):
            text = _mask_base64(text, b64)
        if pattern is not None:
            text = pattern.sub(MASK, text)
        if ">" in text or ";" in text:
            text = _mask_split_markup(text)
        spans = my_number_spans(text)
        if not spans:
            return text
        out: list[str] = []
        pos = 0
        for start, end in spans:
            out += (text[pos:start], MASK)
            pos = end
        out.append(text[pos:])
        return "".join(out)


def _mask_base64(text: str, b64: re.Pattern[str]) -> str:
    """Mask the whole base64 run around each core, so no boundary group keeps part of a secret."""
    out: list[str] = []
    pos = 0
    for m in b64.finditer(text):
        if m.start() < pos:
            continue
        start = m.start()
        while start > pos and _BASE64_RUN.fullmatch(text[start - 1]) and text[start - 1] != "=":
            start -= 1
        run = _BASE64_RUN.match(text, m.end())
        end = run.end() if run else m.end()
        out.append(text[pos:start])
        out.append(MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact_url(url: str) -> str:
    """``url`` with its userinfo password and every query value replaced by ``***`` (then redacted).

    ``https://u:pw@host/p?a=1&b`` → ``https://u:***@host/p?a=***&***``; text that is not a URL is
    only passed through the redactor.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    if not parts.scheme or (not parts.netloc and not parts.query):
        return redact(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{userinfo}@{host}"
    # a bare part (``&flag``) may be the tail of an unencoded value (``pin=a&b``): masked too
    query = "&".join(
        f"{pair.split('=', 1)[0]}={MASK}" if "=" in pair else MASK for pair in parts.query.split("&") if pair
    )
    fragment = MASK if parts.fragment and "=" in parts.fragment else parts.fragment
    return redact(urlunsplit((parts.scheme, netloc, parts.path, query, fragment)))


_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")


def redact_urls_in(text: str) -> str:
    """Every URL inside free text (an error message, a step label) passed through :func:`redact_url`."""
    if "://" not in text:
        return redact(text)
    return redact(_URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text))


redact = Redactor()


def _filter(record: dict[str, Any]) -> bool:
    record["message"] = redact_urls_in(record["message"])
    if isinstance(record.get("template"), str):  # loguru 0.8 serializes the unformatted message too
        record["template"] = redact_urls_in(record["template"])
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
_zone: ZoneInfo | None = None


def _in_zone(record: dict[str, Any]) -> None:
    """Log times in the configured zone (settings.timezone), not the host's."""
    if _zone is not None:
        t = record["time"]
        record["time"] = t.astimezone(dt.timezone(t.astimezone(_zone).utcoffset() or dt.timedelta(0)))


def set_timezone(name: str | None) -> None:
    """Every later log line stamped in zone ``name`` (e.g. ``Asia/Tokyo``); ``None``: the host's."""
    global _zone
    _zone = ZoneInfo(name) if name else None
    logger.configure(patcher=_in_zone)  # type: ignore[arg-type]


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


def add_run_file(path: Path, *, run_id: str, json_logs: bool = False, timezone: str | None = None) -> int:
    """A per-run log file holding only this run's records (times in ``timezone`` when given);
    returns the sink id to remove."""
    if timezone:
        set_timezone(timezone)
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
    "MY_NUMBER_SEPARATORS",
    "Redactor",
    "add_run_file",
    "encodings",
    "is_my_number",
    "logger",
    "my_number_spans",
    "redact",
    "redact_url",
    "redact_urls_in",
    "remove_sink",
    "set_timezone",
    "setup",
    "split_my_numbers",
]
