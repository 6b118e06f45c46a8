"""runs.pid_started: the runner process's start time next to its pid (liveness)

Revision ID: a1b2c3d40005
Revises: a1b2c3d40003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d40005"
down_revision = "a1b2c3d40003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("pid_started", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("pid_started")
