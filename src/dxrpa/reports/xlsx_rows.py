"""Fast streamed rows for the large details sheet of the .xlsx report.

openpyxl builds a Python object per cell (≈10 µs each); a 20,000-run details sheet would cost
seconds. Here openpyxl writes the sheet with its header, print setup and styles as usual, and
the data rows are spliced into that sheet's ``<sheetData>`` afterwards, while the workbook is
copied to its final zip. Rows are generated from the database stream one at a time, so memory
stays flat. Cells are plain SpreadsheetML: numbers as ``<v>``, text as inline strings, dates as
Excel serial numbers with the style id registered through openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_EPOCH = datetime(1899, 12, 30)


def _cell(ref: str, value: Any, style: int | None) -> str:
    s = f' s="{style}"' if style is not None else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"{s}><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, datetime):
        serial = (value - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}"{s}><v>{serial!r}</v></c>'
    text = _ILLEGAL.sub("", str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{escape(text)}</t></is></c>'


def row_xml(row_idx: int, values: Sequence[Any], styles: Sequence[int | None], letters: Sequence[str]) -> str:
    cells = "".join(
        _cell(f"{letters[i]}{row_idx}", v, styles[i] if i < len(styles) else None)
        for i, v in enumerate(values)
    )
    return f'<row r="{row_idx}">{cells}</row>'


def letters_for(n: int) -> list[str]:
    return [get_column_letter(i) for i in range(1, n + 1)]


def splice_rows(src: Path, dst: Path, sheet_path: str, rows: Iterable[str]) -> None:
    """Copy the workbook ``src`` to ``dst``, appending ``rows`` (XML) to one sheet's sheetData."""
    name = sheet_path.lstrip("/")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != name:
                zout.writestr(info, zin.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
                continue
            xml = zin.read(name).decode("utf-8")
            cut = xml.rfind("</sheetData>")
            if cut < 0:  # an empty sheet is written as <sheetData/>
                cut = xml.rfind("<sheetData/>")
                head, tail = xml[:cut] + "<sheetData>", "</sheetData>" + xml[cut + len("<sheetData/>") :]
            else:
                head, tail = xml[:cut], xml[cut:]
            target = zipfile.ZipInfo(name, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with zout.open(target, "w") as out:
                out.write(head.encode("utf-8"))
                buf: list[str] = []
                for r in rows:
                    buf.append(r)
                    if len(buf) >= 500:
                        out.write("".join(buf).encode("utf-8"))
                        buf.clear()
                out.write("".join(buf).encode("utf-8"))
                out.write(tail.encode("utf-8"))
