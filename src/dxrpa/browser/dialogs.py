"""JavaScript dialogs (alert/confirm/prompt/beforeunload) answered the way the robot declared.

Each page gets one :class:`DialogDesk`, its only ``dialog`` listener. A ``click`` with
``dialog:`` answers the dialog that click opens; a ``dialog:`` step queues answers for the next
dialogs in order (a chain: a confirm whose handler raises an alert). A dialog nobody expected
is dismissed, so the page never hangs, and remembered: the step executor then fails the step
naming the dialog's text, instead of the robot going on as if the page had agreed.
"""

from __future__ import annotations

import contextlib
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from playwright.async_api import Dialog, Error, Page

from dxrpa.log import logger, redact


@dataclass(frozen=True)
class Answer:
    """One declared answer; ``text`` is already rendered."""

    accept: bool = True
    text: str | None = None  # prompt(): what to type
    keep_default: bool = False  # prompt(): keep the page's default value
    contains: str | None = None  # the message must contain this
    where: str = ""  # the step that declared it, for the log


@dataclass(frozen=True)
class Unexpected:
    """A dialog that came with no answer declared, or with a message other than declared."""

    kind: str  # alert / confirm / prompt / beforeunload
    message: str  # redacted
    wanted: str | None = None  # the `contains:` it did not match


class DialogDesk:
    """The answers waiting for one page's dialogs, and the dialogs that came unannounced."""

    def __init__(self, page: Page) -> None:
        self.queue: deque[Answer] = deque()
        self._scoped: Answer | None = None
        self.unexpected: list[Unexpected] = []
        page.on("dialog", self._on_dialog)

    @contextlib.contextmanager
    def answering(self, answer: Answer) -> Iterator[None]:
        """``answer`` is for the first dialog opened while the block runs (a click's ``dialog:``)."""
        self._scoped = answer
        try:
            yield
        finally:
            self._scoped = None

    def expect(self, answers: list[Answer]) -> None:
        self.queue.extend(answers)

    def take_unexpected(self) -> Unexpected | None:
        """The first unexpected dialog since the last call (and forget the rest)."""
        first = self.unexpected[0] if self.unexpected else None
        self.unexpected.clear()
        return first

    async def _on_dialog(self, dialog: Dialog) -> None:
        answer, self._scoped = self._scoped, None
        if answer is None and self.queue:
            answer = self.queue.popleft()
        message = redact(dialog.message)
        if answer is not None and answer.contains is not None and answer.contains not in dialog.message:
            self.unexpected.append(Unexpected(dialog.type, message, answer.contains))
            answer = None
        elif answer is None:
            self.unexpected.append(Unexpected(dialog.type, message))
        try:
            if answer is None:
                logger.warning(f"dialog ({dialog.type}) '{message}' → dismiss (unexpected)")
                await dialog.dismiss()
            elif answer.accept:
                text = dialog.default_value if answer.keep_default else answer.text
                logger.info(f"{answer.where}: dialog ({dialog.type}) '{message}' → accept")
                await (dialog.accept(text) if text is not None else dialog.accept())
            else:
                logger.info(f"{answer.where}: dialog ({dialog.type}) '{message}' → dismiss")
                await dialog.dismiss()
        except Error:  # already answered, or the page went away
            pass


_DESKS: weakref.WeakKeyDictionary[Page, DialogDesk] = weakref.WeakKeyDictionary()


def desk_for(page: Page) -> DialogDesk:
    """The page's desk, created (and its listener added) on first use."""
    desk = _DESKS.get(page)
    if desk is None:
        desk = _DESKS[page] = DialogDesk(page)
    return desk
