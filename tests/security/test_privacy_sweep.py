"""Issue 12: the privacy sweep. A robot keyed by 個人番号, with secrets, runs against the sample app
(one item entered, one business error, one system error with evidence, a ``screenshot:`` step on the
confirmation page, outputs holding the number), is reprocessed by its raw key, and then every byte
under ``var/`` is searched for every encoding of the secrets and My Numbers: the SQLite DB and WAL,
logs, the results workbook and traces unzipped, the console's run-status JSON, and the OCR text of
every screenshot (bundled RapidOCR model). Expected hits: zero.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import unicodedata
import urllib.parse
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import OcrSettings, load_settings
from dxrpa.demo.data import juminhyo_rows
from dxrpa.demo.webapp import start_app
from dxrpa.engine.pii import PiiVault
from dxrpa.errors import ExitCode
from dxrpa.log import is_my_number
from dxrpa.ocr.engines.base import get_engine
from dxrpa.store import Store
from dxrpa.store.tables import ItemAttempt, WorkItem
from tests.conftest import require_chromium

#: As the data has them: plain, hyphenated, full-width.
MY_NUMBERS = ["123456789018", "8765-4321-0008", "２３４５６７８９０１２１"]
PASSWORD = 'Pw"4821/x+y&z'
USER = "staff01"
SEPARATORS = [" ", "-", "－", "\u3000", ".", "/", "ー"]

ROBOT = """
name: sweep
title: 個人番号で入力(プライバシー検査)
department: 市民課
baseline: {minutes_per_item: 1}
secrets: [APP_USER, APP_PASSWORD]
env: [APP_URL]
data:
  csv: data/sweep.csv
  key: 個人番号
setup:
  - goto: "{{ env.APP_URL }}/login"
  - fill: {label: ユーザーID, value: "{{ secret.APP_USER }}"}
  - fill: {label: パスワード, value: "{{ secret.APP_PASSWORD }}"}
  - click: {role: button, name: ログイン}
  - expect: {text: 業務メニュー}
item:
  - log: "開始 {{ item.個人番号 }}"   # a secret in log: is refused outright (taint rules)
  - goto: "{{ env.APP_URL }}/applications/new"
  - fill: {label: 受付番号, value: "{{ item.受付番号 }}"}
  - fill: {label: 氏名, value: "{{ item.氏名 }}"}
  - fill: {label: フリガナ, value: "{{ item.フリガナ }}"}
  - fill: {label: 生年月日, value: "{{ item.生年月日 }}"}
  - fill: {label: 郵便番号, value: "{{ item.郵便番号 }}"}
  - fill: {label: 住所, value: "{{ item.住所 }} 個人番号 {{ item.個人番号 }}"}
  - fill: {label: 電話番号, value: "{{ item.電話番号 }}"}
  - click: {role: button, name: 次へ}
  - expect:
      visible: {label: 請求の種類}
      business_error: 申請者の入力に誤りがあります
      error_text: {css: "#error-summary"}
    timeout_ms: 5000
  - select: {label: 請求の種類, value: "{{ item.請求の種類 }}"}
  - fill: {label: 必要部数, value: "{{ item.必要部数 }}"}
  - check: {label: "{{ item.使用目的 }}"}
  - click: {role: button, name: 確認}
  - screenshot: {name: confirm}
  - if:
      condition: "item.失敗 == 'system'"
      then:
        - expect: {text: "この文言は表示されない {{ item.個人番号 }}"}
          timeout_ms: 1500
  - click: {role: button, name: 登録, dialog: accept, submit: true}
  - expect: {text: 登録しました}
  - extract: {css: "#receipt-no", into: receipt_no}
  - set: {echo: "{{ item.個人番号 }}", note: "控え {{ item.個人番号 }}"}
