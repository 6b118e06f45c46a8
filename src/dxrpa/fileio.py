"""Ground-floor file helpers every layer may use (engine, reports, ocr, cli).

- :func:`atomic_path` / :func:`write_atomic`: write next to the target, then rename, so a failure
  never leaves a half-written file; private (0600) by default, synced to disk when asked.
  :func:`create_exclusive`: the same, but only if the target does not exist yet (key files).
- Spreadsheet cells that must stay text: a value such as ``=HYPERLINK("http://x","y")`` typed by a
  resident, read by OCR or returned by a web system becomes a live formula when a workbook stores
  it as one, and a CSV cell starting with ``= + - @`` (or tab / CR, as OWASP lists) is evaluated by
  Excel on open. Every dxrpa writer sends its cells through :func:`as_text` (openpyxl cells) or
  :func:`csv_text` (CSV fields). Only strings are touched: a real negative number stays a number.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def _temp_beside(target: Path, mode: int) -> Iterator[Path]:
    """A temporary file (``mode``) in the target's folder, removed afterwards unless renamed away."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, mode)
    try:
        yield tmp
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()


def _sync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextmanager
def atomic_path(target: Path, *, mode: int = 0o600, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``target``.

    A failure (or Ctrl+C) leaves the old file, or none, never a half-written one. Files are
    private (0600) by default: reports and robot data name residents and staff. ``fsync``
    flushes the data to disk before the rename (keys and secrets that must survive a power cut).
    """
    with _temp_beside(target, mode) as tmp:
        yield tmp
        if fsync:
            _sync(tmp)
        os.replace(tmp, target)


def write_atomic(target: Path, data: bytes | str, *, mode: int = 0o600, fsync: bool = False) -> Path:
    """Write ``data`` (str as UTF-8) to ``target`` through :func:`atomic_path`; returns ``target``."""
    with atomic_path(target, mode=mode, fsync=fsync) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return target


def create_exclusive(target: Path, data: bytes | str, *, mode: int = 0o600) -> bool:
    """Write ``data`` to ``target`` (synced to disk) only if ``target`` does not exist yet.

    Atomic "create if absent" (a hard link, unlike rename): two processes racing to create the same
    key file agree on one. Returns False when another one won; the caller then reads its file.
    """
    with _temp_beside(target, mode) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        _sync(tmp)
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        return True


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


__all__ = [
    "FORMULA_STARTS",
    "as_text",
    "atomic_path",
    "create_exclusive",
    "csv_text",
    "formula_like",
    "write_atomic",
]
