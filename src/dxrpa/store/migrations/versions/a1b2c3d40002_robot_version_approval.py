"""robot version approval: approved_by / approved_at on robot_versions

Versions registered before this step existed ran in production, so they stay approved, except
those registered in the console by a viewer or author: those wait for an operator (issue 12).

Revision ID: a1b2c3d40002
Revises: 7b39f450f374
Create Date: 2026-12-02 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dxrpa.store.base

revision = "a1b2c3d40002"
down_revision = "7b39f450f374"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("robot_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_by", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("approved_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE robot_versions SET approved_by = 'migration', approved_at = registered_at "
        "WHERE registered_by NOT IN "
        "(SELECT name FROM console_users WHERE role IN ('viewer', 'author'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("robot_versions", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by")
