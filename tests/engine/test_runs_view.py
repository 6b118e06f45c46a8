"""Issue 16: what an operator sees of runs in the CLI — a progress bar with its total, percentage
and ETA; run ids that copy whole at 80 columns; ``--status`` filters; each attempt's own outputs
(``pii: true`` ones masked) and evidence in ``runs show``."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console

from dxrpa.cli import main
from dxrpa.cli.progress import run_bar
from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.engine.runner import ItemOutcome, RunOptions, run_robot
from dxrpa.errors import ExitCode
from dxrpa.store import Store, robots_repo, runs_repo
from dxrpa.store.base import utcnow

ROOT = Path(__file__).resolve().parents[2]


def test_bar_shows_total_percentage_and_eta() -> None:
    out = io.StringIO()
    con = Console(file=out, force_terminal=True, width=120, color_system=None)
    with run_bar(con, "juminhyo_entry") as (on_total, on_item):
        on_total(4)
        on_item(ItemOutcome("A-1", "done"))
        on_item(ItemOutcome("A-2", "done"))
    text = out.getvalue()
    assert "2/4" in text and "50%" in text, text
    assert "残り" in text or "ETA" in text, text


def test_a_real_run_tells_the_total_before_the_first_item(robot_env: Path, sample_app: SampleApp) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(5, seed=11))
    assert main(["robots", "register", "robots/juminhyo_entry.yaml"]) == 0
    events: list[object] = []
    opts = RunOptions(limit=3, on_total=lambda n: events.append(("total", n)))
    summary = run_robot(load_settings(), "juminhyo_entry", options=opts, progress=events.append)
    assert summary.status == "succeeded"
    assert events[0] == ("total", 3)  # a streamed --limit read: the plan holds the limit
    assert [e.status for e in events[1:] if isinstance(e, ItemOutcome)] == ["done"] * 3


def _runs(home: Path) -> dict[str, str]:
    """Three runs of the example robot: failed, succeeded (receipt and a pii output), running."""
    shutil.copy(ROOT / "robots" / "juminhyo_entry.yaml", home / "robots")
    assert main(["robots", "register", "robots/juminhyo_entry.yaml"]) == 0
    settings = load_settings()
    store = Store(settings.db_url)
    ids: dict[str, str] = {}
    with store.session() as s:
        robot = robots_repo.get_robot(s, "juminhyo_entry")
        version = robots_repo.current_version(s, robot)
        assert version is not None
        for status in ("failed", "succeeded", "running"):
            run = runs_repo.create_run(
                s, robot=robot, version=version, status=status, started_at=utcnow() - timedelta(minutes=1)
            )
            ids[status] = run.id
        ok = ids["succeeded"]
        folder = settings.runs_dir / ok
        (folder / "evidence").mkdir(parents=True)
        runs_repo.add_attempt(
            s,
            run_id=ok,
            item_id=None,
            key="R-1",
            seq=1,
            attempt=1,
            status="system_error",
            screenshot=str(folder / "evidence" / "R-1-item-1.png"),
        )
        runs_repo.add_attempt(
            s,
            run_id=ok,
            item_id=None,
            key="R-1",
            seq=1,
            attempt=2,
            status="done",
            outputs={"receipt_no": "K-000123", "氏名": "enc:gAAAAsecret"},
        )
    store.dispose()
    return ids


def _cli(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "dxrpa", *args], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.slow
def test_runs_list_ids_copy_whole_at_80_columns_and_filter_by_status(dx_home: Path) -> None:
    (dx_home / "robots").mkdir()
    ids = _runs(dx_home)
    listed = _cli("runs", "list")
    assert listed.returncode == 0, listed.stderr
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80, listed.stdout
    for run_id in ids.values():
        assert run_id in listed.stdout, listed.stdout  # whole on one line: copyable
    failed = _cli("runs", "list", "--status", "failed")
    assert ids["failed"] in failed.stdout and ids["succeeded"] not in failed.stdout, failed.stdout
    japanese = _cli("runs", "list", "--status", "成功")
    assert ids["succeeded"] in japanese.stdout and ids["failed"] not in japanese.stdout
    wrong = _cli("runs", "list", "--status", "broken")
    assert wrong.returncode == ExitCode.USAGE, wrong.stderr
    assert "broken" in wrong.stderr and "failed" in wrong.stderr and "Traceback" not in wrong.stderr


@pytest.mark.slow
def test_runs_show_outputs_masked_pii_and_each_attempts_own_evidence(dx_home: Path) -> None:
    (dx_home / "robots").mkdir()
    ids = _runs(dx_home)
    shown = _cli("runs", "show", ids["succeeded"][-6:], columns=200)  # a unique part of the id is enough
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    first = next(line for line in lines if "R-1" in line and "システムエラー" in line)
    second = next(line for line in lines if "R-1" in line and "完了" in line)
    assert "R-1-item-1.png" in first and ".png" not in second  # the verify attempt has no screenshot
    assert "receipt_no=K-000123" in second
    assert "secret" not in shown.stdout and "(暗号化)" in shown.stdout
    missing = _cli("runs", "show", "nope-nope")
    assert missing.returncode == ExitCode.USAGE and "nope-nope" in missing.stderr


def test_cli_times_and_log_lines_are_in_the_configured_zone(dx_home: Path) -> None:
    """A host in New York still prints and logs Asia/Tokyo (settings.timezone), as the reports do."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dxrpa.log import logger, set_timezone

    (dx_home / "robots").mkdir()
    ids = _runs(dx_home)
    store = Store(load_settings().db_url)
    from dxrpa.store.tables import Run

    with store.session() as s:
        started = s.get(Run, ids["failed"]).started_at  # type: ignore[union-attr]
    store.dispose()
    assert started is not None
    env_tz = {"TZ": "America/New_York"}
    os.environ.update(env_tz)
    try:
        listed = _cli("runs", "list", "--status", "failed", columns=120)
    finally:
        os.environ.pop("TZ")
    assert started.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%m-%d %H:%M") in listed.stdout, listed.stdout

    out = io.StringIO()
    set_timezone("Asia/Tokyo")
    sink = logger.add(out, format="{time:YYYY-MM-DD HH:mm Z} {message}", level="INFO")
    try:
        logger.info("zone check")
    finally:
        logger.remove(sink)
        set_timezone(None)
    now = datetime.now(ZoneInfo("Asia/Tokyo"))
    assert "+09:00 zone check" in out.getvalue() and now.strftime("%Y-%m-%d") in out.getvalue()
