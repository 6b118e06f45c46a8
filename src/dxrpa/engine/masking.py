"""What to black out in evidence screenshots: declared ``pii:`` locators plus any input whose value
looks like personal data (個人番号 with a valid check digit, a Japanese phone number, an e-mail
address) or is a resolved secret.

Usage by the engine::

    page.screenshot(path=..., full_page=True, mask=mask_locators_for_page(page, declared))
    await page.screenshot(..., mask=await mask_locators_for_page_async(page, declared))  # async API
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from playwright.async_api import Error as AsyncPlaywrightError
from playwright.async_api import Locator as AsyncLocator
from playwright.async_api import Page as AsyncPage
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from dxrpa.log import is_my_number, redact

#: Candidate patterns; ``my_number`` candidates are confirmed with the check digit.
pii_patterns: dict[str, re.Pattern[str]] = {
    "my_number": re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)"),
    "phone": re.compile(r"(?<![\d+])(?:\+81[- ]?\(?0?\)?|0)\d{1,4}[- ]?\(?\d{1,4}\)?[- ]?\d{3,4}(?!\d)"),
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
}

#: Inputs and textareas whose value is checked (buttons, checkboxes and hidden fields never show text).
FIELD_SELECTOR = (
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=button])"
    ":not([type=submit]):not([type=reset]):not([type=image]):not([type=file]), textarea"
)


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.lstrip().startswith("+81"):
        digits = "0" + digits[2:].lstrip("0")
    return digits.startswith("0") and len(digits) in (10, 11)


def pii_kinds(value: str) -> list[str]:
    """Which kinds of personal data ``value`` contains (``my_number``, ``phone``, ``email``)."""
    text = unicodedata.normalize("NFKC", value)  # full-width digits and ＠ count too
    kinds = []
    if any(is_my_number(m.group(0)) for m in pii_patterns["my_number"].finditer(text)):
        kinds.append("my_number")
    if any(_is_phone(m.group(0)) for m in pii_patterns["phone"].finditer(text)):
        kinds.append("phone")
    if pii_patterns["email"].search(text):
        kinds.append("email")
    return kinds


def value_is_sensitive(value: str) -> bool:
    """True if the value holds a My Number, phone number, e-mail or a resolved secret."""
    if not value or not value.strip():
        return False
    return bool(pii_kinds(value)) or redact(value) != value


#: Read ``[type, current value]`` of every matched field in one round trip.
FIELD_VALUES_JS = "els => els.map(e => [String(e.type || ''), String(e.value ?? '')])"


def sensitive_indexes(fields: Sequence[Sequence[str]]) -> list[int]:
    """Positions in ``[[type, value], ...]`` (:data:`FIELD_VALUES_JS`) to mask; password fields always."""
    return [i for i, (kind, value) in enumerate(fields) if kind == "password" or value_is_sensitive(value)]


def sensitive_field_indexes(page: Page) -> list[int]:
    """Indexes (for ``page.locator(FIELD_SELECTOR).nth(i)``) of fields with a sensitive value.

    All values are read in one round trip over the very locator later indexed, so the order
    (including open shadow roots) matches.
    """
    try:
        fields: list[list[str]] = page.locator(FIELD_SELECTOR).evaluate_all(FIELD_VALUES_JS)
    except PlaywrightError:  # page closed or navigating: fall back to the declared locators only
        return []
    return sensitive_indexes(fields)


def mask_locators_for_page(page: Page, declared: Sequence[Locator]) -> list[Locator]:
    """Locators to pass as ``mask=`` to ``page.screenshot``: the declared ``pii:`` ones plus every
    input/textarea of the main frame whose current value looks like personal data or a secret."""
    fields = page.locator(FIELD_SELECTOR)
    return [*declared, *(fields.nth(i) for i in sensitive_field_indexes(page))]


async def mask_locators_for_page_async(
    page: AsyncPage, declared: Sequence[AsyncLocator]
) -> list[AsyncLocator]:
    """:func:`mask_locators_for_page` for Playwright's async API."""
    fields = page.locator(FIELD_SELECTOR)
    try:
        values: list[list[str]] = await fields.evaluate_all(FIELD_VALUES_JS)
    except AsyncPlaywrightError:
        values = []
    return [*declared, *(fields.nth(i) for i in sensitive_indexes(values))]


__all__ = [
    "FIELD_SELECTOR",
    "FIELD_VALUES_JS",
    "mask_locators_for_page",
    "mask_locators_for_page_async",
    "pii_kinds",
    "pii_patterns",
    "sensitive_field_indexes",
    "sensitive_indexes",
    "value_is_sensitive",
]
