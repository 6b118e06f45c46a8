"""Assets: per-environment values for the ``env:`` names robots declare (``APP_URL`` in 本番 and
検証), managed in the CLI and the console. Not for secrets: those stay in the secret store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dxrpa.store.base import Base, UtcDateTime, utcnow


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("name", "environment"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    environment: Mapped[str] = mapped_column(String(20))  # production (本番) | staging (検証)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
