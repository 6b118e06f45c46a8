"""Issue 3: a run whose data carries My Numbers and whose login uses secrets leaves neither in the
run log, the database, the evidence screenshots' metadata or the kept Playwright traces."""

from __future__ import annotations

import zipfile
from pathlib import Path

from dxrpa.cli import main
from dxrpa.demo.webapp import SampleApp
from dxrpa.errors import ExitCode
from dxrpa.log import is_my_number

MY_NUMBERS = ["123456789018", "876543210008"]
ROBOT = """
name: mynumber_lookup
title: 個人番号での照会(テスト)
department: 市民課
baseline: {minutes_per_item: 1}
secrets: [APP_USER, APP_PASSWORD]
env: [APP_URL]
data:
  csv: data/lookup.csv
  key: 受付番号
setup:
  - goto: "{{ env.APP_URL }}/login"
  - fill: {label: ユーザーID, value: "{{ secret.APP_USER }}"}
  - fill: {label: パスワード, value: "{{ secret.APP_PASSWORD }}"}
  - click: {role: button, name: ログイン}
item:
  - goto: "{{ env.APP_URL }}/applications"
  - fill: {label: 受付番号または氏名, value: "{{ item.個人番号 }}"}
  - log: "照会 {{ item.個人番号 }}"
  - click: {role: button, name: 検索}
  - expect: {text: この文言は表示されない}
    timeout_ms: 1500
retries: 1
retry_backoff_seconds: 0
"""


def _all_bytes(root: Path) -> list[tuple[Path, bytes]]:
    out = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out.append((path, data))
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as z:
                    out.extend((path / n, z.read(n)) for n in z.namelist())
    return out


def test_secrets_and_my_numbers_never_stored(robot_env: Path, sample_app: SampleApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert all(is_my_number(n) for n in MY_NUMBERS)
    password = "S3cret-Pass-4821"
    monkeypatch.setenv("APP_PASSWORD", password)
    from dxrpa.demo.webapp import start_app

    app = start_app(users={"staff01": password})
    monkeypatch.setenv("APP_URL", app.url)
    try:
        (robot_env / "robots" / "mynumber_lookup.yaml").write_text(ROBOT, encoding="utf-8")
        (robot_env / "data").mkdir()
        rows = "受付番号,個人番号\r\n" + "".join(f"90000{i},{n}\r\n" for i, n in enumerate(MY_NUMBERS, 1))
        (robot_env / "data" / "lookup.csv").write_bytes(rows.encode("cp932"))
        assert main(["robots", "register", "robots/mynumber_lookup.yaml"]) == 0
        assert main(["--verbose", "run", "mynumber_lookup"]) == ExitCode.ITEMS_FAILED
    finally:
        app.stop()

    var = robot_env / "var"
    traces = list(var.rglob("*-trace.zip"))
    shots = list(var.rglob("*.png"))
    assert traces and shots, "failures must leave evidence to inspect"
    assert any((var / "runs").rglob("run.log"))
    needles = [password.encode(), *(n.encode() for n in MY_NUMBERS)]
    needles += [f"{n[:4]}-{n[4:8]}-{n[8:]}".encode() for n in MY_NUMBERS]
    leaks = [(str(p), n) for p, data in _all_bytes(var) for n in needles if n in data]
    assert leaks == []
