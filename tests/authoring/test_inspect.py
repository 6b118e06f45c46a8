"""``dxrpa inspect``: what a locator can name on a page nobody documented, ready to paste."""

from __future__ import annotations

import shutil
from pathlib import Path

from dxrpa.demo.webapp import SampleApp
from tests.security.conftest import CliRunner

ROOT = Path(__file__).resolve().parents[2]


def test_inspect_lists_labels_roles_and_tables_in_japanese(
    app: SampleApp, cli: CliRunner, browser_env: dict[str, str]
) -> None:
    result = cli("--lang", "ja", "inspect", app.url + "/login", env=browser_env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "{label: ユーザーID}" in out and "{label: パスワード}" in out, out
    assert "{role: button, name: ログイン}" in out and "ボタン" in out and "入力欄" in out, out


def test_inspect_after_a_robots_login_shows_the_page_behind_it(
    app: SampleApp, cli: CliRunner, browser_env: dict[str, str], home: Path
) -> None:
    (home / "robots").mkdir()
    shutil.copy(ROOT / "robots" / "juminhyo_entry.yaml", home / "robots")
    env = {**browser_env, "APP_URL": app.url, "APP_USER": "staff01", "APP_PASSWORD": "demo-pass"}
    result = cli(
        "--lang",
        "ja",
        "inspect",
        app.url + "/applications?q=",
        "--robot",
        "robots/juminhyo_entry.yaml",
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "{role: button, name: 検索}" in result.stdout, result.stdout
    assert result.stdout.startswith("ページ: 申請検索"), result.stdout  # logged in, not sent to /login


def test_inspect_needs_a_url_or_a_robot(cli: CliRunner) -> None:
    result = cli("inspect")
    assert result.returncode == 2 and "give a URL or --robot" in result.stderr
