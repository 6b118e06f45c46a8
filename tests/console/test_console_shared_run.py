"""Issue 15: a shared robot's run buttons ask for the 区 — the run goes as ``dxrpa run NAME --unit``
(that 区's data, work-item keys and 課 on the run); no 区, or one the robot does not run for, is
refused with the message and nothing starts."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page

from dxrpa.cli import main
from tests.console.conftest import Console, login
from tests.engine.shared_units import write_shared_home


def _shared(console: Console) -> None:
    write_shared_home(console.settings.home)
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
