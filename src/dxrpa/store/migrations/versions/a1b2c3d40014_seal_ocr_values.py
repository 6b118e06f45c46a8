"""OCR text stored before sealing existed is sealed now: a value, raw reading, recognized text,
value before review or reason with ten or more digits (dxrpa.store.sealed) becomes ``enc:…``

Revision ID: a1b2c3d40014
Revises: a1b2c3d40013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dxrpa.store.sealed import SealedText, must_seal
from dxrpa.vault import ENCRYPTED

revision = "a1b2c3d40014"
down_revision = "a1b2c3d40013"
branch_labels = None
depends_on = None

COLUMNS = ("value", "raw_value", "ocr_text", "original_value", "reason")


def _table(kind: sa.types.TypeEngine[str]) -> sa.TableClause:
    return sa.table("ocr_fields", sa.column("id", sa.Integer), *(sa.column(c, kind) for c in COLUMNS))


def upgrade() -> None:
    conn = op.get_bind()
    plain, sealed = _table(sa.Text()), _table(SealedText())
    for row in conn.execute(sa.select(plain)).all():
        changes = {
            c: v
            for c, v in zip(COLUMNS, row[1:], strict=True)
            if v and not v.startswith(ENCRYPTED) and must_seal(v)
        }
        if changes:
            conn.execute(sa.update(sealed).where(sealed.c.id == row[0]).values(**changes))


def downgrade() -> None:
    conn = op.get_bind()
    plain, sealed = _table(sa.Text()), _table(SealedText())
    for row in conn.execute(sa.select(sealed)).all():
        conn.execute(
            sa.update(plain).where(plain.c.id == row[0]).values(**dict(zip(COLUMNS, row[1:], strict=True)))
        )
