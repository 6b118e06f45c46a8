"""Times printed by the CLI in the configured zone (settings.timezone, Asia/Tokyo by default), as
reports and the console show them — never the host's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local(at: datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``at`` in ``zone`` as ``fmt``; ``-`` when there is no time."""
    return at.astimezone(ZoneInfo(zone)).strftime(fmt) if at else "-"
