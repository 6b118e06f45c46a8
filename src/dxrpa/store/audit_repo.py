"""Append-only, HMAC-chained audit log: who registered, ran, reprocessed, set a secret, exported.

Row ``n`` stores ``hash = HMAC-SHA256(key, canonical JSON of (id, at, actor, action, subject,
detail, prev_hash))`` and ``prev_hash`` = the hash of row ``n-1`` (64 zeros for the first row).
The key lives outside the database (:mod:`dxrpa.store.audit_key`), so someone who can write the
database cannot recompute the chain after an edit or a delete. Ids are consecutive from 1, so
:func:`verify` finds an edited row (its HMAC no longer matches), a row recomputed with the old
unkeyed rule (``unkeyed``), a removed row (a gap in the ids, or a broken link) and reordered rows
(the id is part of the hash).

Removing the newest rows leaves a valid shorter chain. A *signed head* (:func:`make_anchor`:
row id, row count, head hash, time, HMAC over them) is exported on demand
(``dxrpa audit anchor``) and with every report; ``verify(anchor=...)`` then also detects a
truncated or rewritten tail.

Rows written before the chain was keyed (plain SHA-256) are re-keyed once, when the key file is
created (:func:`rekey`, after checking them with the old rule); an ``audit.rekeyed`` row records
it. With a key from the environment the operator runs ``dxrpa audit rekey`` instead. After that
verify never accepts the unkeyed rule again.

Appends are serialized so two writers never fork the chain: SQLite sessions already start with
``BEGIN IMMEDIATE``; on PostgreSQL a transaction-scoped advisory lock is taken first (a
``FOR UPDATE`` on the last row would neither cover an empty table nor let the waiter see the
row committed meanwhile).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from dxrpa.errors import IntegrityError, StoreError
from dxrpa.fileio import write_atomic
from dxrpa.i18n import tr
from dxrpa.log import MASK, redact
from dxrpa.store.base import utcnow
from dxrpa.store.tables import AuditRow

GENESIS = "0" * 64
ANCHOR_KIND = "dxrpa-audit-anchor"
KEY_INFO = "dxrpa_audit_key"  # Session.info entry: a callable returning the chain's HMAC key
_PG_LOCK_KEY = 0x64787270_61756474  # "dxrpaudt": one advisory lock for the audit chain
# detail keys whose values are never stored, whatever they hold
_SENSITIVE_KEYS = frozenset(
    {"value", "secret", "password", "passwd", "token", "api_key", "my_number", "mynumber", "kojin_bango"}
)

Problem = Literal["altered", "unkeyed", "removed", "broken_link", "truncated", "bad_anchor"]


def current_actor() -> str:
    """The OS user running this process (``unknown`` when the platform cannot tell)."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no USER/LOGNAME and no passwd entry (some containers)
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


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def compute_hash(
    id: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None,
    prev_hash: str,
    *,
    key: bytes | None = None,
) -> str:
    """HMAC-SHA256 with ``key`` of the canonical JSON (sorted keys, no spaces, UTF-8) of one
    row's fields; without a key the old unkeyed rule (plain SHA-256), used only to re-key."""
    canonical = _canonical([id, _iso(at), actor, action, subject, detail or {}, prev_hash])
    if key is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def row_hash(row: Any, key: bytes | None = None) -> str:
    """Hash of an :class:`AuditRow` (or any object with the same attributes, e.g. a result row)."""
    return compute_hash(
        row.id, row.at, row.actor, row.action, row.subject, row.detail, row.prev_hash, key=key
    )


def session_key(session: Session) -> bytes:
    """The chain key of the :class:`~dxrpa.store.base.Store` this session came from."""
    provider: Callable[[], bytes] | None = session.info.get(KEY_INFO)
    if provider is None:
        raise StoreError(
            tr("監査ログの鍵がないセッションです", "this session has no audit key"),
            hint=tr("Store.session() を使ってください", "open sessions with Store.session()"),
        )
    return provider()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def _last(session: Session) -> AuditRow | None:
    return session.execute(select(AuditRow).order_by(AuditRow.id.desc()).limit(1)).scalar_one_or_none()


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
    key = session_key(session)
    return _append(session, key, actor, action, subject, detail)


