"""Turn a robot's :class:`dxrpa.model.robot.Locator` into a Playwright ``Locator``.

Building is pure (no round trip): strictness comes from Playwright's own strict mode, which the
step executor turns into a RobotDefect. Only ``any:`` fallbacks cost round trips: each
alternative is counted in order, and if none matches yet we wait (once) for any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, cast

from playwright.async_api import FrameLocator, Page, TimeoutError
from playwright.async_api import Locator as PWLocator

from dxrpa.errors import ItemSystemError
from dxrpa.i18n import tr
from dxrpa.model.robot import Locator

Root: TypeAlias = Page | FrameLocator
Render: TypeAlias = Callable[[str], str]


def _same(text: str) -> str:
    return text


def build_locator(root: Root, loc: Locator, render: Render = _same) -> PWLocator:
    """A Playwright locator without any round trip; values may be templates.

    ``any:`` becomes the union of its alternatives (right for masks and counts); steps use
    :func:`resolve_locator`, which picks the first alternative that matches instead.
    """
    if loc.frame:
        root = root.frame_locator(render(loc.frame))
    target: PWLocator
    if loc.any:
        target = build_locator(root, loc.any[0], render)
        for alt in loc.any[1:]:
            target = target.or_(build_locator(root, alt, render))
    elif loc.role:
        name = render(loc.name) if loc.name else None
        role = cast(Any, loc.role)  # Playwright itself rejects an unknown role name
        target = root.get_by_role(role, name=name, exact=loc.exact if name else None)
    elif loc.label:
        target = root.get_by_label(render(loc.label), exact=loc.exact)
    elif loc.placeholder:
        target = root.get_by_placeholder(render(loc.placeholder), exact=loc.exact)
    elif loc.text:
        target = root.get_by_text(render(loc.text), exact=loc.exact)
    elif loc.test_id:
        target = root.get_by_test_id(render(loc.test_id))
    elif loc.css:
        target = root.locator(render(loc.css))
    elif loc.xpath:
        target = root.locator("xpath=" + render(loc.xpath))
    else:  # pragma: no cover - the model guarantees one strategy
        raise ValueError(f"locator without a strategy: {loc!r}")
    if loc.nth is not None:
        target = target.nth(loc.nth)
    return target


async def resolve_locator(root: Root, loc: Locator, render: Render = _same, *, timeout_ms: int) -> PWLocator:
    """Resolve a locator; ``any:`` picks the first alternative that matches (waiting up to the timeout)."""
    if not loc.any:
        return build_locator(root, loc, render)
    if loc.frame:
        root = root.frame_locator(render(loc.frame))
    alternatives = [build_locator(root, alt, render) for alt in loc.any]
    chosen = await _first_present(alternatives)
    if chosen is None:
        combined = alternatives[0]
        for alt in alternatives[1:]:
            combined = combined.or_(alt)
        try:
            await combined.first.wait_for(state="attached", timeout=timeout_ms)
        except TimeoutError:
            raise ItemSystemError(
                tr(
                    f"どの候補も {timeout_ms} ms 以内に現れません (timeout): {loc.describe()}",
                    f"no alternative matched within {timeout_ms} ms (timeout): {loc.describe()}",
                )
            ) from None
        chosen = await _first_present(alternatives)
        if chosen is None:  # it appeared and vanished again: take the first, its action will wait
            chosen = alternatives[0]
    return chosen.nth(loc.nth) if loc.nth is not None else chosen


async def _first_present(alternatives: list[PWLocator]) -> PWLocator | None:
    for alt in alternatives:
        if await alt.count() > 0:
            return alt
    return None
