"""Reading and writing assets (per-environment values of robots' ``env:`` names), audited."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dxrpa.store import audit_repo
from dxrpa.store.asset_tables import Asset
from dxrpa.store.base import utcnow


def values(session: Session, environment: str) -> dict[str, str]:
    rows = session.execute(select(Asset.name, Asset.value).where(Asset.environment == environment))
    return {str(n): str(v) for n, v in rows}


def list_assets(session: Session) -> list[Asset]:
    return list(session.scalars(select(Asset).order_by(Asset.name, Asset.environment)))


def put(session: Session, name: str, environment: str, value: str, *, actor: str, via: str) -> bool:
    """Set one value; returns whether it was new. The audit row names the asset, never its value."""
    row = session.scalar(select(Asset).where(Asset.name == name, Asset.environment == environment))
    created = row is None
    if row is None:
        row = Asset(name=name, environment=environment)
        session.add(row)
    row.value, row.updated_by, row.updated_at = value, actor, utcnow()
    audit_repo.append(session, actor, "asset.set", f"{environment}/{name}", {"via": via, "new": created})
    return created


def remove(session: Session, name: str, environment: str, *, actor: str, via: str) -> bool:
    done = session.execute(delete(Asset).where(Asset.name == name, Asset.environment == environment))
    if getattr(done, "rowcount", 0):
        audit_repo.append(session, actor, "asset.delete", f"{environment}/{name}", {"via": via})
        return True
    return False
