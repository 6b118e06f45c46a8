"""Shared robots: runs.unit / runs.department (the 区 a shared robot ran for and the 課 its hours
count for) and ledger_entries.unit (the per-区 breakdown of one robot)

Revision ID: a1b2c3d40013
Revises: a1b2c3d40012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d40013"
down_revision = "a1b2c3d40012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no table copy on SQLite: the ledger's rollup triggers stay in place)
    op.add_column("runs", sa.Column("unit", sa.String(length=100), nullable=True))
    op.add_column("runs", sa.Column("department", sa.String(length=100), nullable=True))
    op.add_column("ledger_entries", sa.Column("unit", sa.String(length=100), nullable=True))
    op.create_index("ix_ledger_unit_fy", "ledger_entries", ["unit", "fiscal_year"])


def downgrade() -> None:
    op.drop_index("ix_ledger_unit_fy", table_name="ledger_entries")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("unit")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("department")
        batch.drop_column("unit")
