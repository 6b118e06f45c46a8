"""The one rule set for what a screenshot must not show, used by the ``screenshot:`` step and by
failure evidence alike.

Blacked out:

* the robot's declared ``pii:`` locators;
* every input/textarea (all frames, open shadow roots) whose current value is a password or holds
  a My Number (check digit verified), a Japanese phone number, an e-mail address or a resolved
  secret: passed to Playwright as ``mask=``;
* every run of page text (table cells, spans, definition lists, text inside open shadow roots and
  in every frame) holding one of those: the page reports the text of each rendered block, Python
  decides with :func:`sensitive_spans`, the page reports where those characters are drawn
  (``Range.getClientRects``) and black boxes are painted over the PNG before it is written.

Nothing is ever written into the target system's page (no marker attribute, no global); the text
nodes are held in a Playwright handle between the two calls. The unmasked image never touches disk.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from playwright.async_api import Error as AsyncPlaywrightError
from playwright.async_api import Frame as AsyncFrame
from playwright.async_api import Locator as AsyncLocator
from playwright.async_api import Page as AsyncPage
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from dxrpa.fileio import write_atomic
from dxrpa.i18n import tr
from dxrpa.log import is_my_number, logger, my_number_spans, redact, split_my_numbers

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in CSS pixels of the screenshot
Span = tuple[int, int]

#: Candidate patterns (matched after NFKC); ``phone`` candidates are confirmed by digit count.
pii_patterns: dict[str, re.Pattern[str]] = {
    "phone": re.compile(
        r"(?<![\d+])(?:\+81[-ー ]?\(?0?\)?|\(?0)\d{1,4}\)?[-ー ]?\(?\d{1,4}\)?[-ー ]?\d{3,4}(?!\d)"
    ),
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
}

#: Inputs and textareas whose value is checked (buttons, checkboxes and hidden fields never show text).
FIELD_SELECTOR = (
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=button])"
    ":not([type=submit]):not([type=reset]):not([type=image]):not([type=file]), textarea"
)
PAD = 2  # CSS pixels around each painted box (anti-aliased glyph edges)


def _nfkc_indexed(text: str) -> tuple[str, list[int]]:
    """NFKC per character, with the original index of every normalized character."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        out.append(norm)
        index.extend([i] * len(norm))
    return "".join(out), index


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.lstrip().startswith("+81"):
        digits = "0" + digits[2:].lstrip("0")
    return digits.startswith("0") and len(digits) in (10, 11)


def _spans_by_kind(norm: str) -> dict[str, list[Span]]:
    return {
        "my_number": [s for s in my_number_spans(norm) if is_my_number(norm[s[0] : s[1]])],
        "phone": [m.span() for m in pii_patterns["phone"].finditer(norm) if _is_phone(m.group(0))],
        "email": [m.span() for m in pii_patterns["email"].finditer(norm)],
    }


def pii_kinds(value: str) -> list[str]:
    """Which kinds of personal data ``value`` contains (``my_number``, ``phone``, ``email``)."""
    norm, _ = _nfkc_indexed(value)  # full-width digits and ＠ count too
    return [kind for kind, spans in _spans_by_kind(norm).items() if spans]


def value_is_sensitive(value: str) -> bool:
    """True if the value holds a My Number, phone number, e-mail or a resolved secret."""
    if not value or not value.strip():
        return False
    return bool(pii_kinds(value)) or redact(value) != value


def sensitive_spans(text: str) -> list[Span]:
    """``(start, end)`` character ranges of ``text`` to hide: My Numbers, phones, e-mail addresses;
    the whole text when a resolved secret (or anything else the log redactor masks) remains."""
    norm, index = _nfkc_indexed(text)
    found = [span for spans in _spans_by_kind(norm).values() for span in spans]
    spans = sorted({(index[a], index[b - 1] + 1) for a, b in found})
    rest = list(text)
    for a, b in spans:
        rest[a:b] = "#" * (b - a)
    remainder = "".join(rest)
    if remainder.strip() and redact(remainder) != remainder:
        return [(0, len(text))]
    return spans


# --------------------------------------------------------------------------- fields


#: Read ``[type, current value]`` of every matched field in one round trip.
FIELD_VALUES_JS = "els => els.map(e => [String(e.type || ''), String(e.value ?? '')])"


def sensitive_indexes(fields: Sequence[Sequence[str]]) -> list[int]:
    """Positions in ``[[type, value], ...]`` (:data:`FIELD_VALUES_JS`) to mask; password fields always,
    and neighbouring boxes that together hold a My Number (a form's 4 + 4 + 4 or 6 + 6 boxes)."""
    out = {i for i, (kind, value) in enumerate(fields) if kind == "password" or value_is_sensitive(value)}
    out |= split_my_numbers([value for _, value in fields])
    return sorted(out)


def mask_locators_for_page(page: Page, declared: Sequence[Locator]) -> list[Locator]:
    """Sync-API locators for ``mask=``: the declared ones plus every field (all frames) whose current
    value looks like personal data or a secret."""
    out = list(declared)
    for frame in page.frames:
        fields = frame.locator(FIELD_SELECTOR)
        try:
            values: list[list[str]] = fields.evaluate_all(FIELD_VALUES_JS)
        except PlaywrightError:  # frame detached or navigating
            continue
        out.extend(fields.nth(i) for i in sensitive_indexes(values))
    return out


