"""Ground-floor file helpers every layer may use (engine, reports, ocr, cli)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


@contextmanager
def atomic_path(target: Path, *, mode: int = 0o600) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``target``.

    A failure (or Ctrl+C) leaves the old file, or none, never a half-written one. Files are
    private (0600) by default: reports and robot data name residents and staff.
    """
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, mode)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()


__all__ = ["atomic_path"]
