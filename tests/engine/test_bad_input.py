"""Issue 2 bad input: one clear line naming file/line/step/item, a named exit code, no traceback,
and nothing entered or half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]


def dx(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, DXRPA_LANG="en", COLUMNS="250", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "dxrpa", *args],
        cwd=home,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def check_error(result: subprocess.CompletedProcess[str], code: ExitCode, *needles: str) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == code, out
    assert "Traceback" not in out, out
    for needle in needles:
        assert needle in out, (needle, out)


def write_robot(home: Path, text: str, name: str = "juminhyo_entry") -> Path:
    path = home / "robots" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def robot_text(**replace: str) -> str:
    text = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_malformed_yaml_names_file_and_line(robot_env: Path) -> None:
    write_robot(robot_env, "name: x\nitem:\n  - goto: [unclosed\n")
    check_error(
        dx(robot_env, "robots", "validate", "robots/juminhyo_entry.yaml"),
        ExitCode.DEFINITION,
        "robots/juminhyo_entry.yaml:",
        "YAML syntax error",
    )


def test_unknown_step_and_key_get_did_you_mean(robot_env: Path) -> None:
    write_robot(
        robot_env,
        robot_text(
            **{
                "  - select: {label: 請求の種類": "  - selct: {label: 請求の種類",
                "{role: button, name: 次へ}": "{role: button, nme: 次へ}",
            }
        ),
    )
    result = dx(robot_env, "robots", "validate", "robots/juminhyo_entry.yaml")
    check_error(result, ExitCode.DEFINITION, "did you mean 'select'?", "item step")
    assert "robots/juminhyo_entry.yaml:" in result.stderr


def test_missing_column_stops_before_any_entry(robot_env: Path, sample_app: SampleApp) -> None:
    rows = juminhyo_rows(3)
    for r in rows:
        del r["フリガナ"]
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "フリガナ", "data/juminhyo.xlsx")
    assert sample_app.applications() == []
    assert not (robot_env / "results").exists()


def test_missing_secret_names_robot_and_how_to_set_it(robot_env: Path, sample_app: SampleApp) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(2))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "APP_PASSWORD"}
    result = subprocess.run(
        [sys.executable, "-m", "dxrpa", "run", "juminhyo_entry"],
        cwd=robot_env,
        env=dict(env, DXRPA_LANG="en", COLUMNS="250"),
        capture_output=True,
        text=True,
        check=False,
    )
    check_error(result, ExitCode.SECRET, "APP_PASSWORD", "juminhyo_entry", "dxrpa secrets set")
    assert sample_app.applications() == []


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
        (b"this is not a workbook", "not a readable Excel file"),
    ],
)
def test_unreadable_or_protected_xlsx(
    robot_env: Path, sample_app: SampleApp, content: bytes, needle: str
) -> None:
    (robot_env / "data").mkdir()
    (robot_env / "data" / "juminhyo.xlsx").write_bytes(content)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, needle, "juminhyo.xlsx")
    assert sample_app.applications() == []


def test_csv_in_unexpected_encoding_names_the_line(robot_env: Path) -> None:
    write_robot(
        robot_env,
        robot_text(
            **{
                "  excel: data/juminhyo.xlsx\n  sheet: 申請一覧\n": (
                    "  csv: data/list.csv\n  encoding: utf-8\n"
                )
            }
        ),
    )
    (robot_env / "data").mkdir()
    (robot_env / "data" / "list.csv").write_bytes("受付番号,氏名\n100001,山田\n".encode("cp932"))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "data/list.csv:1", "utf-8")


def test_duplicate_keys_are_refused_with_rows(robot_env: Path, sample_app: SampleApp) -> None:
    rows = juminhyo_rows(3)
    rows[2]["受付番号"] = rows[0]["受付番号"]
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", rows)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    check_error(dx(robot_env, "run", "juminhyo_entry"), ExitCode.DATA, "row 4", "row 2")
    assert sample_app.applications() == []


def test_browser_not_installed(robot_env: Path, sample_app: SampleApp) -> None:
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(1))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    result = dx(
        robot_env, "run", "juminhyo_entry", env={"DXRPA_BROWSER__EXECUTABLE": "/opt/nowhere/chromium"}
    )
    check_error(result, ExitCode.DEPENDENCY, "/opt/nowhere/chromium")


def test_ambiguous_locator_stops_the_run_and_leaves_the_item_pending(
    robot_env: Path, sample_app: SampleApp
) -> None:
    write_robot(robot_env, robot_text(**{"  - fill: {label: 氏名,": "  - fill: {css: 'input[type=text]',"}))
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(2))
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    result = dx(robot_env, "run", "juminhyo_entry")
    check_error(result, ExitCode.DEFINITION, "robots/juminhyo_entry.yaml:", "nth")
    assert sample_app.applications() == []
    status = dx(robot_env, "runs", "list")
    assert "failed" in status.stdout
