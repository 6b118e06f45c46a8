"""Hash-chained audit log: `dxrpa audit verify` names the first row edited, removed or reordered."""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from dxrpa.errors import ExitCode
from dxrpa.log import redact
from dxrpa.store import Store, audit_repo

from .conftest import CliRunner

MY_NUMBER = "123456789018"


def _fill(store: Store, n: int = 6) -> None:
    with store.session() as s:
        for i in range(1, n + 1):
            audit_repo.append(s, "tanaka", "run.started", f"juminhyo#{i}", {"run_id": f"r{i}", "items": i})


def _sql(home: Path, *statements: str) -> None:
    """Tamper with the database file directly, as an attacker with file access would."""
    con = sqlite3.connect(home / "var" / "dxrpa.db")
    try:
        for st in statements:
            con.execute(st)
        con.commit()
    finally:
        con.close()


def test_intact_chain_verifies(cli: CliRunner, store: Store) -> None:
    _fill(store)
    proc = cli("audit", "verify")
    assert proc.returncode == 0, proc.stderr
    assert "verified 6 audit rows" in proc.stdout
    with store.session() as s:
        result = audit_repo.verify(s)
    assert result.ok and result.checked == 6 and result.head_id == 6
    assert result.head_hash is not None and result.head_hash in proc.stdout


def test_empty_log_verifies(cli: CliRunner) -> None:
    proc = cli("audit", "verify")
    assert proc.returncode == 0, proc.stderr


def test_edited_row_is_named(cli: CliRunner, store: Store, home: Path) -> None:
    _fill(store)
    _sql(home, "UPDATE audit_log SET actor = 'someone_else' WHERE id = 3")
    proc = cli("audit", "verify")
    assert proc.returncode == ExitCode.INTEGRITY
    assert "audit row 3 was altered" in proc.stderr
    assert "Traceback" not in proc.stderr
    ja = cli("audit", "verify", env={"DXRPA_LANG": "ja"})
    assert ja.returncode == ExitCode.INTEGRITY
    assert "監査ログの行 3 が改ざんされています" in ja.stderr


def test_edited_detail_json_is_named(cli: CliRunner, store: Store, home: Path) -> None:
    _fill(store)
    _sql(home, """UPDATE audit_log SET detail = '{"run_id": "r5", "items": 500}' WHERE id = 5""")
    proc = cli("audit", "verify")
    assert proc.returncode == ExitCode.INTEGRITY
    assert "audit row 5 was altered" in proc.stderr


def test_deleted_row_is_named(cli: CliRunner, store: Store, home: Path) -> None:
    _fill(store)
    _sql(home, "DELETE FROM audit_log WHERE id = 4")
    proc = cli("audit", "verify")
    assert proc.returncode == ExitCode.INTEGRITY
    assert "audit row 4 was removed" in proc.stderr
    with store.session() as s:
        result = audit_repo.verify(s)
    assert (result.ok, result.bad_id, result.problem) == (False, 4, "removed")


def test_deleted_first_rows_are_named(cli: CliRunner, store: Store, home: Path) -> None:
    _fill(store)
    _sql(home, "DELETE FROM audit_log WHERE id IN (1, 2)")
    proc = cli("audit", "verify")
    assert proc.returncode == ExitCode.INTEGRITY
    assert "audit row 1–2 was removed" in proc.stderr


def test_deleted_and_renumbered_rows_are_named(cli: CliRunner, store: Store, home: Path) -> None:
    """Closing the id gap after a delete breaks the hash of every renumbered row."""
    _fill(store)
    _sql(
        home,
        "DELETE FROM audit_log WHERE id = 2",
        *[f"UPDATE audit_log SET id = {i - 1} WHERE id = {i}" for i in range(3, 7)],
    )
    proc = cli("audit", "verify")
    assert proc.returncode == ExitCode.INTEGRITY
    assert "audit row 2 was altered" in proc.stderr


def test_reordered_rows_are_named(cli: CliRunner, store: Store, home: Path) -> None:
    _fill(store)
    _sql(
        home,
        "UPDATE audit_log SET id = 100 WHERE id = 2",
        "UPDATE audit_log SET id = 2 WHERE id = 3",
        "UPDATE audit_log SET id = 3 WHERE id = 100",
    )
    proc = cli("audit", "verify")
    assert proc.returncode == ExitCode.INTEGRITY
    assert "audit row 2 was altered" in proc.stderr


def test_edit_with_recomputed_hash_breaks_the_link(store: Store, home: Path, english: None) -> None:
    """An attacker who also recomputes the edited row's hash is caught by the next row's link."""
    _fill(store)
    with store.session() as s:
        row = audit_repo.list_rows(s)[2]
        forged = audit_repo.compute_hash(
            row.id, row.at, "mallory", row.action, row.subject, row.detail, row.prev_hash
        )
    _sql(home, f"UPDATE audit_log SET actor = 'mallory', hash = '{forged}' WHERE id = 3")
    with store.session() as s:
        result = audit_repo.verify(s)
    assert not result.ok
    assert result.bad_id == 3 and result.problem == "broken_link"
    assert "row 4" in result.message


