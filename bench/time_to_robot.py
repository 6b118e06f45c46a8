"""Time to a working robot for a form nobody documented: record it, fill 5 Excel rows, run it.

    python bench/time_to_robot.py

Everything goes through the commands staff type (`dxrpa record`, `dxrpa secrets set`,
`dxrpa robots validate/register`, `dxrpa run`), each in its own process in a fresh home. The
person's part of `dxrpa record` — log in, open 新規申請, fill the 3-page application form once
and press 登録 — is played by Playwright over the recorder's debugging port, so its seconds are
machine seconds; the count of person actions is printed beside it. The 5 data rows are typed
into the data sheet the recorder wrote (the one manual step that is not a command).

Then the wrong-label case: the recorded robot with `label: 氏名` changed to `label: 名前`, dry
run with the default step timeout. It must stop as a robot defect (exit 3) within 25 s and name
the label the page has.

Prints each command with its seconds and exit code, the totals (commands, seconds), whether the
5 rows reached the sample app, and the wrong-label figures.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, sync_playwright

from _common import CHROMIUM, ROOT, machine
from dxrpa.demo.webapp import start_app

ROBOT = "robots/shinsei_entry.yaml"
ROWS = [
    {
        "受付番号": f"5100{i:02d}",
        "氏名": f"時間 計子{i}",
        "フリガナ": "ジカン ケイコ",
        "生年月日": f"1990-0{i + 1}-15",
        "郵便番号": "100-0001",
        "住所": f"さくら市本町{i + 1}丁目",
        "電話番号": f"03-5555-01{i:02d}",
        "請求の種類": "住民票の写し",
        "必要部数": str(i + 1),
    }
    for i in range(5)
]
FIRST = {**ROWS[0], "受付番号": "599999", "氏名": "見本 花子", "必要部数": "2"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Session:
    """A fresh dxrpa home and the commands typed in it, with their seconds."""

    def __init__(self, home: Path) -> None:
        self.home = home
        (home / "var").mkdir(parents=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DXRPA_")}
        self.env.update(
            DXRPA_HOME=str(home),
            DXRPA_LANG="ja",
            DXRPA_BROWSER__EXECUTABLE=CHROMIUM,
            PYTHONIOENCODING="utf-8",
            COLUMNS="200",
            PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        self.log: list[tuple[str, float, int]] = []

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "dxrpa", *args]

    def run(self, *args: str, stdin: str = "", shown: str | None = None) -> subprocess.CompletedProcess[str]:
        t0 = time.perf_counter()
        result = subprocess.run(
            self.argv(*args),
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=self.env,
            cwd=self.home,
            timeout=600,
            check=False,
        )
        self.log.append((shown or "dxrpa " + " ".join(args), time.perf_counter() - t0, result.returncode))
        return result


def _recorder_page(p: object, port: int) -> Page:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")  # type: ignore[attr-defined]
            for context in browser.contexts:
                for page in context.pages:
                    if "/login" in page.url:
                        page.on("dialog", lambda _d: None)  # the recorder answers dialogs itself
                        return page  # type: ignore[no-any-return]
            browser.close()
        except Exception:
            pass
        time.sleep(0.3)
    raise SystemExit("the recorder's browser never came up")


def record(s: Session, url: str) -> int:
    """`dxrpa record`, with Playwright as the person; returns the number of person actions."""
    port = _free_port()
    args = ["record", url + "/login", "-o", ROBOT, "--title", "申請入力", "--department", "市民課"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        s.argv(*args, "--headless", "--cdp-port", str(port)),
        cwd=s.home,
        env=s.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    actions = 0
    with sync_playwright() as p:
        page = _recorder_page(p, port)
        page.get_by_label("ユーザーID").fill("staff01")
        page.get_by_label("パスワード").fill("demo-pass")
        page.get_by_role("button", name="ログイン").click()
        page.get_by_role("link", name="新規申請").click()
        actions += 4
        for label in ("受付番号", "氏名", "フリガナ", "生年月日", "郵便番号", "住所", "電話番号"):
            page.get_by_label(label, exact=True).fill(FIRST[label])
            actions += 1
        page.get_by_role("button", name="次へ").click()
        page.get_by_label("請求の種類").select_option(label=FIRST["請求の種類"])
        page.get_by_label("必要部数").fill(FIRST["必要部数"])
        page.get_by_label("就職").check()
        page.get_by_role("button", name="確認").click()
        page.get_by_role("button", name="登録").click()
        page.get_by_text("登録しました").wait_for()
        actions += 6
        page.close()  # the person closes the window: the recording ends
    out, err = proc.communicate(timeout=120)
    s.log.append(("dxrpa " + " ".join(args), time.perf_counter() - t0, proc.returncode))
    if proc.returncode != 0:
        raise SystemExit(f"dxrpa record failed ({proc.returncode}):\n{out}{err}")
    return actions


def fill_sheet(s: Session) -> None:
    sheet = s.home / "data" / "shinsei_entry.xlsx"
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    header = [c.value for c in ws[1]]
    for row in ROWS:
        ws.append([row.get(str(h), "") for h in header])
    wb.save(sheet)


def wrong_label(s: Session) -> tuple[float, int, bool, bool]:
    """Dry-run a copy of the robot that says 名前 where the page says 氏名."""
    text = (s.home / ROBOT).read_text(encoding="utf-8")
    if "label: 氏名," not in text:
        raise SystemExit("the recorded robot has no `label: 氏名` fill to break")
    broken = text.replace("name: shinsei_entry", "name: shinsei_wrong")
    broken = broken.replace("label: 氏名,", "label: 名前,", 1)
    (s.home / "robots" / "shinsei_wrong.yaml").write_text(broken, encoding="utf-8")
    sheet = s.home / "data" / "shinsei_entry.xlsx"
    (s.home / "data" / "shinsei_wrong.xlsx").write_bytes(sheet.read_bytes())
    s.run("robots", "register", "robots/shinsei_wrong.yaml", "--yes")
    t0 = time.perf_counter()
    result = s.run("run", "shinsei_wrong", "--dry-run")
    elapsed = time.perf_counter() - t0
    out = result.stdout + result.stderr
    return elapsed, result.returncode, "label=氏名" in out, "Traceback" not in out


def main() -> int:
    print(f"time to robot — {machine()}")
    with tempfile.TemporaryDirectory(prefix="dxrpa-ttr-") as tmp:
        app = start_app(Path(tmp) / "app.sqlite")
        try:
            s = Session(Path(tmp) / "home")
            t0 = time.perf_counter()
            actions = record(s, app.url)
            t_sheet = time.perf_counter()
            fill_sheet(s)
            sheet_s = time.perf_counter() - t_sheet
            for name, value in (("SHINSEI_ENTRY_USER", "staff01"), ("SHINSEI_ENTRY_PASSWORD", "demo-pass")):
                s.run("secrets", "set", name, stdin=value + "\n")
            s.run("robots", "validate", ROBOT)
            s.run("robots", "register", ROBOT, "--yes")
            run = s.run("run", "shinsei_entry")
            total = time.perf_counter() - t0
            commands = len(s.log)
            entered = {a["受付番号"]: a for a in app.applications()}
            ok_rows = sum(
                1 for r in ROWS if r["受付番号"] in entered and entered[r["受付番号"]]["氏名"] == r["氏名"]
            )
            for shown, secs, code in s.log:
                print(f"  {secs:6.2f} s  exit {code:>2}  {shown}")
            print(f"  {sheet_s:6.2f} s           (5 rows typed into data/shinsei_entry.xlsx)")
            print(f"person actions while recording: {actions} (played by Playwright)")
            print(
                f"to a working robot: {commands} commands, {total:.1f} s; "
                f"rows entered correctly {ok_rows}/5 (run exit {run.returncode})"
            )
            wl_s, wl_code, named, clean = wrong_label(s)
            print(
                f"wrong-label dry run: {wl_s:.1f} s (target ≤ 25 s), exit {wl_code} (target 3), "
                f"names label=氏名: {'yes' if named else 'NO'}, traceback-free: {'yes' if clean else 'NO'}"
            )
            good = ok_rows == 5 and run.returncode == 0 and wl_code == 3 and named and wl_s <= 25
            return 0 if good else 1
        finally:
            app.stop()


if __name__ == "__main__":
    sys.exit(main())
