"""Fault switch (HTTP 500 / stalls on robot-facing pages only) and the app as a separate process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from dxrpa.demo.webapp import Faults, SampleApp, read_applications, start_app_process
from dxrpa.demo.webapp.faults import Fault, FaultInjector


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        return json.loads(resp.read().decode("utf-8"))


def test_error_rate_one_fails_pages_but_not_api(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    ui.enter(page, app.url)
    app.set_faults(Faults(error_rate=1.0, seed=1))
    for path in ("/", "/login", "/applications?q=000101", "/applications/new"):
        response = page.goto(app.url + path)
        assert response is not None and response.status == 500, path
        expect(page.get_by_role("alert")).to_contain_text("システムエラーが発生しました")
    assert [r["受付番号"] for r in _get_json(app.url + "/api/applications")] == ["000101"]
    assert _get_json(app.url + "/api/faults")["error_rate"] == 1.0
    assert _get_json(app.url + "/api/health") == {"ok": True}
    assert page.request.get(app.url + "/static/app.css").status == 200
    app.set_faults(Faults())
    response = page.goto(app.url + "/")
    assert response is not None and response.status == 200


def test_stall_delays_pages(logged_in: Page, app: SampleApp) -> None:
    page = logged_in
    app.set_faults(Faults(stall_rate=1.0, stall_seconds=0.6))
    start = time.monotonic()
    response = page.goto(app.url + "/")
    assert response is not None and response.status == 200
    assert time.monotonic() - start >= 0.6
    with pytest.raises(PlaywrightError, match="Timeout"):
        page.goto(app.url + "/downloads", timeout=200)
    start = time.monotonic()
    _get_json(app.url + "/api/applications")
    assert time.monotonic() - start < 0.5  # the admin API never stalls


def test_error_after_save_loses_the_response_but_stores(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    ui.fill_applicant(page, app.url, ui.applicant)
    ui.fill_request(page)
    app.set_faults(Faults(error_after_save_rate=1.0))
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        ui.submit_confirmed(page)
    assert info.value.status == 500
    expect(page.get_by_role("alert")).to_contain_text("システムエラー")
    app.set_faults(Faults())
    page.goto(app.url + "/applications?q=000101")  # what a robot's verify: block does
    expect(page.get_by_role("table", name="検索結果").locator("tbody tr")).to_have_count(1)
    assert len(app.applications()) == 1


def test_seeded_draws_are_reproducible_and_near_the_rate() -> None:
    def draws(seed: int) -> list[Fault]:
        inj = FaultInjector(Faults(error_rate=0.1, stall_rate=0.1, stall_seconds=0.0, seed=seed))
        return [inj.draw()[0] for _ in range(2000)]

    a, b = draws(7), draws(7)
    assert a == b and a != draws(8)
    assert 150 < a.count(Fault.ERROR) < 250 and 150 < a.count(Fault.STALL) < 250


def test_bad_faults_are_refused(app: SampleApp) -> None:
    with pytest.raises(ValueError, match="error_rate"):
        Faults(error_rate=1.5)
    with pytest.raises(ValueError, match="exceed"):
        Faults(error_rate=0.6, stall_rate=0.6)
    req = urllib.request.Request(
        app.url + "/api/faults",
        data=b'{"eror_rate": 0.1}',
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 400 and "eror_rate" in err.value.read().decode()


def test_app_as_a_separate_process(page: Page, tmp_path: Path, ui: Any) -> None:
    db = tmp_path / "proc.sqlite"
    with start_app_process(db, allow_duplicates=True, faults=Faults(error_rate=1.0, seed=3)) as proc:
        assert proc.alive() and proc.faults.error_rate == 1.0
        response = page.goto(proc.url + "/login")
        assert response is not None and response.status == 500
        proc.set_faults(Faults())
        ui.login(page, proc.url)
        r1 = ui.enter(page, proc.url)
        r2 = ui.enter(page, proc.url)  # allow_duplicates: double entry is stored and visible
        assert [r["交付番号"] for r in proc.applications()] == [r1, r2]
        assert [a["結果"] for a in proc.attempts()] == ["accepted", "accepted"]
    assert not proc.alive()
    assert [r["受付番号"] for r in read_applications(db)] == ["000101", "000101"]
    # the data survives a restart and the 交付番号 sequence continues
    with start_app_process(db) as again:
        ui.login(page, again.url)
        ui.fill_applicant(page, again.url, ui.applicant)
        expect(page.get_by_role("alert")).to_have_text("この受付番号は既に登録されています")
        r3 = ui.enter(page, again.url, 受付番号="000103")
        assert len(again.applications()) == 3 and r3 not in (r1, r2)


def test_module_entry_point_rejects_bad_arguments() -> None:
    cmd = [sys.executable, "-m", "dxrpa.demo.webapp", "--port", "0", "--user", "no-colon"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "ID:PASSWORD" in result.stderr
    cmd = [sys.executable, "-m", "dxrpa.demo.webapp", "--port", "0", "--error-rate", "2"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "error_rate" in result.stderr


def test_one_draw_per_page_load_so_seeds_reproduce(page: Page, app: SampleApp) -> None:
    """Chromium's side requests (favicon, CSS, JS) never consume a draw: a seed replays exactly."""
    faults = Faults(error_rate=0.5, seed=42)
    inj = FaultInjector(faults)
    expected = [500 if inj.draw()[0] is Fault.ERROR else 200 for _ in range(12)]
    app.set_faults(faults)
    seen = []
    for _ in range(12):
        response = page.goto(app.url + "/login")
        assert response is not None
        seen.append(response.status)
    assert seen == expected and 200 in seen and 500 in seen


def test_form_post_answered_with_500_stores_nothing(logged_in: Page, app: SampleApp, ui: Any) -> None:
    page = logged_in
    ui.fill_applicant(page, app.url, ui.applicant)
    ui.fill_request(page)
    app.set_faults(Faults(error_rate=1.0))
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        ui.submit_confirmed(page)
    assert info.value.status == 500
    expect(page.get_by_role("alert")).to_contain_text("システムエラーが発生しました（500）")
    assert app.applications() == [] and app.attempts() == []
