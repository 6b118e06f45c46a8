"""What a Playwright error means, read where the browser is driven.

Playwright says what went wrong in English prose ("strict mode violation: … resolved to 2
elements", "Target page, context or browser has been closed"). This is the one module that
reads that prose; the engine acts on a :class:`Fault`'s kind and never on message text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from playwright.async_api import Error as BrowserError
from playwright.async_api import TimeoutError as BrowserTimeout

from dxrpa.browser.suggest import alternatives

__all__ = ["BrowserError", "BrowserTimeout", "Fault", "FaultKind", "read_fault"]


class FaultKind(StrEnum):
    AMBIGUOUS = "ambiguous"  # a locator matched several elements (strict mode)
    TIMEOUT = "timeout"  # not found or not actionable in time
    CLOSED = "closed"  # the page, context or browser went away
    INVALID = "invalid"  # the robot asked for something impossible (bad selector, fill on a <div>)
    AUTH = "auth"  # HTTP 401 and no (right) credentials
    OTHER = "other"


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    first: str  # the message's first line, for staff
    count: str = "2+"  # AMBIGUOUS: how many elements matched
    each: list[str] = field(default_factory=list)  # AMBIGUOUS: each match's own locator (robot syntax)


_STRICT_COUNT = re.compile(r"resolved to (\d+) elements")
_CLOSED = ("target closed", "has been closed", "crash", "browser closed", "connection closed")
_INVALID = (
    "is not a valid selector",
    "unexpected token",
    "malformed",
    "unknown key",
    "not an <input>",
    "not a <select>",
    "not a checkbox or radio",
    "cannot uncheck radio",
    "invalid url",
    "not an input element",
    "node is not an html",
    "unsupported token",
    "unknown engine",
)


def read_fault(exc: BaseException) -> Fault | None:
    """The meaning of a Playwright error; None for anything else."""
    if not isinstance(exc, BrowserError):
        return None
    message = str(exc.message)
    first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    lower = message.lower()
    if "strict mode violation" in lower:
        m = _STRICT_COUNT.search(message)
        return Fault(FaultKind.AMBIGUOUS, first, m.group(1) if m else "2+", alternatives(message))
    if isinstance(exc, BrowserTimeout):
        return Fault(FaultKind.TIMEOUT, first)
    if "err_invalid_auth_credentials" in lower:
        return Fault(FaultKind.AUTH, first)
    if any(word in lower for word in _CLOSED):
        return Fault(FaultKind.CLOSED, first)
    if any(word in lower for word in _INVALID):
        return Fault(FaultKind.INVALID, first)
    return Fault(FaultKind.OTHER, first)
