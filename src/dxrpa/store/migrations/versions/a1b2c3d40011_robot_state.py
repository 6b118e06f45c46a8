"""Robots have a lifecycle state: active, disabled (refuses to run) or archived (history kept)

Revision ID: a1b2c3d40011
Revises: a1b2c3d40009
Create Date: 2026-12-03 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d40011"
down_revision = "a1b2c3d40009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("robots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=20), nullable=False, server_default="active"))


def downgrade() -> None:
    with op.batch_alter_table("robots", schema=None) as batch_op:
        batch_op.drop_column("state")
