"""Why a locator found nothing: a settled page that has no such element is the robot's mistake
(say so at once, with the closest names on the page), a page still busy is worth a retry."""

from __future__ import annotations

import difflib
from typing import Any

from playwright.async_api import Error, FrameLocator, Page
from playwright.async_api import Locator as PWLocator

from dxrpa.browser.inspect import INSPECT_ON_ELEMENT_JS
from dxrpa.model.robot import Locator

_SETTLE_MS = 2_000


async def absent_on_settled_page(page: Page, target: PWLocator) -> bool:
    """True when ``target`` matches nothing and the page has finished loading and gone quiet."""
    try:
        if await target.count() > 0:
            return False
        await page.wait_for_load_state("load", timeout=_SETTLE_MS)
        await page.wait_for_load_state("networkidle", timeout=_SETTLE_MS)
        return await target.count() == 0
    except Error:  # still navigating or loading: not proof of a wrong locator
        return False


def _wanted(loc: Locator) -> str:
    return loc.label or loc.name or loc.placeholder or loc.text or loc.test_id or ""


def _names(control: dict[str, Any]) -> str:
    loc = control["locator"]
    return str(loc.get("label") or loc.get("name") or loc.get("placeholder") or loc.get("text") or "")


async def closest_locators(root: Page | FrameLocator, loc: Locator, *, limit: int = 3) -> list[str]:
    """Locators on the page whose label or name is closest to the one asked for, as ``label=氏名``."""
    wanted = _wanted(loc)
    if not wanted:
        return []
    try:
        data = await root.locator("html").evaluate(INSPECT_ON_ELEMENT_JS)
    except Error:
        return []
    scored: list[tuple[float, str]] = []
    for control in data.get("controls", []):
        name = _names(control)
        if not name:
            continue
        ratio = difflib.SequenceMatcher(None, wanted, name).ratio()
        if wanted in name or name in wanted:
            ratio += 0.5
        if loc.role and control.get("role") == loc.role:
            ratio += 0.2
        if ratio >= 0.3:
            spec = {k: v for k, v in control["locator"].items() if k != "frame"}
            try:
                scored.append((ratio, Locator(**spec).describe()))
            except ValueError:
                continue
    scored.sort(key=lambda pair: -pair[0])
    return list(dict.fromkeys(text for _, text in scored))[:limit]


__all__ = ["absent_on_settled_page", "closest_locators"]
