"""Progress figures of a live run for the console: total, percentage and ETA, and the items'
own evidence and outputs (``pii: true`` outputs stay masked)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dxrpa.engine.pii import shown_output
from dxrpa.store.base import utcnow
from dxrpa.store.tables import ItemAttempt


def figures(total: int, processed: int, started: datetime | None, finished: bool) -> dict[str, Any]:
    """``total``, ``percent`` (0–100) and ``eta_seconds`` (None while unknown)."""
    percent = min(100, round(processed * 100 / total)) if total else (100 if finished else 0)
    eta: float | None = None
    if total and processed and started is not None and not finished and processed < total:
        elapsed = max(0.0, (utcnow() - started).total_seconds())
        eta = round(elapsed / processed * (total - processed))
    return {"total": total, "percent": percent, "eta_seconds": eta}


def outputs_shown(outputs: dict[str, Any] | None) -> dict[str, str]:
    return {k: shown_output(v) for k, v in (outputs or {}).items()}


def evidence_of(run_id: str, attempts: Iterable[ItemAttempt]) -> list[dict[str, Any]]:
    """Each attempt's own screenshot and trace links, labelled with its attempt number."""
    return [
        {
            "attempt": a.attempt,
            "screenshot": f"/runs/{run_id}/attempts/{a.id}/screenshot" if a.screenshot else None,
            "trace": f"/runs/{run_id}/attempts/{a.id}/trace" if a.trace else None,
        }
        for a in attempts
        if a.screenshot or a.trace
    ]
