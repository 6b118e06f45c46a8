"""Is the runner that holds an item still alive? By PID *and* process start time.

A bare ``kill(pid, 0)`` says yes for a zombie (killed, not yet reaped) and for an unrelated
process that got the same PID later. So a run records :func:`start_token` of its own process
next to its PID, and :func:`alive` requires the PID to exist, not be a zombie, and still have
that start time. On Linux the token is the boot id plus ``/proc/PID/stat`` field 22 (start time
in clock ticks since boot); elsewhere the ``ps -o lstart=`` text (no psutil needed); where
neither exists the token is ``None`` and only the PID is checked.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat from field 3 (state) on; the command name may hold spaces."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


def _ps(pid: int, column: str) -> str | None:
    try:
        out = subprocess.run(
            ["ps", "-o", f"{column}=", "-p", str(pid)], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def start_token(pid: int) -> str | None:
    """A string that changes when ``pid`` is reused by another process (``None``: cannot tell)."""
    if _PROC.is_dir():
        fields = _stat_fields(pid)
        return f"{_boot_id()}:{fields[19]}" if fields and len(fields) > 19 else None
    return _ps(pid, "lstart")


def _zombie(pid: int) -> bool:
    if _PROC.is_dir():
        fields = _stat_fields(pid)
        return fields is None or fields[0] in ("Z", "X")
    state = _ps(pid, "stat")
    return state is None or state.startswith("Z")


def alive(pid: int, token: str | None = None) -> bool:
    """True while the process ``pid`` that recorded ``token`` (see :func:`start_token`) runs."""
    if pid == os.getpid():
        return token is None or token == start_token(pid)
    if os.name == "nt":  # os.kill would terminate it there; no cheap check: assume alive
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:
        return False
    if _zombie(pid):
        return False
    if token is None:
        return True
    now = start_token(pid)
    return now is None or now == token


__all__ = ["alive", "start_token"]
