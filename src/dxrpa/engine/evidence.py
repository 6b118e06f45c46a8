"""Failure evidence: a masked full-page screenshot and a scrubbed Playwright trace.

Traces are recorded without screencast frames (they would show typed personal data) and, when
kept, every text entry of the archive passes the log redactor, so neither a secret nor a My
Number survives in ``trace.zip``.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from dxrpa.browser.masking import masked_screenshot
from dxrpa.log import logger, redact

_SAFE = re.compile(r"[^0-9A-Za-z_.\-\u3040-\u30ff\u4e00-\u9fff]+")


def safe_name(text: str) -> str:
    return _SAFE.sub("_", text)[:80] or "item"


async def screenshot(page: Page, path: Path, declared: list[Locator]) -> Path | None:
    """A full-page screenshot masked by the one rule set (:mod:`dxrpa.browser.masking`);
    None when the page is gone (crash)."""
    try:
        return await masked_screenshot(page, path, declared, full_page=True)
    except PlaywrightError as exc:
        logger.debug("no screenshot: {}", exc)
        return None


def scrub_trace(path: Path) -> None:
    """Rewrite a trace archive with every text entry redacted (secrets, My Numbers)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                dst.writestr(info, data)
                continue
            dst.writestr(info, redact(text).encode("utf-8"))
    os.replace(tmp, path)
