"""Robots have a lifecycle state (active, disabled, archived); assets hold per-environment values

Revision ID: a1b2c3d40011
Revises: a1b2c3d40009
Create Date: 2026-12-03 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dxrpa.store.base

revision = "a1b2c3d40011"
down_revision = "a1b2c3d40009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("robots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=20), nullable=False, server_default="active"))
    with op.batch_alter_table("ocr_fields", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_reviewer", sa.String(length=100), nullable=True))
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "environment"),
    )


def downgrade() -> None:
    op.drop_table("assets")
    with op.batch_alter_table("ocr_fields", schema=None) as batch_op:
        batch_op.drop_column("first_reviewer")
    with op.batch_alter_table("robots", schema=None) as batch_op:
        batch_op.drop_column("state")