outputs: [receipt_no, note, {name: echo, pii: true}]
folders: [data, results]
results: {excel: results/sweep.xlsx}
retries: 0
"""


def _variants(number: str) -> set[str]:
    """A My Number raw, with each separator, full-width, in groups."""
    d = "".join(c for c in unicodedata.normalize("NFKC", number) if c.isdigit())
    wide = d.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    out = {d, wide}
    for sep in SEPARATORS:
        out.add(sep.join((d[:4], d[4:8], d[8:])))
        out.add(sep.join((wide[:4], wide[4:8], wide[8:])))
    return out


def _b64_cores(value: bytes) -> set[bytes]:
    """The base64 text of ``value`` at each of the three byte alignments, edges dropped."""
    cores = set()
    for shift in range(3):
        enc = base64.b64encode(b"\0" * shift + value)
        core = enc[4 if shift else 0 : -4]
        if len(core) >= 8:
            cores.add(core)
            cores.add(core.replace(b"+", b"-").replace(b"/", b"_"))
    return cores


def _encodings(text: str) -> set[bytes]:
    """Every encoding of ``text`` a leak could take: raw, JSON-escaped, URL-encoded, base64."""
    out = {text.encode("utf-8")}
    out.add(json.dumps(text)[1:-1].encode())  # \\uXXXX for non-ASCII, \\" for quotes
    out.add(json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8"))
    out.add(urllib.parse.quote(text, safe="").encode())
    out.add(urllib.parse.quote_plus(text, safe="").encode())
    out |= _b64_cores(text.encode("utf-8"))
    return out


def _needles() -> dict[bytes, str]:
    needles: dict[bytes, str] = {}
    for number in MY_NUMBERS:
        for form in _variants(number):
            for enc in _encodings(form):
                needles[enc] = f"my number {form!r}"
    for enc in _encodings(PASSWORD):
        needles[enc] = "password"
    return needles


def _all_bytes(root: Path) -> list[tuple[str, bytes]]:
    """Every file under ``root``, and every member of every zip (traces, xlsx) unzipped."""
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        out.append((str(path), data))
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                out.extend((f"{path}!{n}", z.read(n)) for n in z.namelist())
    return out


def _images(files: list[tuple[str, bytes]]) -> list[tuple[str, Image.Image]]:
    out = []
    for name, data in files:
        if name.lower().endswith((".png", ".jpeg", ".jpg")):
            out.append((name, Image.open(io.BytesIO(data)).convert("RGB")))
    return out


def _write_data(home: Path) -> None:
    rows = juminhyo_rows(3, seed=12)
    rows[1]["フリガナ"] = "やまだ"  # hiragana: the app refuses it (business error)
    columns = ["個人番号", "失敗", "受付番号", "氏名", "フリガナ", "生年月日", "郵便番号", "住所", "電話番号"]
    columns += ["請求の種類", "必要部数", "使用目的"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row, number, fail in zip(rows, MY_NUMBERS, ["", "", "system"], strict=True):
        writer.writerow({**row, "個人番号": number, "失敗": fail})
    (home / "data").mkdir()
    (home / "data" / "sweep.csv").write_text(buf.getvalue(), encoding="utf-8")


@pytest.mark.slow
def test_privacy_sweep(dx_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    require_chromium()
    assert all(is_my_number(unicodedata.normalize("NFKC", n).replace("-", "")) for n in MY_NUMBERS)
    app = start_app(tmp_path / "app.sqlite", users={USER: PASSWORD})
    monkeypatch.setenv("APP_URL", app.url)
    monkeypatch.setenv("APP_USER", USER)
    monkeypatch.setenv("APP_PASSWORD", PASSWORD)
    try:
        (dx_home / "robots").mkdir()
        (dx_home / "robots" / "sweep.yaml").write_text(ROBOT, encoding="utf-8")
        _write_data(dx_home)
        assert main(["robots", "register", "robots/sweep.yaml"]) == 0
        assert main(["--verbose", "run", "sweep"]) == ExitCode.ITEMS_FAILED
        # the raw number (as staff would type it) still finds the item whose key is stored hashed
        assert main(["run", "sweep", "--reprocess", "876543210008"]) == ExitCode.ITEMS_FAILED
        entered = app.applications()
    finally:
        app.stop()
    assert len(entered) == 1

    settings = load_settings()
    store = Store(settings.db_url)
    try:
        with store.session() as s:
            items = {wi.key: wi for wi in s.scalars(select(WorkItem))}
            attempts = list(s.scalars(select(ItemAttempt)))
            run_ids = sorted({a.run_id for a in attempts})
        from dxrpa.console import create_app
        from dxrpa.console.runs import snapshot

        console = create_app(settings, store)
        status = [snapshot(console.state.console, run_id) for run_id in run_ids]
    finally:
        store.dispose()
    (settings.var_dir / "run-status.json").write_text(
        json.dumps(status, ensure_ascii=False), encoding="utf-8"
    )

    # keys: a display form and a salted hash, the same for the same number however it was written
    assert sorted(k.split(" #")[0] for k in items) == [
        "個人番号 ****-****-0008",
        "個人番号 ****-****-0121",
        "個人番号 ****-****-9018",
    ]
    assert sorted(wi.status for wi in items.values()) == ["business_error", "done", "system_error"]
    done = next(wi for wi in items.values() if wi.status == "done")
    assert done.outputs["echo"].startswith("enc:")  # declared pii: encrypted at rest
    assert PiiVault(settings.var_dir).decrypt(done.outputs["echo"]) == MY_NUMBERS[0]
    assert done.outputs["note"].startswith("控え ***")  # not declared pii: redacted
    assert (settings.var_dir / "pii.key").stat().st_mode & 0o077 == 0
    assert any(a.screenshot and a.status == "system_error" for a in attempts), "system error evidence"
    assert any(a.trace for a in attempts), "a kept trace"
    shots = list(settings.runs_dir.rglob("screenshots/confirm*.png"))
    assert shots, "the screenshot: step ran on the confirmation page"

    files = _all_bytes(settings.var_dir)
    needles = _needles()
    var = str(settings.var_dir)
    hits = sorted(
        {(name[len(var) :], why) for name, data in files for needle, why in needles.items() if needle in data}
    )

    # what the screenshots (and any image in a trace) show, read by the bundled OCR model
    engine = get_engine(OcrSettings())
    digits = ["".join(c for c in unicodedata.normalize("NFKC", n) if c.isdigit()) for n in MY_NUMBERS]
    read_anything = False
    seen = []
    for name, img in _images(files):
        for line in engine.read_page(np.asarray(img)[:, :, ::-1].copy()):
            text = unicodedata.normalize("NFKC", line.text)
            read_anything |= "確認" in text or "氏名" in text
            only = "".join(c for c in text if c.isdigit())
            if any(d[4:] in only or d[:8] in only for d in digits) or PASSWORD in text:
                seen.append((name, text))
    assert seen == []
    assert read_anything, "OCR must still read the page's non-personal text"
    assert hits == [], "\n".join(f"{name}: {why}" for name, why in hits)
