"""Helpers to read a written workbook back with openpyxl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet


def open_book(path: Path) -> Any:
    return load_workbook(path)


def key_values(ws: Worksheet) -> dict[str, Any]:
    """Column A label → column B value (summary / estimate sheets)."""
    out: dict[str, Any] = {}
    for row in ws.iter_rows(min_col=1, max_col=2):
        label, value = row[0].value, row[1]
        if isinstance(label, str) and label not in out:
            out[label] = value
    return out


def table(ws: Worksheet) -> tuple[list[str], list[list[Any]]]:
    """Header row and the data rows (cells) below it, stopping at the first empty row."""
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]]
    body = []
    for r in rows[1:]:
        if all(c.value is None for c in r):
            break
        body.append(list(r))
    return header, body
