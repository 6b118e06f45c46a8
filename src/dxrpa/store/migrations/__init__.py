"""Alembic migrations of the dxrpa schema."""
