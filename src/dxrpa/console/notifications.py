"""Notifications page: what the outbox sent, what waits for a retry and what failed, with the
reason (never the message body). Operators see it; a failed delivery is found here without
reading the scheduler's log."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dxrpa.console.web import ConsoleState, db, render, require, state
from dxrpa.i18n import tr
from dxrpa.notify.messages import render as message_of
from dxrpa.store import notify_repo

STATUSES = ("pending", "sending", "sent", "failed")


def status_word(status: str) -> str:
    words = {
        "pending": tr("送信待ち", "pending"),
        "sending": tr("送信中", "sending"),
        "sent": tr("送信済み", "sent"),
        "failed": tr("失敗", "failed"),
    }
    return words.get(status, status)


def _rows(st: ConsoleState, status: str | None) -> tuple[dict[str, int], list[dict[str, Any]]]:
    with st.reader.session() as s:
        counts = notify_repo.counts(s)
        rows = [
            {
                "id": row.id,
                "title": message_of(dict(row.facts or {})).title,
                "robot": row.robot,
                "department": row.department,
                "run_id": row.run_id,
                "channel": row.channel,
                "status": row.status,
                "attempts": row.attempts,
                "last_error": row.last_error or "",
                "next_attempt_at": row.next_attempt_at,
                "created_at": row.created_at,
                "sent_at": row.sent_at,
            }
            for row in notify_repo.recent(s, status=status, limit=100)
        ]
    return counts, rows


async def notifications_page(request: Request) -> Response:
    user = await require(request, "operator")
    wanted = request.query_params.get("status") or None
    status = wanted if wanted in STATUSES else None
    counts, rows = await db(request, _rows, state(request), status)
    return render(
        request,
        "notifications.html",
        user=user,
        counts=counts,
        rows=rows,
        status=status,
        statuses=STATUSES,
        status_word=status_word,
    )
