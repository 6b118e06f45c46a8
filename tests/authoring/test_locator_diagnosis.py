"""A wrong label is the robot's mistake: it stops within the step timeout, is not retried, exits 3
and names the labels the page does have."""

from __future__ import annotations

import time
from pathlib import Path

from dxrpa.demo.webapp import SampleApp
from tests.security.conftest import CliRunner

ROBOT = """\
name: wrong_label
title: ラベル違い
department: 市民課
baseline: {minutes_per_item: 1}
secrets: [APP_USER, APP_PASSWORD]
data:
  items: [{受付番号: "000001", 氏名: 山田}, {受付番号: "000002", 氏名: 佐藤}]
  key: 受付番号
setup:
  - goto: "URL/login"
  - fill: {label: ユーザーID, value: "{{ secret.APP_USER }}"}
  - fill: {label: パスワード, value: "{{ secret.APP_PASSWORD }}"}
  - click: {role: button, name: ログイン}
item:
  - goto: "URL/applications/new"
  - fill: {label: 名前, value: "{{ item.氏名 }}"}
  - click: {role: button, name: 次へ, submit: true}
"""


def test_wrong_label_dry_run_stops_fast_and_suggests_the_real_label(
    app: SampleApp, cli: CliRunner, browser_env: dict[str, str], home: Path
) -> None:
    (home / "robots").mkdir()
    (home / "robots" / "wrong_label.yaml").write_text(ROBOT.replace("URL", app.url), encoding="utf-8")
    env = {
        **browser_env,
        "APP_USER": "staff01",
        "APP_PASSWORD": "demo-pass",
        "DXRPA_BROWSER__TIMEOUT_MS": "5000",
    }
    assert cli("robots", "register", "robots/wrong_label.yaml").returncode == 0
    started = time.monotonic()
    result = cli("run", "wrong_label", "--dry-run", env=env)
    elapsed = time.monotonic() - started
    out = result.stdout + result.stderr
    assert result.returncode == 3, out
    assert "label=氏名" in out and "did you mean" in out, out
    assert "attempt 2" not in out, out  # not retried
    assert elapsed < 25, f"{elapsed:.1f} s"
