"""What a locator can name on a page, for ``dxrpa inspect``: form controls with their labels and
roles, buttons, links, tables and frames, each with the most readable locator that is unique.

The listing comes from the same candidate rules the recorder uses (``locate.js``), so what
``inspect`` suggests is what ``record`` would write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Error, Page

from dxrpa.browser.recorder import LOCATE_JS, frame_selector

_INSPECT_BODY = LOCATE_JS + (Path(__file__).parent / "inspect.js").read_text(encoding="utf-8")
_INSPECT_JS = "() => {\n" + _INSPECT_BODY + "\n}"
#: the same listing run from an element (a frame locator has no evaluate of its own)
INSPECT_ON_ELEMENT_JS = "(_element) => {\n" + _INSPECT_BODY + "\n}"


@dataclass
class FrameInventory:
    """One document's nameable elements; ``frame`` is the iframe's CSS (``None`` for the page)."""

    url: str
    title: str
    frame: str | None
    controls: list[dict[str, Any]] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    frames: list[dict[str, str]] = field(default_factory=list)


async def inventory(page: Page) -> list[FrameInventory]:
    """The page first, then each frame whose document can be read (same or other origin)."""
    out: list[FrameInventory] = []
    for frame in page.frames:
        try:
            data = await frame.evaluate(_INSPECT_JS)
        except Error:
            continue  # a frame that navigated away or was removed meanwhile
        css = None if frame == page.main_frame else await frame_selector(frame)
        inv = FrameInventory(url=data["url"], title=data["title"], frame=css)
        for control in data["controls"]:
            if css:
                control["locator"]["frame"] = css
            inv.controls.append(control)
        for table in data["tables"]:
            if css:
                table["locator"]["frame"] = css
            inv.tables.append(table)
        inv.frames = data["frames"]
        out.append(inv)
    return out


__all__ = ["INSPECT_ON_ELEMENT_JS", "FrameInventory", "inventory"]
