"""Staff in real Chromium: upload a robot with a typo, see the error at its line, fix and register,
run it against the sample app, watch it finish, open a failed item's masked screenshot, reprocess
the item after the data was fixed, read the dashboard and download the report."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.store.tables import AuditRow, RobotVersion, Run
from tests.console.conftest import ROOT, Console, login

RUN_TIMEOUT = 120_000


def _robot_text() -> str:
    return (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")


def test_upload_typo_fix_register_run_evidence_reprocess_dashboard(
    console: Console, page: Page, robot_env: Path, sample_app: SampleApp
) -> None:
    rows = juminhyo_rows(3, seed=11)
    good_kana = rows[1]["フリガナ"]
    rows[1]["フリガナ"] = "やまだ はなこ"  # hiragana: the sample app refuses it (a business error)
    data = robot_env / "data" / "juminhyo.xlsx"
    write_xlsx(data, rows)
    login(page, console, "operator1")

    # upload a file with a typo at line 4 and see the error at that line
    text = _robot_text()
    lines = text.splitlines()
    assert lines[3].startswith("title:")
    typo = text.replace("\ntitle:", "\ntitel:", 1)
    page.goto(console.url + "/robots/new")
    page.set_input_files(
        "input[name=file]",
        files=[FilePayload(name="juminhyo_entry.yaml", mimeType="text/yaml", buffer=typo.encode("utf-8"))],
    )
    page.locator("#validate").click()
    expect(page.locator("#errors")).to_be_visible()
    expect(page.locator("#line-4")).to_have_class("err")
    expect(page.locator("#line-4 .msg")).to_contain_text("titel")
    expect(page.locator("#errors")).to_contain_text("行 4")

    # fix it in the browser and register
    page.locator("#yaml-text").fill(text)
    page.locator("#register").click()
    page.wait_for_url("**/robots/juminhyo_entry")
    expect(page.locator(".flash")).to_contain_text("版 1")

    # run now and watch it finish: 2 entered, 1 business error
    page.locator("#run-now").click()
    page.wait_for_url("**/runs/*")
    first_run = page.url.rsplit("/", 1)[1]
    expect(page.locator("#run-status")).to_have_attribute("data-status", "partial", timeout=RUN_TIMEOUT)
    expect(page.locator("#count-done")).to_have_text("2")
    expect(page.locator("#count-business")).to_have_text("1")
    failed = page.locator(f'tr.item[data-key="{rows[1]["受付番号"]}"]')
    expect(failed.locator("td.status")).to_have_text("業務エラー")
    expect(failed).to_contain_text("申請者の入力に誤りがあります")

    # the failed item's masked screenshot comes from the run folder
    href = failed.locator("a.shot").get_attribute("href")
    assert href and href.startswith(f"/runs/{first_run}/attempts/")
    trace_href = failed.locator("a", has_text="トレース").get_attribute("href")
    shot = page.goto(console.url + href)
    assert shot is not None and shot.status == 200 and shot.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(shot.body())) as im:
        assert im.width > 100 and im.height > 100
    assert trace_href and trace_href.startswith(f"/runs/{first_run}/attempts/")
    trace = page.request.get(console.url + trace_href)
    assert trace.status == 200 and trace.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(trace.body())) as z:
        assert z.namelist()
    # evidence is only served for the run it belongs to
    other = page.request.get(console.url + href.replace(first_run, "20200101-000000-000000"))
    assert other.status == 404
    assert sorted(a["受付番号"] for a in sample_app.applications()) == sorted(
        r["受付番号"] for i, r in enumerate(rows) if i != 1
    )

    # fix the data, reprocess that item from the run page
    rows[1]["フリガナ"] = good_kana
    write_xlsx(data, rows)
    page.goto(console.url + f"/runs/{first_run}")
    page.locator(f'tr.item[data-key="{rows[1]["受付番号"]}"] button.reprocess').click()
    page.wait_for_url(lambda url: "/runs/" in url and first_run not in url)
    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded", timeout=RUN_TIMEOUT)
    expect(page.locator("#count-done")).to_have_text("1")
    assert len(sample_app.applications()) == 3

    # the dashboard counts both runs: (2×6 + 10 − 1×4) + (1×6 + 10) = 34 min
    page.goto(console.url + "/dashboard")
    expect(page.locator("#saved-hours")).to_have_text("0.6")
    expect(page.locator("#robots-saved")).to_contain_text("juminhyo_entry")
    expect(page.locator("#month-chart svg")).to_be_visible()
    with page.expect_download() as dl:
        page.locator("#download").click()
    saved = robot_env / "report.xlsx"
    dl.value.save_as(saved)
    wb = load_workbook(saved, read_only=True)
    assert len(wb.sheetnames) >= 3
    wb.close()

    with console.store.session() as s:
        actions = {(r.actor, r.action) for r in s.scalars(select(AuditRow))}
    assert ("operator1", "robot.register") in actions
    assert ("operator1", "console.run_request") in actions
    assert ("operator1", "item.reprocess") in actions
    assert ("operator1", "report.exported") in actions


def test_versions_diff_and_dry_run(
    console: Console, page: Page, robot_env: Path, sample_app: SampleApp
) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(1, seed=5))
    login(page, console, "author1")
    text = _robot_text()
    for version in (text, text.replace("title: 住民票交付申請の入力", "title: 住民票交付申請の入力(改)")):
        page.goto(console.url + "/robots/new")
        page.locator("#yaml-text").fill(version)
        page.locator("input[name=filename]").evaluate("e => e.value = 'juminhyo_entry.yaml'")
        page.locator("#register").click()
        page.wait_for_url("**/robots/juminhyo_entry")
    page.locator("#diff-button").click()
    expect(page.locator("#diff .del")).to_contain_text("-title: 住民票交付申請の入力")
    expect(page.locator("#diff .add")).to_contain_text("+title: 住民票交付申請の入力(改)")
    # an author may dry-run but not run for real
    expect(page.locator("#run-now")).to_have_count(0)
    page.locator("#dry-run").click()
    page.wait_for_url("**/runs/*")
    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded", timeout=RUN_TIMEOUT)
    assert sample_app.applications() == []  # the submit step is skipped in a dry run


def test_author_version_waits_for_an_operator_who_sees_the_diff_and_approves(
    console: Console, page: Page, robot_env: Path, sample_app: SampleApp
) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(1, seed=9))
    text = _robot_text()
    login(page, console, "author1")
    page.goto(console.url + "/robots/new")
    expect(page.locator("#approval-note")).to_contain_text("承認待ち")
    page.locator("#yaml-text").fill(text)
    page.locator("#register").click()
    page.wait_for_url("**/robots/juminhyo_entry")
    expect(page.locator(".flash")).to_contain_text("承認待ち")
    expect(page.locator("#pending-diff .add").first).to_contain_text("+# 住民票")
    expect(page.locator("#approve")).to_have_count(0)
    expect(page.locator("#run-now")).to_have_count(0)
    expect(page.locator("#no-submit-ok")).to_have_count(0)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    for path, form in (("approve", {"version": "1"}), ("run", {}), ("dry-run", {"no_submit_ok": "1"})):
        r = page.request.post(
            f"{console.url}/robots/juminhyo_entry/{path}", form={"csrf": csrf, **form}, max_redirects=0
        )
        assert r.status == 403, path

    page.context.clear_cookies()
    login(page, console, "operator1")
    page.goto(console.url + "/robots/juminhyo_entry")
    expect(page.locator("#approval")).to_contain_text("承認された版はまだありません")
    expect(page.locator("#run-now")).to_have_count(0)
    expect(page.locator("#no-submit-ok")).to_have_count(1)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    r = page.request.post(console.url + "/robots/juminhyo_entry/run", form={"csrf": csrf})
    assert r.status == 200 and "承認された版がない" in r.text()  # refused on the robot page, nothing ran
    r = page.request.post(
        console.url + "/robots/juminhyo_entry/approve", form={"version": "1"}, max_redirects=0
    )
    assert r.status == 403  # no CSRF token
    page.goto(console.url + "/robots/juminhyo_entry")
    page.locator("#approve").click()
    page.wait_for_url("**/robots/juminhyo_entry")
    expect(page.locator(".flash")).to_contain_text("承認しました")
    expect(page.locator("#pending")).to_have_count(0)

    # the author edits it (with markup in it): production keeps v1, the operator sees the escaped diff
    page.context.clear_cookies()
    login(page, console, "author1")
    evil = text.replace("title: 住民票交付申請の入力", 'title: "<script>window.pwned=1</script>改"')
    page.goto(console.url + "/robots/new")
    page.locator("#yaml-text").fill(evil)
    page.locator("#register").click()
    page.wait_for_url("**/robots/juminhyo_entry")
    page.context.clear_cookies()
    login(page, console, "operator1")
    page.goto(console.url + "/robots/juminhyo_entry")
    expect(page.locator("#pending-diff .del")).to_have_text(["-title: 住民票交付申請の入力"])
    expect(page.locator("#pending-diff .add")).to_have_text(['+title: "<script>window.pwned=1</script>改"'])
    assert page.evaluate("window.pwned") is None
    expect(page.locator("#approve")).to_contain_text("v2")
    page.locator("#run-now").click()
    page.wait_for_url("**/runs/*")
    expect(page.locator("#run-status")).to_have_attribute("data-status", "succeeded", timeout=RUN_TIMEOUT)
    assert len(sample_app.applications()) == 1

    with console.store.session() as s:
        versions = [
            v
            for (v,) in s.execute(
                select(RobotVersion.version).join(Run, Run.robot_version_id == RobotVersion.id)
            )
        ]
        approvals = [
            (r.actor, r.detail["version"], r.detail["via"])
            for r in s.scalars(select(AuditRow).where(AuditRow.action == "robot.approve"))
        ]
    assert versions == [1]
    assert approvals == [("operator1", 1, "console")]
