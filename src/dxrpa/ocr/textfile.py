"""Read a text file a city maintains (町字 master, dictionary): UTF-8 with or without BOM, or cp932.

Excel saves CSV as cp932 or UTF-8 with BOM, so both are read; anything else is an error naming the
file and the first line that cannot be decoded.
"""

from __future__ import annotations

from pathlib import Path

from dxrpa.errors import DefinitionError
from dxrpa.i18n import tr


def decode(path: Path, data: bytes) -> str:
    """``data`` (the bytes of ``path``) as text; DefinitionError at the first undecodable line."""
    encodings = ["utf-8-sig"] if data.startswith(b"\xef\xbb\xbf") else ["utf-8", "cp932"]
    first: UnicodeDecodeError | None = None
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            first = first or exc
    assert first is not None
    line = data[: first.start].count(b"\n") + 1
    raise DefinitionError(
        tr("文字コードを読めません", "cannot decode the file"),
        path=path,
        line=line,
        hint=tr(
            "UTF-8（BOM 可）か Shift_JIS（cp932）で保存してください",
            "save it as UTF-8 (BOM allowed) or cp932",
        ),
    ) from first
