"""``dxrpa record``: Playwright plays the person in the browser the real CLI opened (over a
loopback debugging port); the robot it writes must validate and then enter rows green."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, sync_playwright

from dxrpa.demo.webapp import SampleApp
from tests.security.conftest import CliRunner

ROWS = [
    {
        "受付番号": f"3000{i:02d}",
        "氏名": f"記録 太郎{i}",
        "フリガナ": "キロク タロウ",
        "生年月日": "1985-06-0" + str(i + 1),
        "郵便番号": "100-0001",
        "住所": f"さくら市本町{i + 1}丁目",
        "電話番号": f"03-1234-56{i:02d}",
        "請求の種類": "住民票の写し",
        "必要部数": str(i + 1),
    }
    for i in range(5)
]


_STARTED: list[subprocess.Popen[str]] = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_record(home: Path, env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-X",
            "faulthandler",  # a recorder that hangs can be asked where (SIGABRT in _finish)
            "-c",
            "import sys; from dxrpa.cli import main; sys.exit(main(sys.argv[1:]))",
            "record",
            *args,
            "--headless",
            "--cdp-port",
            str(port),
        ],
        cwd=home,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=True,  # its own process group, as a command typed in a terminal
    )
    _STARTED.append(proc)
    return proc, port


def _recorder_page(p: object, port: int, url_part: str) -> Page:
    deadline = time.monotonic() + 60
    while True:
        try:
            browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")  # type: ignore[attr-defined]
            for context in browser.contexts:
                for page in context.pages:
                    if url_part in page.url:
                        # the recorder answers dialogs; without a listener this client would dismiss them
                        page.on("dialog", lambda _dialog: None)
                        return page  # type: ignore[no-any-return]
            browser.close()
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the recorder's browser page never came up")
        time.sleep(0.3)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack, then it dies
        out, err = proc.communicate(timeout=30)
        raise AssertionError(f"the recorder did not end within 120 s; where it was:\n{out}\n{err}") from None
    return proc.returncode, out, err


@pytest.fixture(autouse=True)
def _no_recorder_left_behind() -> Iterator[None]:
    """A test that fails mid-recording must not leave its recorder (and browser) running."""
    yield
    for proc in _STARTED:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    _STARTED.clear()


def test_recorded_robot_validates_and_enters_five_rows(
    app: SampleApp, home: Path, browser_env: dict[str, str], cli: CliRunner
) -> None:
    proc, port = _start_record(
        home,
        browser_env,
        app.url + "/login",
        "-o",
        "robots/rec_entry.yaml",
        "--title",
        "記録した入力",
        "--department",
        "市民課",
    )
    with sync_playwright() as p:
        page = _recorder_page(p, port, "/login")
        page.get_by_label("ユーザーID").fill("staff01")
        page.get_by_label("パスワード").fill("demo-pass")
        page.get_by_role("button", name="ログイン").click()
        page.get_by_role("link", name="新規申請").click()
        first = {**ROWS[0], "受付番号": "399999", "氏名": "見本 花子"}  # what the author typed once
        for label in ("受付番号", "氏名", "フリガナ", "生年月日", "郵便番号", "住所", "電話番号"):
            page.get_by_label(label, exact=True).fill(first[label])
        page.get_by_role("button", name="次へ").click()
        page.get_by_label("請求の種類").select_option(label=first["請求の種類"])
        page.get_by_label("必要部数").fill("2")  # not the default 1: an unchanged field records nothing
        page.get_by_label("就職").check()
        page.get_by_role("button", name="確認").click()
        page.get_by_role("button", name="登録").click()  # the recorder answers the confirm dialog
        page.get_by_text("登録しました").wait_for()
        page.close()  # the person closes the window: the recording ends
    code, out, err = _finish(proc)
    assert code == 0, out + err
    robot_file = home / "robots" / "rec_entry.yaml"
    text = robot_file.read_text(encoding="utf-8")
    assert "demo-pass" not in text and "staff01" not in text and first["氏名"] not in text
    for line in (
        "fill: {label: 氏名, value: '{{ item.氏名 }}'}",
        "select: {label: 請求の種類",
        "check: {role: radio, name: 就職}",
        "click: {role: button, name: 登録, dialog: accept, submit: true}",
        "# verify:",
    ):
        assert line in text, text
    steps = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not any("css:" in line for line in steps), text  # every element had a readable locator

    sheet = home / "data" / "rec_entry.xlsx"
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert {"受付番号", "氏名", "請求の種類", "必要部数"} <= set(header), header
    for row in ROWS:
        ws.append([row.get(h, "") for h in header])
    wb.save(sheet)

    assert cli("robots", "validate", "robots/rec_entry.yaml").returncode == 0
    assert cli("robots", "register", "robots/rec_entry.yaml").returncode == 0
    env = {"REC_ENTRY_USER": "staff01", "REC_ENTRY_PASSWORD": "demo-pass", **browser_env}
    run = cli("run", "rec_entry", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    entered = {a["受付番号"]: a for a in app.applications()}
    for row in ROWS:
        assert entered[row["受付番号"]]["氏名"] == row["氏名"]
        assert entered[row["受付番号"]]["必要部数"] == int(row["必要部数"])


def test_cancelled_recording_writes_nothing(app: SampleApp, home: Path, browser_env: dict[str, str]) -> None:
    proc, port = _start_record(home, browser_env, app.url + "/login", "-o", "robots/rec_cancel.yaml")
    with sync_playwright() as p:
        page = _recorder_page(p, port, "/login")
        page.get_by_label("ユーザーID").fill("staff01")
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C in a terminal: every process of the group
        code, out, err = _finish(proc)
    assert code == 130, out + err
    assert "中止" in out + err or "cancel" in (out + err).lower()
    assert not (home / "robots" / "rec_cancel.yaml").exists()
    assert "Traceback" not in err and "exception" not in err.lower(), err


def test_browser_closed_before_anything_was_done(
    app: SampleApp, home: Path, browser_env: dict[str, str]
) -> None:
    proc, port = _start_record(home, browser_env, app.url + "/login", "-o", "robots/rec_empty.yaml")
    with sync_playwright() as p:
        _recorder_page(p, port, "/login").close()
        code, out, err = _finish(proc)
    assert code == 2, out + err
    assert "nothing was recorded" in err
    assert not (home / "robots" / "rec_empty.yaml").exists()


@pytest.mark.parametrize("name", ["robots/住民票入力.yaml", "robots/Bad-Name.yaml", "robots/x.txt"])
def test_a_file_name_that_cannot_be_a_robot_is_refused_before_recording(cli: CliRunner, name: str) -> None:
    result = cli("record", "http://127.0.0.1:9/", "-o", name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot be a robot file name" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_page_that_cannot_be_opened_is_a_clear_error(home: Path, browser_env: dict[str, str]) -> None:
    port = _free_port()  # nothing listens there
    proc, _ = _start_record(home, browser_env, f"http://127.0.0.1:{port}/", "-o", "robots/rec_none.yaml")
    code, out, err = _finish(proc)
    assert code == 2, out + err
    assert f"127.0.0.1:{port}" in err and "Traceback" not in err
    assert not (home / "robots" / "rec_none.yaml").exists()
