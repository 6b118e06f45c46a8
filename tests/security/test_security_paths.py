"""Issue 12: a robot reads and writes only inside its declared folders, requests never name a path,
a GET writes and deletes nothing of ours, and everything dxrpa writes is private (0600 / 0700).

Each test is an attack that worked on main: a robot reading the console's signing key through
``data:`` (directly, or through a symlink), ``results:`` overwriting a file outside home, ``upload:``
sending any absolute path, the report download overwriting and deleting a file named by the
``department`` query, ``dxrpa report --department`` writing outside its folder, world-readable files.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from dxrpa.errors import ExitCode
from dxrpa.store import Store, ledger_repo
from dxrpa.store.tables import Run
from tests.conftest import CHROMIUM
from tests.console.conftest import (  # noqa: F401  (fixtures)
    ROOT,
    Console,
    console,
    login,
    page,
    password_hash,
)

from .conftest import CliRunner

SIGNING_KEY = "console-signing-key-5f1c9e2d7a"
HEAD = """name: {name}
title: パス確認
department: 市民課
baseline: {{minutes_per_item: 1}}
retries: 0
"""


def _robot(home: Path, name: str, body: str) -> Path:
    (home / "robots").mkdir(exist_ok=True)
    path = home / "robots" / f"{name}.yaml"
    path.write_text(HEAD.format(name=name) + body, encoding="utf-8")
    return path


def _key_file(home: Path) -> Path:
    path = home / "var" / "console" / "session.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SIGNING_KEY + "\n", encoding="utf-8")
    return path


def _out(proc: subprocess.CompletedProcess[str]) -> str:
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    return out


@contextmanager
def _world_readable_umask() -> Iterator[None]:
    """Children inherit the umask: start them with the usual 022 so dxrpa has to restrict itself."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# --------------------------------------------------------------------------- static: validate


@pytest.mark.slow
def test_validate_refuses_paths_outside_the_robots_folders(cli: CliRunner, home: Path) -> None:
    _key_file(home)
    _robot(
        home,
        "grab_key",
        """folders: [data, var/console, /etc, ../up]
data: {csv: var/console/session.key, key: x}
results: {excel: configs/victim.xlsx}
item:
  - upload: {css: "#f", files: /etc/passwd}
  - download: {css: "#d", save_as: ../../escape.csv}
""",
    )
    proc = cli("robots", "validate", "robots/grab_key.yaml")
    out = _out(proc)
    assert proc.returncode == ExitCode.DEFINITION, out
    assert SIGNING_KEY not in out
    for line, what in (
        (6, "folders: 'var/console'"),
        (6, "folders: '/etc'"),
        (6, "folders: '../up'"),
        (7, "data: csv 'var/console/session.key'"),
        (8, "results: excel 'configs/victim.xlsx'"),
        (10, "upload files '/etc/passwd'"),
        (11, "download save_as '../../escape.csv'"),
    ):
        assert f"robots/grab_key.yaml:{line}" in out and what in out, (what, out)
    assert cli("robots", "register", "robots/grab_key.yaml").returncode == ExitCode.DEFINITION


def test_validate_refuses_an_ocr_drop_folder_in_var(cli: CliRunner, home: Path) -> None:
    _robot(
        home, "ocr_var", "data: {ocr: {folder: var/console, template: juminhyo}}\nitem:\n  - set: {a: 1}\n"
    )
    proc = cli("robots", "validate", "robots/ocr_var.yaml")
    assert proc.returncode == ExitCode.DEFINITION and "robots/ocr_var.yaml:6" in _out(proc)


def test_ocr_template_dictionary_stays_beside_the_template(cli: CliRunner, home: Path) -> None:
    (home / "var" / "secret.key").write_text(SIGNING_KEY + "\n", encoding="utf-8")
    folder = home / "ocr" / "templates"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "ocr" / "templates" / "juminhyo.png", folder)
    text = (ROOT / "ocr" / "templates" / "juminhyo.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "- name: 氏名\n  type: text\n", "- name: 氏名\n  type: text\n  dictionary: ../../var/secret.key\n"
    )
    (folder / "juminhyo.yaml").write_text(text, encoding="utf-8")
    proc = cli("ocr", "templates", "validate", "ocr/templates/juminhyo.yaml")
    out = _out(proc)
    assert proc.returncode == ExitCode.DEFINITION, out
    assert "dictionary" in out and SIGNING_KEY not in out


# --------------------------------------------------------------------------- run time: symlinks


@pytest.mark.slow
def test_symlinked_data_file_cannot_read_the_signing_key(cli: CliRunner, home: Path, store: Store) -> None:
    key = _key_file(home)
    (home / "data").mkdir()
    (home / "data" / "list.csv").symlink_to(key)  # the literal path is fine, the file it reaches is not
    _robot(home, "via_link", "data: {csv: data/list.csv, key: x}\nitem:\n  - set: {a: 1}\n")
    assert cli("robots", "register", "robots/via_link.yaml").returncode == 0
    proc = cli("run", "via_link", "--dry-run", "--no-submit-steps-ok")  # the robot submits nothing
    out = _out(proc)
    assert proc.returncode == ExitCode.DEFINITION, out
    assert "data/list.csv" in out and "data" in out
    assert SIGNING_KEY not in out
    with store.session() as s:
        runs = s.scalars(select(Run)).all()
        assert [r.status for r in runs] == ["failed"]
        assert SIGNING_KEY not in (runs[0].error_message or "")
    for f in (home / "var" / "runs").rglob("*"):
        if f.is_file():
            assert SIGNING_KEY.encode() not in f.read_bytes(), f


