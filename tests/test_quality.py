"""The standards CI holds the code to: ruff, mypy --strict, the import layers, migrations current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_clean() -> None:
    result = _run("ruff", "check", "src", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_src() -> None:
    result = _run("mypy", "src")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_tests() -> None:
    """The tests are code too: a fixture's wrong type hides a test that checks nothing."""
    result = _run("mypy", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layers_kept() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_head_constant_is_the_newest_migration() -> None:
    """``migrate.HEAD`` (checked on every open without importing Alembic) names the newest script."""
    from dxrpa.store import migrate

    assert migrate.head() == migrate.HEAD, (
        f"set dxrpa.store.migrate.HEAD to {migrate.head()!r}: a new migration was added"
    )


def test_migrations_match_the_models(tmp_path: Path) -> None:
    """A fresh database migrated to head has exactly the tables and columns the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from dxrpa.store import migrate
    from dxrpa.store.schema import metadata

    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        from alembic import command

        command.upgrade(migrate._config(conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    assert diff == [], f"models changed without a migration: {diff[:5]}"
