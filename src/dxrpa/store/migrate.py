"""Schema upgrade. (Alembic revisions are generated from the complete metadata; until the
first revision exists the metadata is created directly.)"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from dxrpa.store.schema import metadata


def upgrade(engine: Engine) -> None:
    metadata.create_all(engine)
