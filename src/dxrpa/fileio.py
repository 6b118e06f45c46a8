"""Writing values other programs will open: spreadsheet cells that must stay text.

A value such as ``=HYPERLINK("http://x","y")`` typed by a resident, read by OCR or returned by a
web system becomes a live formula when a workbook stores it as one, and a CSV cell starting with
``= + - @`` (or tab / CR, as OWASP lists) is evaluated by Excel on open. Every dxrpa writer sends
its cells through :func:`as_text` (openpyxl cells) or :func:`csv_text` (CSV fields). Only strings
are touched: a real negative number stays a number.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """True for a string a spreadsheet would evaluate instead of showing."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def as_text(cell: Any) -> Any:
    """Store an openpyxl cell whose string value looks like a formula as text (and keep it text
    when someone edits it in Excel: quotePrefix); returns the cell for use in lists."""
    if formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def csv_text(value: Any) -> Any:
    """A CSV field Excel opens as text: a formula-like string gets a leading apostrophe (OWASP)."""
    return "'" + value if formula_like(value) else value
