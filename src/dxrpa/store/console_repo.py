"""Console users, their server-side sessions and failed-login counters. Hashing happens in the caller.

Every change that alters what a user may do (disable, delete, new password, new role) revokes the
user's sessions in the same transaction, so no old cookie outlives it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.store.base import Store, utcnow
from dxrpa.store.console_tables import ROLES, ConsoleSession, ConsoleUser, LoginThrottle, install_rollup

MAX_DEPARTMENTS = 50


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(tr(f"役割 '{role}' はありません", f"unknown role '{role}'"), hint=" | ".join(ROLES))


def clean_departments(departments: list[str] | tuple[str, ...]) -> list[str]:
    """Trimmed, de-duplicated department names (each 1–100 characters, at most 50)."""
    out: list[str] = []
    for raw in departments:
        name = raw.strip()
        if not name:
            continue
        if len(name) > 100:
            raise UsageError(tr("課の名前は 100 文字までです", "department names are up to 100 characters"))
        if name not in out:
            out.append(name)
    if len(out) > MAX_DEPARTMENTS:
        raise UsageError(tr(f"課は {MAX_DEPARTMENTS} 個までです", f"at most {MAX_DEPARTMENTS} departments"))
    return out


def add_user(
    session: Session,
    name: str,
    role: str,
    password_hash: str,
    *,
    by: str = "",
    departments: list[str] | tuple[str, ...] = (),
) -> ConsoleUser:
    """Create a user; refuses a name that exists (use disable + a new name, or set_password)."""
    _check_role(role)
    name = name.strip()
    if not name or len(name) > 100:
        raise UsageError(tr("ユーザー名は 1〜100 文字にしてください", "user names are 1–100 characters"))
    if session.scalar(select(ConsoleUser).where(ConsoleUser.name == name)) is not None:
        raise UsageError(tr(f"ユーザー '{name}' は既にあります", f"user '{name}' already exists"))
    user = ConsoleUser(
        name=name,
        role=role,
        password_hash=password_hash,
        created_by=by,
        disabled=False,
        departments=clean_departments(departments),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> ConsoleUser | None:
    return session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))


def list_users(session: Session) -> list[ConsoleUser]:
    return list(session.scalars(select(ConsoleUser).order_by(ConsoleUser.name)))


def _existing(session: Session, name: str) -> ConsoleUser:
    user = get_user(session, name)
    if user is None:
        raise UsageError(tr(f"ユーザー '{name}' はいません", f"no user '{name}'"), hint="dxrpa users list")
    return user


def _active_admins(session: Session) -> int:
    query = select(func.count()).where(ConsoleUser.role == "admin", ConsoleUser.disabled.is_(False))
    return int(session.scalar(query.select_from(ConsoleUser)) or 0)


def _keep_an_admin(session: Session, user: ConsoleUser) -> None:
    """Refuse to remove the last enabled admin (nobody could manage users in the console any more)."""
    if user.role == "admin" and not user.disabled and _active_admins(session) <= 1:
        raise UsageError(
            tr(
                f"'{user.name}' は最後の有効な管理者なので、削除・無効化・役割の変更はできません",
                f"'{user.name}' is the last enabled admin and cannot be deleted, disabled or demoted",
            ),
            hint=tr("先に別の管理者を追加してください", "add another admin first"),
        )


def set_disabled(session: Session, name: str, disabled: bool = True) -> ConsoleUser:
    user = _existing(session, name)
    if disabled:
        _keep_an_admin(session, user)
        revoke_user_sessions(session, user.id)
    user.disabled = disabled
    session.flush()
    return user


def set_password_hash(session: Session, name: str, password_hash: str) -> None:
    user = _existing(session, name)
    user.password_hash = password_hash
    revoke_user_sessions(session, user.id)
    session.flush()


def set_role(session: Session, name: str, role: str) -> str:
    """Give ``name`` a new role; returns the old one."""
    _check_role(role)
    user = _existing(session, name)
    old = user.role
    if old == role:
        return old
    if old == "admin":
        _keep_an_admin(session, user)
    user.role = role
    revoke_user_sessions(session, user.id)
    session.flush()
    return old


def set_departments(session: Session, name: str, departments: list[str] | tuple[str, ...]) -> list[str]:
    user = _existing(session, name)
    user.departments = clean_departments(departments)
    session.flush()
    return list(user.departments)


def delete_user(session: Session, name: str) -> None:
    user = _existing(session, name)
    _keep_an_admin(session, user)
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    session.delete(user)
    session.flush()


def touch_login(session: Session, name: str) -> None:
    user = get_user(session, name)
    if user is not None:
        user.last_login_at = utcnow()
        session.flush()


# ---- sessions -------------------------------------------------------------------------------------


def token_id(token: str) -> str:
    """The stored id of a cookie token (sha256 hex): the database never holds the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, user: ConsoleUser, token: str, lifetime: timedelta, client: str) -> None:
    now = utcnow()
    session.add(
        ConsoleSession(
            id=token_id(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            client=client[:64],
        )
    )
    session.flush()


@dataclass(frozen=True)
class LiveSession:
    """A valid session and its user, as read for one request."""

    id: str
    user: str
    role: str
    departments: tuple[str, ...]
    last_seen_at: datetime


def find_session(session: Session, token: str, idle: timedelta) -> LiveSession | None:
    """The session of ``token`` when it is not revoked, expired, idle too long or of a disabled user."""
    now = utcnow()
    row = session.execute(
        select(ConsoleSession, ConsoleUser)
        .join(ConsoleUser, ConsoleUser.id == ConsoleSession.user_id)
        .where(ConsoleSession.id == token_id(token))
    ).first()
    if row is None:
        return None
    sess, user = row
    if sess.revoked_at is not None or sess.expires_at <= now or sess.last_seen_at + idle <= now:
        return None
    if user.disabled:
        return None
    return LiveSession(sess.id, user.name, user.role, tuple(user.departments or ()), sess.last_seen_at)


def touch_session(session: Session, session_id: str) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == session_id, ConsoleSession.revoked_at.is_(None))
        .values(last_seen_at=utcnow())
    )


def revoke_session(session: Session, token: str) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == token_id(token), ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_user_sessions(session: Session, user_id: int) -> int:
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def prune_sessions(session: Session, older_than: timedelta = timedelta(days=30)) -> None:
    """Drop rows of sessions that ended long ago (the audit log keeps the logins)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < utcnow() - older_than))


# ---- failed logins --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off: ``free`` failures pass, then each one locks for ``base * 2**n`` seconds
    (up to ``cap``); counters are forgotten after ``forget`` without failures."""

    free: int
    base: float = 2.0
    cap: float = 900.0
    forget: timedelta = timedelta(hours=1)


def locked_until(session: Session, key: str) -> datetime | None:
    row = session.get(LoginThrottle, key)
    if row is None or row.locked_until is None or row.locked_until <= utcnow():
        return None
    return row.locked_until


def record_failure(session: Session, key: str, rule: Backoff) -> None:
    now = utcnow()
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key[:200], failures=0)
        session.add(row)
    elif row.last_failure_at is not None and row.last_failure_at + rule.forget <= now:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - rule.free
    if over > 0:
        row.locked_until = now + timedelta(seconds=min(rule.cap, rule.base * 2 ** min(over - 1, 30)))
    session.flush()


def clear_failures(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def ensure_rollup(store: Store) -> bool:
    """Install the dashboard's ledger rollup (triggers + backfill) once; True when it did now."""
    with store.engine.begin() as conn:
        return install_rollup(conn)
