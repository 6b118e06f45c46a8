"""Record what a person does in a browser context as a list of :class:`RecordedAction`.

``recorder.js`` runs in every frame and reports clicks, typed values, selections, checks, uploads
and Enter presses with locator candidates (role+name, label, placeholder, text, test_id, css),
each marked unique or not on the page as it was at that moment. This side picks the most readable
unique one, re-checks it with Playwright where the page is still there, and adds what only
Playwright sees: dialogs (answered: accepted, a prompt keeps its default), downloads, popups,
frames and navigations the person typed. Nothing is written into the recorded pages.

Turning actions into a robot file is :mod:`dxrpa.engine.recording`'s job.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Dialog, Download, Error, Frame, Page

from dxrpa.browser.locators import build_locator
from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.model.robot import Locator

_HERE = Path(__file__).parent
LOCATE_JS = (_HERE / "locate.js").read_text(encoding="utf-8")
RECORDER_JS = "(() => {\n" + LOCATE_JS + (_HERE / "recorder.js").read_text(encoding="utf-8") + "\n})();"
_STRATEGIES = ("role", "label", "placeholder", "text", "test_id", "css")
#: a navigation this soon after a recorded action is that action's doing, not a typed URL
_CAUSED_WITHIN_S = 3.0

FRAME_SELECTOR_JS = """el => {
  const esc = s => s.replace(/"/g, '\\\\"');
  for (const attr of ['title', 'name', 'id']) {
    const v = el.getAttribute(attr);
    if (v && document.querySelectorAll(`iframe[${attr}="${esc(v)}"]`).length === 1)
      return `iframe[${attr}="${esc(v)}"]`;
  }
  const all = Array.from(document.querySelectorAll('iframe'));
  return `iframe >> nth=${all.indexOf(el)}`;
}"""


async def frame_selector(frame: Frame) -> str | None:
    """CSS naming ``frame``'s iframe in its parent (title, name, id, else its position)."""
    try:
        element = await frame.frame_element()
        return str(await element.evaluate(FRAME_SELECTOR_JS))
    except Error:
        return None


@dataclass
class RecordedAction:
    """One thing the person did, with the locator chosen for it (``None`` for goto)."""

    kind: str  # goto | click | fill | select | check | uncheck | upload | press | popup
    locator: dict[str, Any] | None = None
    value: Any = None  # fill/select value, upload file names, press key, goto/popup URL
    secret: bool = False  # typed into a password field: the value is never kept
    frame: str | None = None  # CSS of the iframe the element lives in
    dialog: str | None = None  # a click that raised a dialog: how it was answered
    download: str | None = None  # a click that started a download: the suggested file name
    page_url: str = ""
    at: float = field(default_factory=time.monotonic)


def choose_locator(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """The first unique candidate in the recorder's order of readability; css as the last resort."""
    for cand in candidates:
        if cand.get("unique"):
            return {k: v for k, v in cand.items() if k != "unique"}
    last = candidates[-1] if candidates else {"css": "body"}
    return {k: v for k, v in last.items() if k != "unique"}


class Recorder:
    """Attach to a context with :meth:`attach`; read :attr:`actions` when the person is done."""

    def __init__(self) -> None:
        self.actions: list[RecordedAction] = []
        self.pages: list[Page] = []
        self.closed = asyncio.Event()  # every recorded page is closed (the person closed the window)
        self._pending: set[asyncio.Task[None]] = set()

    async def attach(self, context: BrowserContext) -> None:
        await context.expose_binding("__dxrpaRecord", self._on_record)
        await context.add_init_script(script=RECORDER_JS)
        context.on("page", self._on_new_page)
        for page in context.pages:
            self._watch(page)

    async def start(self, page: Page, url: str) -> None:
        """Open the first page; it is recorded as the robot's first ``goto``."""
        self.actions.append(RecordedAction("goto", value=url, page_url=url))
        try:
            await page.goto(url)
        except Error as exc:
            if page.is_closed() or type(exc).__name__ == "TargetClosedError":
                self.closed.set()  # the person closed the window while it was still loading
                return
            first = str(exc.message).strip().splitlines()[0] if exc.message else type(exc).__name__
            raise UsageError(
                tr(f"{url} を開けません: {first}", f"cannot open {url}: {first}"),
                hint=tr(
                    "URL と、そのシステムに届くかを確かめてください",
                    "check the URL and that the system is reachable",
                ),
            ) from exc

    async def settle(self) -> None:
        """Wait for reports still being processed (call before reading :attr:`actions`)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    # ------------------------------------------------------------------ page events

    def _watch(self, page: Page) -> None:
        if page in self.pages:
            return
        self.pages.append(page)
        page.on("dialog", self._on_dialog)
        page.on("download", self._on_download)
        page.on("framenavigated", self._on_navigated)
        page.on("close", self._on_close)

    def _on_new_page(self, page: Page) -> None:
        known = bool(self.pages)
        self._watch(page)
        if known:  # a window opened from a recorded page (target=_blank, window.open)
            self._later(self._record_popup(page))

    async def _record_popup(self, page: Page) -> None:
        with contextlib.suppress(Error):
            await page.wait_for_load_state("domcontentloaded", timeout=10_000)
        self.actions.append(RecordedAction("popup", value=page.url, page_url=page.url))

    def _on_close(self, page: Page) -> None:
        if all(p.is_closed() for p in self.pages):
            self.closed.set()

    def _on_dialog(self, dialog: Dialog) -> None:
        click = self._last("click")
        if click is not None and click.dialog is None:
            click.dialog = "accept"
        self._later(dialog.accept())  # a prompt keeps its default value

    def _on_download(self, download: Download) -> None:
        click = self._last("click")
        if click is not None:
            click.download = download.suggested_filename

    def _on_navigated(self, frame: Frame) -> None:
        if frame != frame.page.main_frame or not self.actions:
            return
        if time.monotonic() - self.actions[-1].at < _CAUSED_WITHIN_S:
            return
        self._later(self._maybe_typed_url(frame))

    async def _maybe_typed_url(self, frame: Frame) -> None:
        """A navigation with no referrer, long after the last action: the person typed a URL."""
        try:
            referrer = await frame.evaluate("document.referrer")
        except Error:
            return
        url = frame.url
        if not referrer and url.startswith("http") and url != self.actions[-1].value:
            self.actions.append(RecordedAction("goto", value=url, page_url=url))

    # ------------------------------------------------------------------ reports from recorder.js

    async def _on_record(self, source: dict[str, Any], data: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._record(source, data))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        await task

    async def _record(self, source: dict[str, Any], data: dict[str, Any]) -> None:
        """Keep the action in arrival order at once; its locator is checked afterwards."""
        page: Page = source["page"]
        frame: Frame = source["frame"]
        kind = data["kind"]
        candidates = [c for c in data.get("candidates", []) if any(k in c for k in _STRATEGIES)]
        action = RecordedAction(kind, locator=choose_locator(candidates), page_url=page.url)
        if kind == "upload":
            action.value = data.get("files")
        elif kind == "press":
            action.value = data.get("key")
        elif kind in ("fill", "select"):
            action.secret = bool(data.get("secret"))
            action.value = None if action.secret else data.get("value", "")  # a password is never kept
        last = self.actions[-1] if self.actions else None
        if last is not None and kind == "fill" and last.kind == "fill" and last.locator == action.locator:
            self.actions[-1] = action  # keydown-Enter and change both report the same fill
        else:
            self.actions.append(action)
        action.frame = None if frame == page.main_frame else await frame_selector(frame)
        action.locator = await self._verified(page, candidates, action.frame, kind)

    async def _verified(
        self, page: Page, candidates: list[dict[str, Any]], frame_css: str | None, kind: str
    ) -> dict[str, Any]:
        """Re-check the candidates with Playwright's own matching where the page is still there.

        A click may already have navigated away, so it keeps the recorder's own uniqueness check.
        """
        if kind == "click" or not candidates:
            return choose_locator(candidates)
        root: Any = page.frame_locator(frame_css) if frame_css else page
        for cand in candidates:
            spec = {k: v for k, v in cand.items() if k != "unique"}
            try:
                if await build_locator(root, Locator(**spec)).count() == 1:
                    return spec
            except (Error, ValueError):
                continue
        return choose_locator(candidates)

    # ------------------------------------------------------------------ helpers

    def _last(self, kind: str) -> RecordedAction | None:
        for action in reversed(self.actions):
            if action.kind == kind:
                return action
        return None

    def _later(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(self._quietly(coro))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @staticmethod
    async def _quietly(coro: Any) -> None:
        with contextlib.suppress(Error):
            await coro


__all__ = ["LOCATE_JS", "RECORDER_JS", "RecordedAction", "Recorder", "choose_locator", "frame_selector"]
