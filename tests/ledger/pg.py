"""A throw-away PostgreSQL database per test (CI sets DXRPA_TEST_PG_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

INSTALL_HINT = (
    "DXRPA_TEST_PG_URL is not set. Start PostgreSQL 15 and point the tests at it:\n"
    "  pg_ctlcluster 15 main start\n"
    "  su postgres -c \"psql -c 'create role root superuser login'\"\n"
    "  createdb dxrpa_test\n"
    "  export DXRPA_TEST_PG_URL='postgresql://root@/dxrpa_test?host=/var/run/postgresql'\n"
    "(elsewhere: apt-get install postgresql)"
)


def _driver(url: str) -> str:
    return "postgresql+psycopg://" + url[len("postgresql://") :] if url.startswith("postgresql://") else url


@contextmanager
def fresh_database(prefix: str = "dxrpa_ledger") -> Iterator[str]:
    """Create an empty database next to DXRPA_TEST_PG_URL's and drop it afterwards."""
    base = os.environ.get("DXRPA_TEST_PG_URL")
    if not base:
        pytest.fail(INSTALL_HINT)
    admin = create_engine(_driver(base), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(_driver(base)).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
