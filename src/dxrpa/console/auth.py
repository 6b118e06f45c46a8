"""Passwords (argon2), roles, the session user and CSRF tokens.

Roles are ordered: viewer < author < operator < admin. Authors validate, register and dry-run
robots; operators also run, cancel, reprocess, pause schedules and review OCR; admins also edit
the office calendar. A reverse proxy may name the user in a header (``DXRPA_CONSOLE_TRUST_HEADER``,
off by default); the user must still exist here and be enabled. A user may be limited to some
departments (``departments``; empty = all, admins always all): evidence of other departments'
robots is refused.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.requests import Request

from dxrpa.i18n import tr
from dxrpa.store.console_tables import ROLES

_hasher = PasswordHasher()
RANK = {role: i for i, role in enumerate(ROLES)}
ROLE_LABELS = {
    "viewer": ("閲覧者", "viewer"),
    "author": ("作成者", "author"),
    "operator": ("運用者", "operator"),
    "admin": ("管理者", "admin"),
}
_DUMMY_HASH = _hasher.hash("dxrpa-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches. Exactly one argon2 verify whatever the hash: an empty one
    (unknown user, proxy-only account) is checked against a dummy hash, so timing tells nothing."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def role_label(role: str) -> str:
    ja, en = ROLE_LABELS.get(role, (role, role))
    return tr(ja, en)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    departments: tuple[str, ...] = ()

    def can(self, role: str) -> bool:
        return RANK.get(self.role, -1) >= RANK[role]

    @property
    def all_departments(self) -> bool:
        return self.role == "admin" or not self.departments

    def sees(self, department: str) -> bool:
        """May this user see evidence of a robot of ``department``? (admins and unscoped users: all)"""
        return self.all_departments or department in self.departments


class NotLoggedIn(Exception):
    """No valid session: HTML pages redirect to the login page, JSON answers 401."""


class Forbidden(Exception):
    """Logged in, but the role does not allow this (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(isinstance(expected, str) and sent and hmac.compare_digest(expected, sent))
