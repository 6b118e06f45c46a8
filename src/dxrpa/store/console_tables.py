"""Tables owned by the console feature (defined here so one metadata holds every table).

``console_users``: local accounts of the web console with a role and an argon2 password hash.
Sessions are signed cookies (nothing stored); a disabled user's cookie stops working at once
because every request looks the user up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dxrpa.store.base import Base, UtcDateTime, utcnow

ROLES = ("viewer", "author", "operator", "admin")


class ConsoleUser(Base):
    __tablename__ = "console_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="viewer")  # viewer | author | operator | admin
    password_hash: Mapped[str] = mapped_column(String(300), default="")  # "" = only via proxy header
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
