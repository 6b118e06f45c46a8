"""Logins and server-side sessions: throttled password checks, revocable session rows, timeouts.

The signed cookie holds only a random token (plus the CSRF token and flash messages); the user is
found through the session row on every request, so logout, disabling a user, a new password or a
new role end a session at once, and a forged cookie without a live row opens nothing.

Failed logins count per account name (known or not, so a lock tells nothing about existence) and
per client address; past a few free failures each one locks the key for an exponentially growing
time. While locked, even the right password is refused. Every attempt runs exactly one argon2
verify, so unknown, disabled, locked and active accounts take the same time.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from dxrpa.console.auth import User, verify_password
from dxrpa.console.reader import Reader
from dxrpa.i18n import tr
from dxrpa.store import audit_repo, console_repo
from dxrpa.store.base import Store, utcnow
from dxrpa.store.console_repo import Backoff

ACCOUNT_BACKOFF = Backoff(free=5)
# a city hall's staff may all come through one proxy address: more free failures, a shorter cap, so
# one attacker cannot lock everybody out for long (each account still has its own, longer lock)
CLIENT_BACKOFF = Backoff(free=30, cap=120.0)
TOUCH_EVERY = timedelta(seconds=60)  # last-seen is written at most this often per session


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=60)
    absolute: timedelta = timedelta(hours=8)


@dataclass(frozen=True)
class LoginResult:
    token: str | None  # the new session's cookie token when the login succeeded
    error: str = ""


def _wait_message(until: datetime) -> str:
    minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
    return tr(
        "ログインの失敗が続いたため、一時的にログインできません。"
        f"{minutes} 分ほど待ってからやり直してください",
        f"too many failed logins: wait about {minutes} minute(s) and try again",
    )


WRONG = ("ユーザー名またはパスワードが違います", "wrong user name or password")


def login(
    store: Store, reader: Reader, policy: SessionPolicy, name: str, password: str, client: str
) -> LoginResult:
    """Check a password (throttled) and open a session; the same answer for every kind of failure.

    The argon2 verify runs outside the write transaction, so a login never holds the database's
    write lock (which running robots need) for the fraction of a second a verify takes."""
    user_key, client_key = f"user:{name[:100]}", f"ip:{client[:60]}"
    with reader.session() as s:
        user = console_repo.get_user(s, name)
        known, usable = user is not None, user is not None and not user.disabled
        password_hash = user.password_hash if user is not None else ""
        locked = [t for t in (console_repo.locked_until(s, k) for k in (user_key, client_key)) if t]
    verified = verify_password(password_hash, password)  # always exactly one verify
    actor = name if known else "-"
    with store.session() as s:
        if locked:
            audit_repo.append(s, actor, "console.login_locked", name[:100], {"client": client})
            return LoginResult(None, _wait_message(max(locked)))
        row = console_repo.get_user(s, name) if usable and verified else None
        if row is None or row.disabled or row.password_hash != password_hash:
            console_repo.record_failure(s, user_key, ACCOUNT_BACKOFF)
            console_repo.record_failure(s, client_key, CLIENT_BACKOFF)
            audit_repo.append(s, actor, "console.login_failed", name[:100], {"client": client})
            now_locked = [t for t in (console_repo.locked_until(s, k) for k in (user_key, client_key)) if t]
            return LoginResult(None, _wait_message(max(now_locked)) if now_locked else tr(*WRONG))
        token = secrets.token_urlsafe(32)
        console_repo.clear_failures(s, user_key)
        console_repo.touch_login(s, name)
        console_repo.open_session(s, row, token, policy.absolute, client)
        console_repo.prune_sessions(s)
        audit_repo.append(s, name, "console.login", name[:100], {"client": client})
        return LoginResult(token)


def current(store: Store, reader: Reader, policy: SessionPolicy, token: str) -> User | None:
    """The user of a live session (read without the write lock; last-seen written once a minute)."""
    with reader.session() as s:
        live = console_repo.find_session(s, token, policy.idle)
    if live is None:
        return None
    if utcnow() - live.last_seen_at >= TOUCH_EVERY:
        with store.session() as s:
            console_repo.touch_session(s, live.id)
    return User(live.user, live.role, live.departments)


def logout(store: Store, token: str, actor: str) -> None:
    with store.session() as s:
        console_repo.revoke_session(s, token)
        audit_repo.append(s, actor, "console.logout", actor)