async def _sensitive_fields(page: AsyncPage) -> list[tuple[AsyncFrame, int]]:
    """(frame, index) of every field to mask; a frame whose fields cannot be read (detached) is
    left to :func:`sensitive_text_boxes`, which blacks it out whole."""
    out: list[tuple[AsyncFrame, int]] = []
    for frame in page.frames:
        try:
            values: list[list[str]] = await frame.locator(FIELD_SELECTOR).evaluate_all(FIELD_VALUES_JS)
        except AsyncPlaywrightError:
            if frame.parent_frame is None:
                raise
            continue
        out.extend((frame, i) for i in sensitive_indexes(values))
    return out


async def mask_locators_for_page_async(
    page: AsyncPage, declared: Sequence[AsyncLocator]
) -> list[AsyncLocator]:
    """:func:`mask_locators_for_page` for Playwright's async API (the one the engine drives)."""
    fields = await _sensitive_fields(page)
    return [*declared, *(frame.locator(FIELD_SELECTOR).nth(i) for frame, i in fields)]


# --------------------------------------------------------------------------- text

#: Every text node under the body and open shadow roots, grouped by the block that renders it, so a
#: number split over inline elements (``<span>1234</span>-<span>5678</span>…``) is still one text.
_COLLECT_JS = r"""() => {
  const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TEXTAREA', 'TITLE', 'OPTION']);
  const nodes = [], texts = [], groups = [], groupOf = new Map(), blockOf = new Map();
  const block = (el) => {
    const start = el;
    if (blockOf.has(start)) return blockOf.get(start);
    let e = el;
    while (e) {
      const d = getComputedStyle(e).display;
      if (!d.startsWith('inline') && d !== 'contents') break;
      e = e.parentElement || (e.parentNode && e.parentNode.host) || null;
    }
    blockOf.set(start, e);
    return e;
  };
  const walk = (root) => {
    const tw = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = tw.currentNode; n; n = tw.nextNode()) {
      if (n.nodeType === Node.TEXT_NODE) {
        const p = n.parentElement;
        if (!p || SKIP.has(p.tagName)) continue;
        const b = block(p);
        let g = groupOf.get(b);
        if (g === undefined) { g = groups.length; groupOf.set(b, g); groups.push([]); }
        groups[g].push(nodes.length);
        nodes.push(n);
        texts.push(n.data);
      } else if (n.shadowRoot) {
        walk(n.shadowRoot);
      }
    }
  };
  if (document.body) walk(document.body);
  return {nodes, texts, groups, scroll: [window.scrollX, window.scrollY], dpr: window.devicePixelRatio};
}"""
_READ_JS = "h => ({texts: h.texts, groups: h.groups, scroll: h.scroll, dpr: h.dpr})"
_RECTS_JS = r"""(h, segments) => segments.flatMap(([i, a, b]) => {
  const r = document.createRange();
  r.setStart(h.nodes[i], a);
  r.setEnd(h.nodes[i], b);
  return Array.from(r.getClientRects()).filter(q => q.width > 0 && q.height > 0)
    .map(q => [q.left, q.top, q.right, q.bottom]);
})"""
_CONTENT_BOX_JS = r"""e => {
  const s = getComputedStyle(e);
  return [e.clientLeft + parseFloat(s.paddingLeft), e.clientTop + parseFloat(s.paddingTop),
          e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight),
          e.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom)];
}"""


def segments_to_hide(texts: Sequence[str], groups: Sequence[Sequence[int]]) -> list[tuple[int, int, int]]:
    """``(node, start, end)`` pieces of text nodes to black out, from each block's joined text, and
    whole blocks that hold a My Number between them (table cells, one ``<div>`` per 4 digits)."""
    out: list[tuple[int, int, int]] = []
    for g in sorted(split_my_numbers(["".join(texts[i] for i in group) for group in groups])):
        out.extend((i, 0, len(texts[i])) for i in groups[g] if texts[i].strip())
    for group in groups:
        starts, pos = [], 0
        for i in group:
            starts.append(pos)
            pos += len(texts[i])
        joined = "".join(texts[i] for i in group)
        for a, b in sensitive_spans(joined):
            for node, start in zip(group, starts, strict=True):
                end = start + len(texts[node])
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    out.append((node, lo - start, hi - start))
    return out


async def _frame_offset(frame: AsyncFrame) -> Box | None:
    """The frame's content box in main-frame viewport coordinates (None: not rendered)."""
    if frame.parent_frame is None:
        return (0.0, 0.0, float("inf"), float("inf"))
    element = await frame.frame_element()
    try:
        box = await element.bounding_box()
        if box is None:
            return None
        left, top, width, height = await element.evaluate(_CONTENT_BOX_JS)
    finally:
        await element.dispose()
    x, y = box["x"] + left, box["y"] + top
    return (x, y, x + width, y + height)


