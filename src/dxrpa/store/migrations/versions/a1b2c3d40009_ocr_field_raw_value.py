"""OCR fields keep the reading with its 字形 (異体字 as written) beside the normalized value

Revision ID: a1b2c3d40009
Revises: a1b2c3d40005
Create Date: 2026-12-02 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d40009"
down_revision = "a1b2c3d40005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ocr_fields", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_value", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("ocr_fields", schema=None) as batch_op:
        batch_op.drop_column("raw_value")
