"""Issue 15: a shared robot's run buttons ask for the 区 — the run goes as ``dxrpa run NAME --unit``
(that 区's data, work-item keys and 課 on the run); no 区, or one the robot does not run for, is
refused with the message and nothing starts."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page

from dxrpa.cli import main
from tests.console.conftest import Console, login
from tests.engine.test_shared_robots import ORG, ROBOT


def _shared(console: Console) -> None:
    home = console.settings.home
    (home / "robots").mkdir(exist_ok=True)
    (home / "robots" / "tennyu.yaml").write_text(ROBOT, encoding="utf-8")
    (home / "configs").mkdir(exist_ok=True)
    (home / "configs" / "org.yaml").write_text(ORG, encoding="utf-8")
    for unit, rows in (("北区", "A001\nA002\n"), ("中央区", "A001\n")):
        (home / "data" / unit).mkdir(parents=True, exist_ok=True)
        (home / "data" / unit / "転入.csv").write_text("受付番号\n" + rows, encoding="utf-8")
    assert main(["robots", "register", "robots/tennyu.yaml"]) == 0
    assert main(["robots", "approve", "tennyu"]) == 0


def test_the_run_button_of_a_shared_robot_asks_for_the_unit(console: Console, page: Page) -> None:
    _shared(console)
    login(page, console, "operator1")
    page.goto(console.url + "/robots/tennyu")
    options = page.locator("#run-now-unit option").all_inner_texts()
    assert options[1:] == ["北区", "中央区"]
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    forms: list[tuple[dict[str, str | float | bool], str]] = [
        ({"csrf": csrf}, "--unit"),
        ({"csrf": csrf, "unit": "南区"}, "南区"),
    ]
    for form, word in forms:
        r = page.request.post(console.url + "/robots/tennyu/run", form=form)  # back to the robot page
        assert r.url.endswith("/robots/tennyu") and word in r.text(), r.text()
    db = console.settings.home / "var" / "dxrpa.db"
    with sqlite3.connect(db) as c:
        assert c.execute("select count(*) from runs").fetchone() == (0,)
    page.select_option("#run-now-unit", "中央区")
    page.click("#run-now")
    page.wait_for_url("**/runs/*")
    console.wait_runs()
    with sqlite3.connect(db) as c:
        runs = list(c.execute("select trigger, unit, department, status from runs"))
        items = list(c.execute("select key, status from work_items"))
    assert runs == [("console", "中央区", "中央区区民課", "succeeded")]
    assert items == [("中央区/A001", "done")]
