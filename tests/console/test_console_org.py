"""Issue 15 in the console: admins edit the organisation tree (CSRF-checked, audited, a used 課 kept
with what to do), operators only read it; the dashboard shows 組織別, the rankings and a robot
shared by several 区, with the report's rounding."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from dxrpa.orgtree import load_org
from dxrpa.store import audit_repo
from dxrpa.store.ledger_repo import record_run
from tests.console.conftest import Console, login
from tests.ledger.scenario import Factory, utc

ORG = """\
市民局:
  市民部:
    - 市民課
北区:
  区民部: [北区区民課]
中央区:
  区民部（中央）: [中央区区民課]
"""


def _home(console: Console) -> Path:
    org = console.settings.home / "configs" / "org.yaml"
    org.parent.mkdir(parents=True, exist_ok=True)
    org.write_text(ORG, encoding="utf-8")
    with console.store.session() as s:
        f = Factory(s)
        citizen = f.robot("jumin", "住民異動届入力", "市民課")
        v1 = f.version(citizen, 1, mpi=10, mpr=0, rework=0)
        record_run(s, f.run("c1", citizen, v1, utc(2026, 5, 10), ok=3), v1, citizen)  # 0.5 h
        shared = f.robot("tennyu", "転入届入力", "区民課")
        v2 = f.version(shared, 1, mpi=6, mpr=0, rework=0)
        for run_id, unit, ok in (("k1", "北区", 7), ("k2", "中央区", 4)):  # 0.7 h, 0.4 h
            run = f.run(run_id, shared, v2, utc(2026, 5, 11), ok=ok)
            run.unit, run.department = unit, f"{unit}区民課"
            record_run(s, run, v2, shared)
    return org


def _names(org: Path) -> list[str]:
    tree = load_org(org)
    assert tree is not None
    return [u.name for u in tree.units]


def test_admin_edits_the_tree_operator_reads_it(console: Console, page: Page) -> None:
    org = _home(console)
    login(page, console, "admin1")
    page.goto(console.url + "/org")
    expect(page.locator("#org-tree")).to_contain_text("北区区民課")
    add = page.locator("#org-add")
    add.locator("input[name=name]").fill("保険年金課")
    add.locator("select[name=under]").select_option("市民部")
    add.get_by_role("button", name="追加").click()
    expect(page.locator(".flash")).to_contain_text("「保険年金課」を追加しました")
    assert "保険年金課" in _names(org)
    row = page.locator("tr[data-name='市民課']")
    row.locator("button.remove").click()
    expect(page.locator(".flash")).to_contain_text("「市民課」は削除できません")
    expect(page.locator(".flash")).to_contain_text("台帳 1 行")
    assert "市民課" in _names(org)
    row = page.locator("tr[data-name='保険年金課']")
    row.locator("input[name=new]").fill("国保年金課")
    row.locator("button.rename").click()
    expect(page.locator(".flash")).to_contain_text("「保険年金課」を「国保年金課」に変更しました")
    assert "国保年金課" in _names(org) and "保険年金課" not in _names(org)
    with console.store.session() as s:
        actions = [
            (r.action, r.actor, r.subject) for r in audit_repo.list_rows(s) if r.action.startswith("org.")
        ]
    assert actions == [("org.add", "admin1", "保険年金課"), ("org.rename", "admin1", "保険年金課")]
    # a form without its token, and an operator's post, change nothing
    before = org.read_bytes()
    r = page.request.post(console.url + "/org/remove", form={"name": "国保年金課"}, max_redirects=0)
    assert r.status == 403
    page.context.clear_cookies()
    login(page, console, "operator1")
    page.goto(console.url + "/org")
    expect(page.locator("#org-tree")).to_contain_text("国保年金課")
    expect(page.locator("#org-add")).to_have_count(0)
    expect(page.locator("button.remove")).to_have_count(0)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    r = page.request.post(
        console.url + "/org/remove", form={"csrf": csrf, "name": "国保年金課"}, max_redirects=0
    )
    assert r.status == 403
    assert org.read_bytes() == before
    page.context.clear_cookies()
    login(page, console, "viewer1")
    response = page.goto(console.url + "/org")
    assert response is not None and response.status == 403


def test_dashboard_rolls_up_by_level_ranks_and_shows_shared_robots(console: Console, page: Page) -> None:
    _home(console)
    login(page, console, "viewer1")
    page.goto(console.url + "/dashboard?fy=2026")
    org = page.locator("#org-rollup")
    expect(org.locator("tr", has_text="北区区民課")).to_contain_text("0.7")
    expect(org.locator("tr", has_text="市民局")).to_contain_text("0.5")
    page.goto(console.url + "/dashboard?fy=2026&level=0")  # 局/区 only
    rows = page.locator("#org-rollup tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("市民局")
    # one robot across two 区 ranks above the 課 robot: 1.1 h against 0.5 h
    ranks = page.locator("#rank-robots tbody tr")
    expect(ranks.nth(0)).to_contain_text("tennyu")
    expect(ranks.nth(0)).to_contain_text("1.1")
    expect(ranks.nth(1)).to_contain_text("jumin")
    expect(page.locator("#rank-departments tbody tr").nth(0)).to_contain_text("北区区民課")
    shared = page.locator("#shared-robots tbody tr")
    expect(shared).to_have_count(2)
    expect(shared.nth(0)).to_contain_text("2 区")
    expect(shared.nth(0)).to_contain_text("北区")
    expect(shared.nth(1)).to_contain_text("中央区区民課")
    expect(page.locator("body")).not_to_contain_text("-0.0")
