"""Issue 16 on the console's run pages: the live page names its robot (also before the run row
exists) and shows total, percentage and ETA; each item shows its non-personal outputs and each
attempt's own evidence; the runs page filters by status; pages fit 390 px (tables scroll inside
their box); error pages keep the navigation and answer 404 for a robot that is not there."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, expect

from dxrpa.store import robots_repo, runs_repo
from dxrpa.store.base import utcnow
from tests.console.conftest import PASSWORD, Console, login
from tests.console.test_console_access import _register
from tests.console.test_console_hardening import _fetch, _http_login

WIDE, NARROW = ViewportSize(width=1366, height=900), ViewportSize(width=390, height=844)


def _live_run(console: Console) -> tuple[str, str]:
    """A running run of 4 planned items started a minute ago with 2 items processed, and a failed one.

    R-1: a system error (own screenshot) then a verify attempt that found it entered (no screenshot);
    R-2: done with a receipt number and an output declared ``pii: true`` (stored encrypted)."""
    _register(console)
    with console.store.session() as s:
        robot = robots_repo.get_robot(s, "juminhyo_entry")
        version = robots_repo.current_version(s, robot)
        assert version is not None
        run = runs_repo.create_run(
            s,
            robot=robot,
            version=version,
            status="running",
            items_total=4,
            started_at=utcnow() - timedelta(seconds=60),
        )
        folder = console.settings.runs_dir / run.id
        (folder / "evidence").mkdir(parents=True)
        shot = folder / "evidence" / "R-1-item-1.png"
        shot.write_bytes(b"\x89PNG\r\n\x1a\n")
        run.folder = str(folder)
        first = runs_repo.add_attempt(
            s,
            run_id=run.id,
            item_id=None,
            key="R-1",
            seq=1,
            attempt=1,
            status="system_error",
            screenshot=str(shot),
        )
        runs_repo.add_attempt(
            s,
            run_id=run.id,
            item_id=None,
            key="R-1",
            seq=1,
            attempt=2,
            status="done",
            outputs={"receipt_no": "K-000111"},
        )
        runs_repo.add_attempt(
            s,
            run_id=run.id,
            item_id=None,
            key="R-2",
            seq=2,
            attempt=1,
            status="done",
            outputs={"receipt_no": "K-000222", "本人氏名": "enc:gAAAAhidden"},
        )
        failed = runs_repo.create_run(s, robot=robot, version=version, status="failed")
        assert first.id
        return run.id, failed.id


def test_status_json_has_total_percent_eta_outputs_and_own_evidence(console: Console) -> None:
    run_id, _failed = _live_run(console)
    cookie = _http_login(console, "operator1", PASSWORD)[1]
    code, _, body = _fetch(console.url + f"/runs/{run_id}/status.json", cookie=cookie)
    assert code == 200
    snap = json.loads(body)
    assert snap["robot"] == "juminhyo_entry"
    assert (snap["total"], snap["processed"], snap["percent"]) == (4, 2, 50)
    assert 45 <= snap["eta_seconds"] <= 90  # a minute for two items: about a minute for the other two
    items = {i["key"]: i for i in snap["items"]}
    assert items["R-1"]["status"] == "done" and items["R-1"]["screenshot"] is None  # verify: none of its own
    assert [e["attempt"] for e in items["R-1"]["evidence"]] == [1]
    assert items["R-1"]["evidence"][0]["screenshot"].endswith("/screenshot")
    assert items["R-2"]["outputs"] == {"receipt_no": "K-000222", "本人氏名": "(暗号化)"}
    assert "hidden" not in body


def test_page_of_a_run_the_console_just_started_names_its_robot(console: Console) -> None:
    _register(console)
    run_id = console.app.state.console.launcher.start("juminhyo_entry", user="operator1")  # type: ignore[attr-defined]
    cookie = _http_login(console, "operator1", PASSWORD)[1]
    _, _, html = _fetch(console.url + f"/runs/{run_id}", cookie=cookie)
    assert 'href="/robots/juminhyo_entry"' in html and "ロボット: -" not in html
    console.wait_runs()


def _fits(page: Page, path: str, shots: Path, name: str) -> None:
    page.goto(path)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None and width <= viewport["width"], (name, width)


def test_run_pages_at_1366_and_390_px(console: Console, page: Page, tmp_path: Path) -> None:
    run_id, failed_id = _live_run(console)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    login(page, console, "admin1")
    for size, label in ((WIDE, "1366"), (NARROW, "390")):
        page.set_viewport_size(size)
        _fits(page, console.url + f"/runs/{run_id}", shots, f"run-{label}")
        expect(page.locator("#run-robot")).to_have_text("juminhyo_entry")
        expect(page.locator("#run-total")).to_have_text("4")
        expect(page.locator("#run-percent")).to_have_text("50")
        expect(page.locator("#run-eta")).to_contain_text("残り約")
        row = page.locator("tr.item[data-key='R-2']")
        expect(row.locator("td.outputs")).to_contain_text("receipt_no=K-000222")
        expect(row.locator("td.outputs")).to_contain_text("(暗号化)")
        expect(page.locator("tr.item[data-key='R-1'] a.shot")).to_have_text("試行 1 画面")
        status = page.locator("#run-status")
        box = status.bounding_box()
        assert box is not None and box["height"] < 40, box  # 「実行中」 on one line, not one letter per line
        _fits(page, console.url + "/runs", shots, f"runs-{label}")
        _fits(page, console.url + "/robots", shots, f"robots-{label}")
    page.goto(console.url + "/runs")
    page.select_option("#status-filter", "failed")
    page.wait_for_url("**/runs?status=failed")
    expect(page.locator("#runs tbody tr")).to_have_count(1)
    expect(page.locator("#runs tbody")).to_contain_text(failed_id)
    page.goto(console.url + "/runs?status=succeeded")
    expect(page.locator("#runs tbody")).to_contain_text("該当する実行はありません")


def test_error_pages_keep_navigation_and_answer_404(console: Console) -> None:
    cookie = _http_login(console, "viewer1", PASSWORD)[1]
    for path in ("/robots/nope", "/runs/20260101-000000-abcdef", "/no-such-page"):
        code, _, html = _fetch(console.url + path, cookie=cookie)
        assert code == 404, (path, code)
        assert 'href="/runs"' in html and 'id="whoami"' in html, path  # the navigation is there
    req = urllib.request.Request(console.url + "/robots/nope")
    try:
        urllib.request.urlopen(req)
    except urllib.error.HTTPError as e:  # logged out: the login page, not a crash
        assert e.code in (401, 404)


def test_every_page_fits_390_px(console: Console, page: Page, tmp_path: Path) -> None:
    _live_run(console)
    login(page, console, "admin1")
    page.set_viewport_size(NARROW)
    for path in (
        "/robots",
        "/robots/juminhyo_entry",
        "/robots/new",
        "/robots/juminhyo_entry/edit",
        "/runs",
        "/schedules",
        "/ocr",
        "/dashboard",
        "/users",
        "/assets",
        "/robots/nope",
    ):
        name = path.strip("/").replace("/", "-") or "root"
        _fits(page, console.url + path, tmp_path, f"{name}-390")