@pytest.mark.slow
def test_results_through_a_symlink_cannot_overwrite_a_file_outside_home(
    cli: CliRunner, home: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.xlsx"
    victim.write_bytes(b"precious")
    (home / "data").mkdir()
    (home / "data" / "out.xlsx").symlink_to(victim)
    _robot(
        home,
        "overwrite",
        "data: {items: [{a: '1'}]}\nresults: {excel: data/out.xlsx}\nitem:\n  - set: {b: 1}\n",
    )
    assert cli("robots", "register", "robots/overwrite.yaml").returncode == 0
    proc = cli("run", "overwrite", env={"DXRPA_BROWSER__EXECUTABLE": CHROMIUM})
    out = _out(proc)
    assert proc.returncode == ExitCode.DEFINITION, out
    assert "results: excel" in out
    assert victim.read_bytes() == b"precious"


@pytest.mark.slow
def test_upload_of_an_absolute_path_stops_the_run(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not for upload", encoding="utf-8")
    _robot(
        home,
        "send_any",
        f"""data: {{items: [{{f: "{outside}"}}]}}
item:
  - upload: {{css: "#file", files: "{{{{ item.f }}}}"}}
    timeout_ms: 1000
""",
    )
    assert cli("robots", "register", "robots/send_any.yaml").returncode == 0
    proc = cli("run", "send_any", env={"DXRPA_BROWSER__EXECUTABLE": CHROMIUM})
    out = _out(proc)
    assert proc.returncode == ExitCode.DEFINITION, out
    assert "upload" in out and "outside" in out


# --------------------------------------------------------------------------- error hints


@pytest.mark.slow
def test_missing_key_column_hint_is_capped(cli: CliRunner, home: Path) -> None:
    (home / "data").mkdir()
    header = [f"col{i:02d}" for i in range(30)] + ["x" * 100]
    (home / "data" / "wide.csv").write_text(",".join(header) + "\n" + ",".join("v" * 31) + "\n", "utf-8")
    _robot(home, "wide", "data: {csv: data/wide.csv, key: 受付番号}\nitem:\n  - set: {a: 1}\n")
    assert cli("robots", "register", "robots/wide.yaml").returncode == 0
    proc = cli("run", "wide", "--dry-run", "--no-submit-steps-ok")  # the robot submits nothing
    out = _out(proc)
    assert proc.returncode == ExitCode.DATA, out
    assert "col09" in out and "col10" not in out and "21 more" in out
    assert "x" * 41 not in out


# --------------------------------------------------------------------------- reports


def test_report_download_never_touches_a_path_from_the_query(
    console: Console,  # noqa: F811  (fixture)
    page: Page,  # noqa: F811  (fixture)
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim" / "victim.xlsx"  # var/dxrpa-report-*/ + 4 × '..' = tmp_path
    victim.parent.mkdir()
    victim.write_bytes(b"precious")
    with console.store.session() as s:
        ledger_repo.set_target(s, "市民課", 2026, 100, set_by="test")
    login(page, console, "viewer1")
    attack = "/../../../../victim/victim"
    response = page.request.get(f"{console.url}/dashboard/report.xlsx?fy=2026&department={quote(attack)}")
    assert response.status == 400
    assert "見つかりません" in response.text()
    assert victim.read_bytes() == b"precious"
    ok = page.request.get(f"{console.url}/dashboard/report.xlsx?fy=2026&department={quote('市民課')}")
    assert ok.status == 200 and ok.body()[:2] == b"PK"
    assert quote("dxrpa_report_FY2026_市民課.xlsx") in ok.headers["content-disposition"]
    assert not list(console.settings.var_dir.glob("dxrpa-report-*"))  # nothing left behind


@pytest.mark.slow
def test_report_cli_department_cannot_leave_the_folder(cli: CliRunner, home: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim" / "victim.xlsx"
    victim.parent.mkdir()
    victim.write_bytes(b"precious")
    dept = "../../../victim/victim"  # home/"dxrpa_report_FY2026_.."/../.. = tmp_path
    assert cli("targets", "set", dept, "2026", "10h", "--force").returncode == 0
    proc = cli("report", "--fy", "2026", "--department", dept)
    assert proc.returncode == 0, _out(proc)
    assert victim.read_bytes() == b"precious"
    assert (home / "dxrpa_report_FY2026_victim_victim.xlsx").is_file()
    assert sorted(p.name for p in home.iterdir() if p.name.startswith("dxrpa_report")) == [
        "dxrpa_report_FY2026_victim_victim.xlsx",
        "dxrpa_report_FY2026_victim_victim.xlsx.anchor.json",  # the audit log's signed head beside it
    ]


# --------------------------------------------------------------------------- permissions


@pytest.mark.slow
def test_everything_a_run_writes_is_private(cli: CliRunner, home: Path) -> None:
    _robot(
        home,
        "private",
        """data: {items: [{n: "1"}, {n: "2"}]}
results: {excel: data/private.xlsx}
item:
  - if:
      condition: "item.n == '2'"
      then:
        - expect: {text: この文言は表示されない}
          timeout_ms: 500
""",
    )
    with _world_readable_umask():
        assert cli("robots", "register", "robots/private.yaml").returncode == 0
        proc = cli("run", "private", env={"DXRPA_BROWSER__EXECUTABLE": CHROMIUM})
        assert proc.returncode == ExitCode.ITEMS_FAILED, _out(proc)
        assert cli("report", "--fy", "2026", "-o", "report.xlsx").returncode == 0
    written = [p for p in (home / "var").rglob("*")]
    names = {p.name for p in written}
    assert "dxrpa.db" in names and any(n.endswith(".png") for n in names)  # DB and evidence
    assert any(n.endswith(".zip") for n in names)  # the failure's trace
    for path in [*written, home / "data", home / "data" / "private.xlsx", home / "report.xlsx"]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode & 0o077 == 0, f"{path}: {oct(mode)}"
