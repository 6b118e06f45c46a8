"""console: server-side sessions, login throttling, user departments

Revision ID: a1b2c3d40003
Revises: a1b2c3d40002
Create Date: 2026-12-02 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dxrpa.store.base

revision = "a1b2c3d40003"
down_revision = "a1b2c3d40002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("departments", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["console_users.id"], name=op.f("fk_console_sessions_user_id_console_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_sessions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "console_login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", dxrpa.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("locked_until", dxrpa.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_console_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("console_login_throttle")
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sessions_user_id"))
    op.drop_table("console_sessions")
    with op.batch_alter_table("console_users", schema=None) as batch_op:
        batch_op.drop_column("departments")