def test_detail_and_subject_never_store_secrets_or_my_numbers(store: Store, home: Path) -> None:
    secret = "audit-secret-value-3321"
    redact.add(secret)
    with store.session() as s:
        row = audit_repo.append(
            s,
            "",
            "item.reprocessed",
            f"key {MY_NUMBER}",
            {
                "password": "hunter2-x",
                "note": f"used {secret}",
                "nested": {"value": "v-123", "n": [MY_NUMBER]},
            },
        )
    assert row.actor == getpass.getuser()
    with store.session() as s:
        odd = audit_repo.append(
            s, "cli", "report.exported", "FY2026", {"saved": float("nan"), "when": row.at}
        )
    assert odd.detail == {"saved": "nan", "when": row.at.isoformat(sep=" ")}
    assert row.subject == "key ***"
    assert row.detail == {"password": "***", "note": "used ***", "nested": {"value": "***", "n": ["***"]}}
    with store.session() as s:
        assert audit_repo.verify(s).ok
    store.dispose()
    for f in (home / "var").iterdir():
        data = f.read_bytes()
        for needle in (secret, MY_NUMBER, "hunter2-x", "v-123"):
            assert needle.encode() not in data, (f, needle)


def test_secret_set_is_audited_by_name_only(cli: CliRunner, store: Store) -> None:
    assert cli("secrets", "set", "PORTAL_PASSWORD", input="never-in-audit-771").returncode == 0
    assert cli("secrets", "delete", "PORTAL_PASSWORD").returncode == 0
    with store.session() as s:
        rows = audit_repo.list_rows(s)
    assert [(r.action, r.subject, r.detail) for r in rows] == [
        ("secret.set", "PORTAL_PASSWORD", {"store": "file"}),
        ("secret.deleted", "PORTAL_PASSWORD", {"store": "file"}),
    ]
    assert all("never-in-audit-771" not in json.dumps(r.detail) for r in rows)


def test_audit_list_since(cli: CliRunner, store: Store, home: Path) -> None:
    _fill(store, 3)
    _sql(home, "UPDATE audit_log SET at = '2026-10-31 14:59:59.000000' WHERE id = 1")  # 23:59:59 JST
    _sql(home, "UPDATE audit_log SET at = '2026-10-31 15:00:00.000000' WHERE id = 2")  # 00:00 JST Nov 1
    proc = cli("audit", "list", "--since", "2026-11-01", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in rows] == [2, 3]
    assert rows[0]["at"].startswith("2026-11-01T00:00:00") and rows[0]["actor"] == "tanaka"
    table = cli("audit", "list")
    assert table.returncode == 0 and "juminhyo#1" in table.stdout
    bad = cli("audit", "list", "--since", "yesterday")
    assert bad.returncode == ExitCode.USAGE and "--since" in bad.stderr


def test_concurrent_appends_do_not_fork(store: Store) -> None:
    """Four threads append at once (SQLite BEGIN IMMEDIATE): one unbroken chain, no duplicates."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(15):
                with store.session() as s:
                    audit_repo.append(s, f"w{n}", "run.finished", f"{n}-{i}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with store.session() as s:
        result = audit_repo.verify(s)
        rows = audit_repo.list_rows(s)
    assert result.ok and result.checked == 60
    assert sorted(r.subject for r in rows) == sorted(f"{n}-{i}" for n in range(4) for i in range(15))


@pytest.fixture
def pg_store() -> Iterator[Store]:
    url = os.environ.get("DXRPA_TEST_PG_URL")
    if not url:
        pytest.fail(
            "DXRPA_TEST_PG_URL is not set: start PostgreSQL 15 (pg_ctlcluster 15 main start) and export "
            "DXRPA_TEST_PG_URL=postgresql://root@/postgres?host=/var/run/postgresql"
        )
    schema = f"dxrpa_sec_{uuid.uuid4().hex[:10]}"
    admin = Store(url)
    with admin.engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    store = Store(f"{url}{sep}options=-csearch_path%3D{schema}")
    try:
        store.upgrade()
        yield store
    finally:
        store.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.mark.postgres
def test_pg_concurrent_appends_do_not_fork(pg_store: Store) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                with pg_store.session() as s:
                    audit_repo.append(s, f"w{n}", "run.finished", f"{n}-{i}", {"i": i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with pg_store.session() as s:
        result = audit_repo.verify(s)
    assert result.ok and result.checked == 40
    with pg_store.session() as s:
        s.execute(text("UPDATE audit_log SET subject = 'x' WHERE id = 7"))
    with pg_store.session() as s:
        bad = audit_repo.verify(s)
    assert (bad.ok, bad.bad_id, bad.problem) == (False, 7, "altered")
