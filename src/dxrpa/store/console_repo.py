"""Console users: add, list, disable, look up. Password hashing happens in the caller."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dxrpa.errors import UsageError
from dxrpa.i18n import tr
from dxrpa.store.base import Store, utcnow
from dxrpa.store.console_tables import ROLES, ConsoleUser, install_rollup


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(tr(f"役割 '{role}' はありません", f"unknown role '{role}'"), hint=" | ".join(ROLES))


def add_user(session: Session, name: str, role: str, password_hash: str, *, by: str = "") -> ConsoleUser:
    """Create a user; refuses a name that exists (use disable + a new name, or set_password)."""
    _check_role(role)
    name = name.strip()
    if not name or len(name) > 100:
        raise UsageError(tr("ユーザー名は 1〜100 文字にしてください", "user names are 1–100 characters"))
    if session.scalar(select(ConsoleUser).where(ConsoleUser.name == name)) is not None:
        raise UsageError(tr(f"ユーザー '{name}' は既にあります", f"user '{name}' already exists"))
    user = ConsoleUser(name=name, role=role, password_hash=password_hash, created_by=by, disabled=False)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> ConsoleUser | None:
    return session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))


def list_users(session: Session) -> list[ConsoleUser]:
    return list(session.scalars(select(ConsoleUser).order_by(ConsoleUser.name)))


def set_disabled(session: Session, name: str, disabled: bool = True) -> ConsoleUser:
    user = get_user(session, name)
    if user is None:
        raise UsageError(tr(f"ユーザー '{name}' はいません", f"no user '{name}'"), hint="dxrpa users list")
    user.disabled = disabled
    session.flush()
    return user


def set_password_hash(session: Session, name: str, password_hash: str) -> None:
    user = get_user(session, name)
    if user is None:
        raise UsageError(tr(f"ユーザー '{name}' はいません", f"no user '{name}'"), hint="dxrpa users list")
    user.password_hash = password_hash
    session.flush()


def touch_login(session: Session, name: str) -> None:
    user = get_user(session, name)
    if user is not None:
        user.last_login_at = utcnow()
        session.flush()


def ensure_rollup(store: Store) -> bool:
    """Install the dashboard's ledger rollup (triggers + backfill) once; True when it did now."""
    with store.engine.begin() as conn:
        return install_rollup(conn)
