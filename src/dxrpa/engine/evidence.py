"""Failure evidence: a masked full-page screenshot and a scrubbed Playwright trace.

Traces are recorded without screencast frames (they would show typed personal data) and, when
kept, are scrubbed by :func:`scrub_trace`: typed values and request bodies are removed and every
text entry passes the log redactor in all encodings, so neither a secret, a password field's
value nor a My Number survives in ``trace.zip``.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page

from dxrpa.browser.faults import BrowserError
from dxrpa.browser.masking import masked_screenshot
from dxrpa.fileio import atomic_path
from dxrpa.log import MASK, logger, redact, split_my_numbers

_SAFE = re.compile(r"[^0-9A-Za-z_.\-\u3040-\u30ff\u4e00-\u9fff]+")


def safe_name(text: str) -> str:
    return _SAFE.sub("_", text)[:80] or "item"


async def screenshot(page: Page, path: Path, declared: list[Locator]) -> Path | None:
    """A full-page screenshot masked by the one rule set (:mod:`dxrpa.browser.masking`);
    None when the page is gone (crash)."""
    try:
        return await masked_screenshot(page, path, declared, full_page=True)
    except BrowserError as exc:
        logger.debug("no screenshot: {}", exc)
        return None


# Playwright calls whose parameters carry what was typed into the page.
_TYPED_CALLS = frozenset({"fill", "type", "pressSequentially", "insertText", "setInputFiles"})
_TYPED_PARAMS = ("value", "text", "values")
_FIELD_VALUE = "__playwright_value_"  # a form field's current value in DOM snapshots


def _mask_typed(node: Any, found: set[str]) -> Any:
    """Replace every field value of a snapshot (``__playwright_value_``) anywhere in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == _FIELD_VALUE and isinstance(value, str):
                found.add(value)
                node[key] = MASK
            else:
                node[key] = _mask_typed(value, found)
    elif isinstance(node, list):
        return [_mask_typed(v, found) for v in node]
    return node


def _text_nodes(node: Any, out: list[tuple[list[Any], int]]) -> None:
    """``(element, index)`` of every text node of a DOM snapshot (``[tag, attrs, *children]``), in
    document order."""
    if isinstance(node, dict):
        for value in node.values():
            _text_nodes(value, out)
    elif isinstance(node, list):
        element = len(node) >= 2 and isinstance(node[0], str) and isinstance(node[1], dict)
        for i, child in enumerate(node):
            if element and i >= 2 and isinstance(child, str):
                out.append((node, i))
            else:
                _text_nodes(child, out)


def _mask_split_numbers(event: Any) -> None:
    """Mask a My Number a snapshot keeps in several text nodes (table cells, ``<br>`` lines)."""
    nodes: list[tuple[list[Any], int]] = []
    _text_nodes(event, nodes)
    for k in split_my_numbers([element[i] for element, i in nodes]):
        element, i = nodes[k]
        element[i] = MASK


def _scrub_event(event: Any, found: set[str], dropped: set[str]) -> Any:
    """One trace/network event without fill values, field values or request bodies."""
    if not isinstance(event, dict):
        return event
    params = event.get("params")
    if event.get("method") in _TYPED_CALLS and isinstance(params, dict):
        for key in _TYPED_PARAMS:
            value = params.get(key)
            if isinstance(value, str):
                found.add(value)
                params[key] = MASK
            elif isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
                params[key] = [MASK for _ in value]
    snapshot = event.get("snapshot")
    request = snapshot.get("request") if isinstance(snapshot, dict) else None
    if isinstance(request, dict) and isinstance(request.get("postData"), dict):
        body = request["postData"]
        for param in body.get("params") or []:
            if isinstance(param, dict) and isinstance(param.get("value"), str):
                found.add(param["value"])
        if isinstance(body.get("text"), str):
            found.add(body["text"])
        if isinstance(body.get("_file"), str):
            dropped.add(body["_file"])
        request["postData"] = {"mimeType": body.get("mimeType", ""), "text": MASK}
    if event.get("type") == "frame-snapshot":
        _mask_split_numbers(event)
    return _mask_typed(event, found)


def _parse_lines(text: str, found: set[str], dropped: set[str]) -> list[Any]:
    """JSON-lines of a trace member, scrubbed event by event (a non-JSON line is kept as text)."""
    events: list[Any] = []
    for line in text.splitlines():
        try:
            events.append(_scrub_event(json.loads(line), found, dropped))
        except ValueError:
            events.append(line)
    return events


def _redact_leaves(node: Any, masked: set[str]) -> Any:
    """Redact the string values of a JSON event (never its syntax: ``true`` or ``15000`` stay)."""
    if isinstance(node, str):
        return redact.redact_with(node, masked)
    if isinstance(node, dict):
        return {key: _redact_leaves(value, masked) for key, value in node.items()}
    if isinstance(node, list):
        return [_redact_leaves(value, masked) for value in node]
    return node


def _dump_lines(events: list[Any], masked: set[str]) -> str:
    lines = [
        redact.redact_with(e, masked)
        if isinstance(e, str)
        else json.dumps(_redact_leaves(e, masked), ensure_ascii=False, separators=(",", ":"))
        for e in events
    ]
    return "\n".join(lines) + "\n"


def scrub_trace(path: Path, extra: Iterable[str] = ()) -> None:
    """Rewrite a trace archive so no typed value, request body, secret or My Number survives.

    Playwright cannot record a trace without request bodies and fill values, so they are removed
    afterwards: fill/type parameters and snapshot field values become ``***``, request bodies
    (``postData`` and the resource file it points to) are dropped, and every text entry then
    passes the redactor with those values (and ``extra``) added, in every encoding (JSON, URL,
    base64, HTML), so a value echoed in a response page or header is masked too.
    """
    found: set[str] = set()
    dropped: set[str] = set()
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    texts: dict[str, str] = {}
    events: dict[str, list[Any]] = {}
    for info, data in members:
        try:
            texts[info.filename] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if info.filename.endswith((".trace", ".network")):
            events[info.filename] = _parse_lines(texts[info.filename], found, dropped)
    masked = {v for v in (*found, *extra) if v.strip()}
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in members:
            if info.filename in dropped:
                continue
            name = info.filename
            if name in events:
                data = _dump_lines(events[name], masked).encode("utf-8")
            elif name in texts:
                data = redact.redact_with(texts[name], masked).encode("utf-8")
            dst.writestr(info, data)
