"""Append-only, hash-chained audit log: who registered, ran, reprocessed, set a secret, exported.

Row ``n`` stores ``hash = sha256(canonical JSON of (id, at, actor, action, subject, detail,
prev_hash))`` and ``prev_hash`` = the hash of row ``n-1`` (64 zeros for the first row). Ids are
consecutive from 1, so :func:`verify` finds an edited row (its hash no longer matches), a removed
row (a gap in the ids, or a broken link) and reordered rows (the id is part of the hash).
Removing the newest rows leaves a valid shorter chain; :func:`verify` reports the head hash so
it can be recorded elsewhere (a ticket, a paper log) and compared later.

Appends are serialized so two writers never fork the chain: SQLite sessions already start with
``BEGIN IMMEDIATE``; on PostgreSQL a transaction-scoped advisory lock is taken first (a
``FOR UPDATE`` on the last row would neither cover an empty table nor let the waiter see the
row committed meanwhile).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dxrpa.i18n import tr
from dxrpa.log import MASK, redact
from dxrpa.store.base import utcnow
from dxrpa.store.tables import AuditRow

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x64787270_61756474  # "dxrpaudt": one advisory lock for the audit chain
# detail keys whose values are never stored, whatever they hold
_SENSITIVE_KEYS = frozenset(
    {"value", "secret", "password", "passwd", "token", "api_key", "my_number", "mynumber", "kojin_bango"}
)

Problem = Literal["altered", "removed", "broken_link"]


def current_actor() -> str:
    """The OS user running this process (``unknown`` when the platform cannot tell)."""
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no USER/LOGNAME and no passwd entry (some containers)
        return "unknown"


def _scrub(value: Any, key: str = "") -> Any:
    """Detail values as plain JSON, with secrets, My Numbers and sensitive keys masked."""
    if key.lower() in _SENSITIVE_KEYS:
        return MASK
    if isinstance(value, dict):
        return {str(k): _scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN/inf are not JSON
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def compute_hash(
    id: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None,
    prev_hash: str,
) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces, UTF-8) of one row's fields."""
    canonical = json.dumps(
        [id, _iso(at), actor, action, subject, detail or {}, prev_hash],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def row_hash(row: Any) -> str:
    """Hash of an :class:`AuditRow` (or any object with the same attributes, e.g. a result row)."""
    return compute_hash(row.id, row.at, row.actor, row.action, row.subject, row.detail, row.prev_hash)


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def append(
    session: Session,
    actor: str,
    action: str,
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditRow:
    """Add one row at the end of the chain (in the caller's transaction; committed with it).

    An empty ``actor`` means the OS user. ``subject`` and ``detail`` pass the log redactor and
    keys such as ``password``/``value`` are masked, so no secret or My Number is ever stored.
    """
    _lock_chain(session)
    last = session.execute(select(AuditRow).order_by(AuditRow.id.desc()).limit(1)).scalar_one_or_none()
    row = AuditRow(
        id=(last.id + 1) if last else 1,
        at=utcnow(),
        actor=(actor or current_actor())[:100],
        action=action[:50],
        subject=redact(subject)[:200],
        detail=_scrub(detail or {}),
        prev_hash=last.hash if last else GENESIS,
    )
    row.hash = row_hash(row)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`. ``bad_id`` is the first row altered or removed (or ``None``)."""

    ok: bool
    checked: int
    head_id: int | None
    head_hash: str | None
    bad_id: int | None = None
    problem: Problem | None = None
    message: str = ""


def _bad(checked: int, bad_id: int, problem: Problem, message: str) -> VerifyResult:
    return VerifyResult(False, checked, None, None, bad_id, problem, message)


_COLUMNS = (
    AuditRow.id,
    AuditRow.at,
    AuditRow.actor,
    AuditRow.action,
    AuditRow.subject,
    AuditRow.detail,
    AuditRow.prev_hash,
    AuditRow.hash,
)


def verify(session: Session, *, batch: int = 1000) -> VerifyResult:
    """Recompute the whole chain in id order and report the first row altered or removed."""
    prev_id = 0
    prev_hash = GENESIS
    checked = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS).where(AuditRow.id > prev_id).order_by(AuditRow.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.id != prev_id + 1:
                gone = str(prev_id + 1) if row.id == prev_id + 2 else f"{prev_id + 1}–{row.id - 1}"
                return _bad(
                    checked,
                    prev_id + 1,
                    "removed",
                    tr(f"監査ログの行 {gone} が削除されています", f"audit row {gone} was removed"),
                )
            if row_hash(row) != row.hash:
                return _bad(
                    checked,
                    row.id,
                    "altered",
                    tr(
                        f"監査ログの行 {row.id} が改ざんされています({row.action} {row.subject})",
                        f"audit row {row.id} was altered ({row.action} {row.subject})",
                    ),
                )
            if row.prev_hash != prev_hash:
                first = max(prev_id, 1)
                return _bad(
                    checked,
                    first,
                    "broken_link",
                    tr(
                        f"監査ログの行 {row.id} が直前の行 {prev_id or '(先頭)'} とつながっていません"
                        f"(行 {first} が書き換えられたか差し替えられています)",
                        f"audit row {row.id} does not link to row {prev_id or '(start)'}"
                        f" (row {first} was altered or replaced)",
                    ),
                )
            prev_id, prev_hash = row.id, row.hash
            checked += 1
    head_id = prev_id or None
    head_hash = prev_hash if head_id else None
    return VerifyResult(
        True,
        checked,
        head_id,
        head_hash,
        message=tr(
            f"監査ログ {checked} 行を検証しました。改ざんはありません(最新行 {head_id or '-'})",
            f"verified {checked} audit rows: the chain is intact (head row {head_id or '-'})",
        ),
    )


def list_rows(session: Session, since: datetime | None = None, *, limit: int | None = None) -> list[AuditRow]:
    """Rows in id order, optionally only those at or after ``since`` (naive means UTC)."""
    query = select(AuditRow).order_by(AuditRow.id)
    if since is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        query = query.where(AuditRow.at >= since)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars().all())


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditRow)).scalar_one())


__all__ = [
    "GENESIS",
    "VerifyResult",
    "append",
    "compute_hash",
    "count",
    "current_actor",
    "list_rows",
    "row_hash",
    "verify",
]
