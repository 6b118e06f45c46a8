"""Issue 3: exactly-once entry under SIGKILL, HTTP 500s and stalls — judged by the app's records."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dxrpa.config import load_settings
from dxrpa.demo.chaos import entry_counts, kill_drill, run_cli
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import Faults, SampleAppProcess
from dxrpa.store import Store
from dxrpa.store.tables import ItemAttempt, WorkItem
from tests.conftest import require_chromium

ROOT = Path(__file__).resolve().parents[2]


def _robot(home: Path, *, shared: bool, timeout_ms: int = 8000) -> None:
    text = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "browser: {headless: true, allowed_domains: [127.0.0.1, localhost]}",
        "browser: {headless: true, allowed_domains: [127.0.0.1, localhost], "
        f"session: {'shared' if shared else 'per_item'}, timeout_ms: {timeout_ms}}}\n"
        "limits: {heartbeat_timeout_seconds: 20}",
    )
    text = text.replace("retries: 2", "retries: 4\nretry_backoff_seconds: 0.2")
    (home / "robots").mkdir(exist_ok=True)
    (home / "robots" / "juminhyo_entry.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def app_process(tmp_path: Path) -> Iterator[SampleAppProcess]:
    require_chromium()
    app = SampleAppProcess(tmp_path / "app.sqlite", allow_duplicates=True)
    yield app
    app.stop()


def _env(app: SampleAppProcess, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "APP_URL": app.url,
            "APP_USER": "staff01",
            "APP_PASSWORD": "demo-pass",
            "DXRPA_HOME": str(home),
            "DXRPA_BROWSER__EXECUTABLE": "/usr/bin/chromium"
            if os.path.exists("/usr/bin/chromium")
            else shutil.which("chromium") or "",
        }
    )
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.slow
def test_sigkill_at_random_points_never_loses_or_doubles_an_item(
    dx_home: Path, app_process: SampleAppProcess
) -> None:
    rows = juminhyo_rows(100, seed=11)
    write_xlsx(dx_home / "data" / "juminhyo.xlsx", rows)
    _robot(dx_home, shared=True)
    env = _env(app_process, dx_home)
    assert run_cli(["robots", "register", "robots/juminhyo_entry.yaml"], cwd=dx_home, env=env) == 0

    result = kill_drill(
        ["run", "juminhyo_entry", "--workers", "2"],
        cwd=dx_home,
        env=env,
        kills=6,
        seed=5,
        min_delay=4.0,
        max_delay=10.0,
    )
    assert result.kills >= 4, "the drill must really interrupt runs"
    assert result.last_exit == 0

    counts = entry_counts(app_process.applications())
    assert set(counts) == {r["受付番号"] for r in rows}, "every item entered"
    assert [k for k, n in counts.items() if n > 1] == [], "no item entered twice"
    with Store(load_settings().db_url).session() as s:
        assert {wi.status for wi in s.scalars(select(WorkItem))} == {"done"}


@pytest.mark.slow
def test_http_500_and_stalls_end_in_done_or_classified_errors(
    dx_home: Path, app_process: SampleAppProcess
) -> None:
    rows = juminhyo_rows(24, seed=21)
    for bad in (rows[3], rows[17]):
        bad["フリガナ"] = "ひらがな"  # a business error the app reports
    write_xlsx(dx_home / "data" / "juminhyo.xlsx", rows)
    _robot(dx_home, shared=False, timeout_ms=2500)
    env = _env(app_process, dx_home)
    assert run_cli(["robots", "register", "robots/juminhyo_entry.yaml"], cwd=dx_home, env=env) == 0
    app_process.set_faults(
        Faults(error_rate=0.05, stall_rate=0.03, stall_seconds=4.0, error_after_save_rate=0.2, seed=3)
    )

    code = run_cli(["run", "juminhyo_entry", "--workers", "3"], cwd=dx_home, env=env)
    assert code in (0, 10)

    with Store(load_settings().db_url).session() as s:
        items = {wi.key: wi for wi in s.scalars(select(WorkItem))}
        attempts = list(s.scalars(select(ItemAttempt)))
    assert len(items) == len(rows)
    # abandoned: failed after its submit and verify could not tell — left for the next run to verify
    assert {wi.status for wi in items.values()} <= {"done", "business_error", "system_error", "abandoned"}
    bad_keys = {rows[3]["受付番号"], rows[17]["受付番号"]}
    # a bad row ends as a business error, unless faults kept it from ever reaching the app's verdict
    assert {items[k].status for k in bad_keys} <= {"business_error", "system_error"}
    assert any(items[k].status == "business_error" for k in bad_keys)
    for key, wi in items.items():
        tries = [a.status for a in sorted(attempts, key=lambda a: a.id) if a.key == key]
        if "business_error" in tries:  # a business error is final: never retried
            assert tries[-1] == "business_error" and tries.count("business_error") == 1, (key, tries)
            assert wi.status == "business_error"
        assert wi.status != "business_error" or key in bad_keys, (key, tries)
    assert any(a.status == "system_error" for a in attempts), "faults must have been hit and retried"

    counts = entry_counts(app_process.applications())
    assert [k for k, n in counts.items() if n > 1] == [], "no item entered twice"
    done = {k for k, wi in items.items() if wi.status == "done"}
    assert done <= set(counts)
    assert set(counts) - done <= {k for k, wi in items.items() if wi.status in ("system_error", "abandoned")}
