"""Persistence: SQLAlchemy 2 tables and repository functions (SQLite or PostgreSQL)."""

from dxrpa.store.base import Base, Store, utcnow

__all__ = ["Base", "Store", "utcnow"]
