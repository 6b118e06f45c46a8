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

from dxrpa.errors import ConfigError, ExitCode
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
    """Even someone holding the key who recomputes only the edited row is caught by the next link."""
    _fill(store)
    with store.session() as s:
        row = audit_repo.list_rows(s)[2]
        forged = audit_repo.compute_hash(
            row.id,
            row.at,
            "mallory",
            row.action,
            row.subject,
            row.detail,
            row.prev_hash,
            key=store.audit_key(),
        )
    _sql(home, f"UPDATE audit_log SET actor = 'mallory', hash = '{forged}' WHERE id = 3")
    with store.session() as s:
        result = audit_repo.verify(s)
    assert not result.ok
    assert result.bad_id == 3 and result.problem == "broken_link"
    assert "row 4" in result.message


def _recompute_unkeyed(store: Store, home: Path) -> None:
    """Recompute every row's hash with the old published rule (plain SHA-256), as an attacker with
    write access to the database but not to the key can."""
    with store.session() as s:
        rows = audit_repo.list_rows(s)
    prev = audit_repo.GENESIS
    statements = []
    for new_id, row in enumerate(rows, start=1):
        digest = audit_repo.compute_hash(new_id, row.at, row.actor, row.action, row.subject, row.detail, prev)
        statements.append(
            f"UPDATE audit_log SET id = {new_id}, prev_hash = '{prev}', hash = '{digest}' WHERE id = {row.id}"
        )
        prev = digest
    _sql(home, *statements)


def test_attacker_cannot_recompute_the_chain(cli: CliRunner, store: Store, home: Path) -> None:
    """Delete rows, edit one, recompute the whole chain with SHA-256: detected (today's main said OK)."""
    _fill(store, 300)
    _sql(
        home,
        "DELETE FROM audit_log WHERE id BETWEEN 20 AND 266",
        "UPDATE audit_log SET actor = 'x' WHERE id = 5",
    )
    _recompute_unkeyed(store, home)
    proc = cli("audit", "verify")
    assert proc.returncode == ExitCode.INTEGRITY, proc.stdout
    assert "audit row 1 was recomputed without the key" in proc.stderr
    assert "Traceback" not in proc.stderr
    key_file = home / "var" / "audit.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text().strip().encode() not in (home / "var" / "dxrpa.db").read_bytes()


@pytest.mark.slow
def test_truncated_tail_is_caught_by_the_anchor(cli: CliRunner, store: Store, home: Path) -> None:
    """The signed head exported with a report (or by `audit anchor`) catches removed newest rows."""
    _fill(store)
    report = home / "r.csv"
    assert cli("report", "--fy", "2026", "--format", "csv", "-o", str(report)).returncode == 0
    anchor = audit_repo.anchor_path(report)
    signed = json.loads(anchor.read_text(encoding="utf-8"))
    assert (signed["head_id"], signed["count"]) == (7, 7)  # the report.exported row is included
    assert cli("audit", "verify", "--anchor", str(anchor)).returncode == 0
    _sql(home, "DELETE FROM audit_log WHERE id >= 5")
    assert cli("audit", "verify").returncode == 0  # a shorter chain is still a valid chain...
    proc = cli("audit", "verify", "--anchor", str(anchor))
    assert proc.returncode == ExitCode.INTEGRITY  # ...but not the one that was signed
    assert "no longer matches the signed head row 7 (7 rows; now 4)" in proc.stderr
    with store.session() as s:
        result = audit_repo.verify(s, anchor=signed)
    assert (result.ok, result.problem) == (False, "truncated")


def test_anchor_of_an_empty_log(store: Store) -> None:
    with store.session() as s:
        empty = audit_repo.make_anchor(s)
    assert (empty["head_id"], empty["count"]) == (0, 0)
    _fill(store, 2)
    with store.session() as s:
        assert audit_repo.verify(s, anchor=empty).ok


