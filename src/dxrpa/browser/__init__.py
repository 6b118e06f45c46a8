"""Playwright session (launch, executable detection, guarded contexts) and locator resolution.

Never imports :mod:`dxrpa.ocr`, :mod:`dxrpa.store` or :mod:`dxrpa.engine` (layer contract).
"""

from dxrpa.browser.locators import build_locator, resolve_locator
from dxrpa.browser.masking import masked_screenshot
from dxrpa.browser.session import (
    BrowserHandle,
    ContextHandle,
    detect_executable,
    guard_for,
    launch,
)

__all__ = [
    "BrowserHandle",
    "ContextHandle",
    "build_locator",
    "detect_executable",
    "guard_for",
    "launch",
    "masked_screenshot",
    "resolve_locator",
]
