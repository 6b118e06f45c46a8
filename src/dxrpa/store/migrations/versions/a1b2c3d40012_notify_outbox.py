"""notify: the outbox of mail and webhook notifications (pending/sent/failed, attempts, last error)

Revision ID: a1b2c3d40012
Revises: a1b2c3d40009
Create Date: 2026-12-03 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dxrpa.store.base

revision = "a1b2c3d40012"
down_revision = "a1b2c3d40009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("robot", sa.String(length=100), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_outbox")),
        sa.UniqueConstraint("dedup_key", "channel", name=op.f("uq_notify_outbox_dedup_key")),
    )
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_notify_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notify_outbox_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notify_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_outbox_run_id"))
        batch_op.drop_index("ix_notify_outbox_due")
    op.drop_table("notify_outbox")