def test_forged_anchor_is_refused(cli: CliRunner, store: Store, home: Path) -> None:
    _fill(store)
    out = home / "head.json"
    proc = cli("audit", "anchor", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    anchor = json.loads(out.read_text(encoding="utf-8"))
    assert anchor["head_id"] == 6 and anchor["count"] == 6 and len(anchor["sig"]) == 64
    _sql(home, "DELETE FROM audit_log WHERE id >= 4")
    with store.session() as s:
        shorter = audit_repo.list_rows(s)[-1]
    anchor.update(head_id=3, count=3, head_hash=shorter.hash)  # lower the signed head to match
    with store.session() as s:
        result = audit_repo.verify(s, anchor=anchor)
    assert (result.ok, result.problem) == (False, "bad_anchor")
    garbage = home / "garbage.json"
    garbage.write_text("not json", encoding="utf-8")
    bad = cli("audit", "verify", "--anchor", str(garbage))
    assert bad.returncode == ExitCode.USAGE and "cannot read the anchor file" in bad.stderr


def _legacy_db(home: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database from before keying: rows chained with plain SHA-256, no key file."""
    with monkeypatch.context() as m:
        m.setenv("DXRPA_AUDIT_KEY_FILE", str(home / "elsewhere" / "audit.key"))
        old = Store(f"sqlite:///{(home / 'var' / 'dxrpa.db').resolve()}")
        old.upgrade()
        _fill(old, n)
        _recompute_unkeyed(old, home)
        old.dispose()
    assert not (home / "var" / "audit.key").exists()


def test_unkeyed_rows_are_rekeyed_when_the_key_is_created(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _legacy_db(home, 5, monkeypatch)
    store = Store(f"sqlite:///{(home / 'var' / 'dxrpa.db').resolve()}")
    with store.session() as s:
        result = audit_repo.verify(s)
        rows = audit_repo.list_rows(s)
    store.dispose()
    assert result.ok and result.checked == 6
    assert rows[-1].action == "audit.rekeyed" and rows[-1].detail["unkeyed_rows"] == 5
    assert (home / "var" / "audit.key").stat().st_mode & 0o777 == 0o600


def test_a_lost_key_is_not_replaced_silently(store: Store, home: Path, english: None) -> None:
    """A keyed log whose key file is gone must not get a fresh key (its rows would all fail)."""
    _fill(store, 3)
    store.dispose()
    (home / "var" / "audit.key").unlink()
    again = Store(f"sqlite:///{(home / 'var' / 'dxrpa.db').resolve()}")
    with pytest.raises(ConfigError, match="keyed elsewhere"), again.session():
        pass
    again.dispose()
    assert not (home / "var" / "audit.key").exists()


def test_env_key_and_explicit_rekey(home: Path, monkeypatch: pytest.MonkeyPatch, english: None) -> None:
    """With DXRPA_AUDIT_KEY no file is created; old rows stay flagged until `audit rekey`."""
    _legacy_db(home, 4, monkeypatch)
    monkeypatch.setenv("DXRPA_AUDIT_KEY", "k" * 40)
    store = Store(f"sqlite:///{(home / 'var' / 'dxrpa.db').resolve()}")
    with store.session() as s:
        audit_repo.append(s, "tanaka", "run.started", "after-upgrade")
    with store.session() as s:
        before = audit_repo.verify(s)
    assert (before.ok, before.bad_id, before.problem) == (False, 1, "unkeyed")
    with store.session() as s:
        assert audit_repo.rekey(s, store.audit_key()) == 4
    with store.session() as s:
        after = audit_repo.verify(s)
        assert audit_repo.rekey(s, store.audit_key()) == 0
    store.dispose()
    assert after.ok and after.checked == 6
    assert not (home / "var" / "audit.key").exists()
    monkeypatch.setenv("DXRPA_AUDIT_KEY", "short")
    with pytest.raises(ConfigError, match="DXRPA_AUDIT_KEY"):
        Store(f"sqlite:///{(home / 'var' / 'dxrpa.db').resolve()}").audit_key()


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


@pytest.mark.slow
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