def _append(
    session: Session, key: bytes, actor: str, action: str, subject: str, detail: dict[str, Any] | None
) -> AuditRow:
    _lock_chain(session)
    last = _last(session)
    row = AuditRow(
        id=(last.id + 1) if last else 1,
        at=utcnow(),
        actor=(actor or current_actor())[:100],
        action=action[:50],
        subject=redact(subject)[:200],
        detail=_scrub(detail or {}),
        prev_hash=last.hash if last else GENESIS,
    )
    row.hash = row_hash(row, key)
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


def _bad(checked: int, bad_id: int | None, problem: Problem, message: str) -> VerifyResult:
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


def _rows(session: Session, batch: int) -> Iterator[Any]:
    prev_id = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS).where(AuditRow.id > prev_id).order_by(AuditRow.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        prev_id = rows[-1].id


def _removed(checked: int, expected: int, found: int) -> VerifyResult:
    gone = str(expected) if found == expected + 1 else f"{expected}–{found - 1}"
    message = tr(f"監査ログの行 {gone} が削除されています", f"audit row {gone} was removed")
    return _bad(checked, expected, "removed", message)


def verify(session: Session, *, anchor: dict[str, Any] | None = None, batch: int = 1000) -> VerifyResult:
    """Recompute the whole chain with the key in id order and report the first row altered,
    recomputed without the key, or removed; with ``anchor`` (see :func:`make_anchor`) also
    report a chain that no longer reaches the signed head (truncated or rewritten tail)."""
    key = session_key(session)
    if anchor is not None:
        bad = _check_anchor_signature(key, anchor)
        if bad is not None:
            return bad
    anchor_id = int(anchor["head_id"]) if anchor else 0
    anchor_seen: str | None = GENESIS if anchor_id == 0 else None  # an anchor of an empty log
    prev_id = 0
    prev_hash = GENESIS
    checked = 0
    for row in _rows(session, batch):
        if row.id != prev_id + 1:
            return _removed(checked, prev_id + 1, row.id)
        if row_hash(row, key) != row.hash:
            if row_hash(row) == row.hash:
                return _bad(
                    checked,
                    row.id,
                    "unkeyed",
                    tr(
                        f"監査ログの行 {row.id} は鍵なしで計算し直されています({row.action} {row.subject})",
                        f"audit row {row.id} was recomputed without the key ({row.action} {row.subject})",
                    ),
                )
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
        if row.id == anchor_id:
            anchor_seen = row.hash
        prev_id, prev_hash = row.id, row.hash
        checked += 1
    if anchor is not None and (anchor_seen != anchor["head_hash"] or checked < int(anchor["count"])):
        return _bad(
            checked,
            min(prev_id + 1, anchor_id),
            "truncated",
            tr(
                f"監査ログが署名済みの最新行 {anchor_id}({anchor['count']} 行)と一致しません"
                f"(現在 {checked} 行): 末尾が削除されたか書き換えられています",
                f"the audit log no longer matches the signed head row {anchor_id} ({anchor['count']} rows;"
                f" now {checked}): its tail was removed or rewritten",
            ),
        )
    head_id = prev_id or None
    head_hash = prev_hash if head_id else None
    against = tr(f"、署名済みの最新行 {anchor_id} と一致", f", matches the signed head row {anchor_id}")
    return VerifyResult(
        True,
        checked,
        head_id,
        head_hash,
        message=tr(
            f"監査ログ {checked} 行を検証しました。改ざんはありません(最新行 {head_id or '-'}"
            f"{against if anchor else ''})",
            f"verified {checked} audit rows: the chain is intact (head row {head_id or '-'}"
            f"{against if anchor else ''})",
        ),
    )


# ---------------------------------------------------------------- signed head (anchor)

_ANCHOR_FIELDS = ("kind", "version", "head_id", "count", "head_hash", "at")


def _anchor_sig(key: bytes, anchor: dict[str, Any]) -> str:
    payload = b"anchor\0" + _canonical([anchor.get(f) for f in _ANCHOR_FIELDS])
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def make_anchor(session: Session) -> dict[str, Any]:
    """The current head (row id, row count, hash, time) signed with the chain key."""
    key = session_key(session)
    _lock_chain(session)  # head and count from the same moment on PostgreSQL too
    last = _last(session)
    anchor: dict[str, Any] = {
        "kind": ANCHOR_KIND,
        "version": 1,
        "head_id": last.id if last else 0,
        "count": count(session),
        "head_hash": last.hash if last else GENESIS,
        "at": _iso(utcnow()),
    }
    anchor["sig"] = _anchor_sig(key, anchor)
    return anchor


def anchor_path(report: Path) -> Path:
    """Where the signed head exported with ``report`` goes: ``<report>.anchor.json``."""
    return report.with_name(report.name + ".anchor.json")


def write_anchor(session: Session, path: Path) -> Path:
    """Write :func:`make_anchor` as JSON to ``path`` (atomically: tmp file + rename)."""
    data = json.dumps(make_anchor(session), ensure_ascii=False, indent=1) + "\n"
    return write_atomic(path, data)


def _check_anchor_signature(key: bytes, anchor: dict[str, Any]) -> VerifyResult | None:
    try:
        well_formed = anchor.get("kind") == ANCHOR_KIND and int(anchor["head_id"]) >= 0
        well_formed = well_formed and int(anchor["count"]) >= 0 and isinstance(anchor["head_hash"], str)
    except (KeyError, TypeError, ValueError):
        well_formed = False
    sig = anchor.get("sig")
    if well_formed and isinstance(sig, str) and hmac.compare_digest(sig, _anchor_sig(key, anchor)):
        return None
    return _bad(
        0,
        None,
        "bad_anchor",
        tr(
            "署名済みの最新行(アンカー)の署名が一致しません: 書き換えられたか、別の鍵のものです",
            "the signed head (anchor) does not verify: it was edited or signed with another key",
        ),
    )


# ---------------------------------------------------------------- re-keying old rows


def rekey(session: Session, key: bytes, *, actor: str = "", batch: int = 1000) -> int:
    """Re-hash every row with ``key`` after checking it: unkeyed (SHA-256) rows are accepted only
    as an unbroken prefix of the chain, keyed rows after them. Returns the number of unkeyed rows
    found (0: nothing to do, nothing written); otherwise appends ``audit.rekeyed``.
    Raises :class:`IntegrityError` when the chain is already broken (nothing is changed)."""
    _lock_chain(session)
    prev_id, prev_hash, legacy, keyed_seen = 0, GENESIS, 0, False
    rows: list[Any] = []
    for row in _rows(session, batch):
        if row.id != prev_id + 1:
            raise IntegrityError(_removed(prev_id, prev_id + 1, row.id).message)
        is_keyed = row_hash(row, key) == row.hash
        is_legacy = not is_keyed and not keyed_seen and row_hash(row) == row.hash
        if not (is_keyed or is_legacy) or row.prev_hash != prev_hash:
            raise IntegrityError(
                tr(
                    f"監査ログの行 {row.id} が壊れているため鍵付きに移行できません",
                    f"audit row {row.id} is broken: the chain cannot be re-keyed",
                ),
                hint=tr("`dxrpa audit verify` で確認してください", "see `dxrpa audit verify`"),
            )
        keyed_seen = keyed_seen or is_keyed
        legacy += is_legacy
        rows.append(row)
        prev_id, prev_hash = row.id, row.hash
    if not legacy:
        return 0
    old_head = prev_hash
    new_prev = GENESIS
    for row in rows:
        new_hash = compute_hash(
            row.id, row.at, row.actor, row.action, row.subject, row.detail, new_prev, key=key
        )
        session.execute(
            update(AuditRow)
            .where(AuditRow.id == row.id)
            .values(prev_hash=new_prev, hash=new_hash)
            .execution_options(synchronize_session=False)
        )
        new_prev = new_hash
    session.expire_all()
    _append(session, key, actor, "audit.rekeyed", "", {"unkeyed_rows": legacy, "old_head": old_head})
    return legacy


def keyed_elsewhere(session: Session) -> bool:
    """True when the newest row is neither unkeyed nor empty: the log was keyed with a key this
    process does not have (a lost key file, or another host's key)."""
    last = _last(session)
    return last is not None and row_hash(last) != last.hash


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
    "ANCHOR_KIND",
    "GENESIS",
    "KEY_INFO",
    "VerifyResult",
    "anchor_path",
    "append",
    "compute_hash",
    "count",
    "current_actor",
    "keyed_elsewhere",
    "list_rows",
    "make_anchor",
    "rekey",
    "row_hash",
    "session_key",
    "verify",
    "write_anchor",
]