async def _frame_text_boxes(frame: AsyncFrame) -> tuple[list[Box], list[float]]:
    """Boxes (viewport coordinates of the frame) of sensitive text, and ``[scrollX, scrollY, dpr]``."""
    handle = await frame.evaluate_handle(_COLLECT_JS)
    try:
        data: dict[str, Any] = await handle.evaluate(_READ_JS)
        segments = segments_to_hide(data["texts"], data["groups"])
        rects: list[list[float]] = await handle.evaluate(_RECTS_JS, segments) if segments else []
    finally:
        await handle.dispose()
    return [(r[0], r[1], r[2], r[3]) for r in rects], [*data["scroll"], data["dpr"]]


async def sensitive_text_boxes(page: AsyncPage, *, full_page: bool) -> tuple[list[Box], float]:
    """Where the page draws sensitive text, in CSS pixels of the screenshot, and the pixel ratio.

    Fails closed: a child frame whose text cannot be read is blacked out whole; when the main
    frame cannot be read, Playwright's error propagates and no screenshot is taken.
    """
    boxes: list[Box] = []
    origin, dpr = (0.0, 0.0), 1.0
    for frame in page.frames:
        clip: Box | None = None
        try:
            clip = await _frame_offset(frame)
            if clip is None:  # not rendered
                continue
            found, (sx, sy, ratio) = await _frame_text_boxes(frame)
        except AsyncPlaywrightError as exc:
            if frame.parent_frame is None:
                raise
            logger.debug("masking: frame blacked out whole: {}", exc)
            if clip is not None:
                boxes.append(clip)
            continue
        if frame.parent_frame is None:
            origin, dpr = ((sx, sy) if full_page else (0.0, 0.0)), ratio
        for x0, y0, x1, y1 in found:
            if frame.parent_frame is not None:  # into main-frame viewport coordinates, clipped
                x0, y0, x1, y1 = x0 + clip[0], y0 + clip[1], x1 + clip[0], y1 + clip[1]
                x0, y0, x1, y1 = max(x0, clip[0]), max(y0, clip[1]), min(x1, clip[2]), min(y1, clip[3])
                if x0 >= x1 or y0 >= y1:
                    continue
            boxes.append((x0, y0, x1, y1))
    return [(x0 + origin[0], y0 + origin[1], x1 + origin[0], y1 + origin[1]) for x0, y0, x1, y1 in boxes], dpr


def paint_boxes(png: bytes, boxes: Sequence[Box], scale: float) -> bytes:
    """The PNG with every box filled black (``scale``: image pixels per CSS pixel)."""
    if not boxes:
        return png
    img = Image.open(io.BytesIO(png)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for x0, y0, x1, y1 in boxes:
        draw.rectangle(
            ((x0 - PAD) * scale, (y0 - PAD) * scale, (x1 + PAD) * scale - 1, (y1 + PAD) * scale - 1),
            fill=(0, 0, 0),
        )
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


TRIES = 3


def _covered(now: Sequence[Box], painted: Sequence[Box]) -> bool:
    """Every box found now lies inside a box that was painted (1 px tolerance)."""
    return all(
        any(a[0] >= b[0] - 1 and a[1] >= b[1] - 1 and a[2] <= b[2] + 1 and a[3] <= b[3] + 1 for b in painted)
        for a in now
    )


async def masked_screenshot(
    page: AsyncPage,
    path: Path,
    declared: Sequence[AsyncLocator],
    *,
    full_page: bool = True,
    timeout_ms: float = 10_000,
) -> Path:
    """A screenshot at ``path`` with everything the rule set hides blacked out (see module doc).

    The page is read again after the picture: if personal data appeared meanwhile outside what
    was masked, it is done again (up to ``TRIES`` times); a page that never holds still, or is
    gone, raises Playwright's error and nothing is written.
    """
    for _ in range(TRIES):
        fields = await _sensitive_fields(page)
        masks = [*declared, *(frame.locator(FIELD_SELECTOR).nth(i) for frame, i in fields)]
        boxes, dpr = await sensitive_text_boxes(page, full_page=full_page)
        png = await page.screenshot(full_page=full_page, mask=masks, mask_color="#000000", timeout=timeout_ms)
        after, _ = await sensitive_text_boxes(page, full_page=full_page)
        if set(await _sensitive_fields(page)) <= set(fields) and _covered(after, boxes):
            break
    else:
        raise AsyncPlaywrightError(
            tr(
                "画面が変化し続けるため、マスクしたスクリーンショットを撮れません",
                "the page keeps changing: no masked screenshot could be taken",
            )
        )
    data = paint_boxes(png, boxes, dpr)  # Playwright's default scale: device pixels
    return write_atomic(path, data)


__all__ = [
    "FIELD_SELECTOR",
    "FIELD_VALUES_JS",
    "mask_locators_for_page",
    "mask_locators_for_page_async",
    "masked_screenshot",
    "paint_boxes",
    "pii_kinds",
    "pii_patterns",
    "segments_to_hide",
    "sensitive_indexes",
    "sensitive_spans",
    "sensitive_text_boxes",
    "value_is_sensitive",
]
