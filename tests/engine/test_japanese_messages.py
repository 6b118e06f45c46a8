"""`dxrpa robots validate` explains broken robot files in Japanese, at the right line (issue 14).

Each case edits one line of the shipped example robot, runs the real CLI with ``--lang ja`` and
checks the Japanese message and the ``file:line`` it points at; ``--lang en`` stays English.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dxrpa.errors import ExitCode
from tests.engine.test_bad_input import ROOT, check_error, dx, robot_text, write_robot

FILE = "robots/juminhyo_entry.yaml"


@pytest.fixture
def home(dx_home: Path) -> Path:
    (dx_home / "robots").mkdir()
    shutil.copy(ROOT / FILE, dx_home / "robots")
    return dx_home


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def validate_ja(home: Path, text: str, needle: str, *expected: str) -> str:
    """Write ``text``, validate in Japanese; the error must sit on the line containing ``needle``."""
    write_robot(home, text)
    result = dx(home, "--lang", "ja", "robots", "validate", FILE)
    check_error(result, ExitCode.DEFINITION, f"{FILE}:{line_of(text, needle)}:", *expected)
    assert "Field required" not in result.stderr and "YAML syntax error" not in result.stderr
    return result.stderr


def test_yaml_syntax_error_is_japanese_at_its_line(home: Path) -> None:
    text = robot_text(**{"title: 住民票交付申請の入力": "title: 住民票: 交付申請"})
    validate_ja(home, text, "title: 住民票: 交付申請", "YAML の書き方の誤り", "「: 」")


def test_missing_colon_points_at_the_key_not_the_next_line(home: Path) -> None:
    text = robot_text(**{"department: 市民課": "department 市民課"})
    validate_ja(home, text, "department 市民課", "「:」が見つかりません")


def test_bad_indentation_is_japanese(home: Path) -> None:
    text = robot_text(
        **{"  - expect: {text: 業務メニュー}": "  - expect: {text: 業務メニュー}\n     - log: x"}
    )
    validate_ja(home, text, "     - log: x", "字下げがそろっていません")


def test_misspelt_key_gets_japanese_did_you_mean_and_step_label(home: Path) -> None:
    text = robot_text(**{"  - fill: {label: パスワード": "  - fill: {lable: パスワード"})
    err = validate_ja(
        home, text, "lable: パスワード", "不明なキー 'lable'", "もしかして 'label'?", "setup 手順 3 (fill)"
    )
    assert "unknown key" not in err and "step 3" not in err


def test_missing_required_key_is_japanese(home: Path) -> None:
    old = '  - fill: {label: パスワード, value: "{{ secret.APP_PASSWORD }}"}'
    text = robot_text(**{old: "  - fill: {label: パスワード}"})
    validate_ja(home, text, "fill: {label: パスワード}", "必須の項目がありません", "'setup.2.fill.value'")


def test_wrong_type_is_japanese(home: Path) -> None:
    text = robot_text(**{"  minutes_per_item: 6 ": "  minutes_per_item: abc "})
    validate_ja(home, text, "minutes_per_item: abc", "'baseline.minutes_per_item': 数値で書いてください")


def test_step_with_two_actions_is_japanese(home: Path) -> None:
    text = robot_text(**{"  - expect: {text: 業務メニュー}": "  - expect: {text: 業務メニュー}\n    log: x"})
    validate_ja(home, text, "- expect: {text: 業務メニュー}", "手順には動作を 1 つだけ", "expect, log")


def test_full_width_space_as_indentation(home: Path) -> None:
    text = robot_text(**{"  - expect: {text: 業務メニュー}": "\u3000 - expect: {text: 業務メニュー}"})
    validate_ja(
        home, text, "\u3000 - expect", "全角スペースが字下げに使われています", "半角スペースにしてください"
    )


def test_full_width_space_after_the_colon(home: Path) -> None:
    text = robot_text(**{"title: 住民票交付申請の入力": "title:\u3000住民票交付申請の入力"})
    validate_ja(home, text, "title:\u3000", "「:」の後ろが全角スペースです")


def test_full_width_colon_at_the_line_yaml_gets_wrong(home: Path) -> None:
    # PyYAML alone reports this one line too late ("mapping values are not allowed here")
    text = robot_text(**{"owner: 市民課 窓口係": "owner：市民課 窓口係"})
    validate_ja(home, text, "owner：", "全角コロン「：」", "半角の「: 」")


def test_full_width_colon_in_a_step(home: Path) -> None:
    text = robot_text(**{"  - expect: {text: 業務メニュー}": "  - expect：{text: 業務メニュー}"})
    validate_ja(home, text, "expect：", "全角コロン「：」")


def test_full_width_quotes_are_refused_although_yaml_accepts_them(home: Path) -> None:
    text = robot_text(**{"  - fill: {label: パスワード": "  - fill: {label: “パスワード”"})
    validate_ja(home, text, "“パスワード”", "全角の引用符「“”」")


def test_full_width_characters_inside_values_are_fine(home: Path) -> None:
    text = robot_text(**{"title: 住民票交付申請の入力": 'title: "住民票：交付申請　“写し”"'})
    write_robot(home, text)
    result = dx(home, "--lang", "ja", "robots", "validate", FILE)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_english_stays_available(home: Path) -> None:
    write_robot(home, robot_text(**{"  - fill: {label: パスワード": "  - fill: {lable: パスワード"}))
    check_error(
        dx(home, "--lang", "en", "robots", "validate", FILE),
        ExitCode.DEFINITION,
        "setup step 3 (fill): unknown key 'lable' — did you mean 'label'?",
    )
    write_robot(home, robot_text(**{"owner: 市民課 窓口係": "owner：市民課 窓口係"}))
    check_error(
        dx(home, "--lang", "en", "robots", "validate", FILE),
        ExitCode.DEFINITION,
        "a full-width colon '：' is used as the key separator",
    )
    write_robot(home, robot_text(**{"department: 市民課": "department 市民課"}))
    check_error(
        dx(home, "--lang", "en", "robots", "validate", FILE), ExitCode.DEFINITION, "YAML syntax error"
    )


@pytest.mark.slow
def test_missing_and_non_utf8_files_are_japanese(home: Path) -> None:
    check_error(
        dx(home, "--lang", "ja", "robots", "validate", "robots/nothere.yaml"),
        ExitCode.USAGE,  # a path that is not there is a wrong argument (issue 17), said in Japanese
        "ファイルがありません",
    )
    (home / FILE).write_bytes("name: juminhyo_entry\ntitle: 住民票\n".encode("cp932"))
    check_error(
        dx(home, "--lang", "ja", "robots", "validate", FILE), ExitCode.DEFINITION, "UTF-8 ではありません"
    )


@pytest.mark.slow
def test_internal_field_names_do_not_leak(home: Path) -> None:
    text = robot_text(**{"  - expect: {text: 業務メニュー}": '  - iff: {condition: "1", then: []}'})
    err = validate_ja(home, text, "- iff:", "不明なキー 'iff'", "もしかして 'if'?")
    assert "if_" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run"], "引数 name を指定してください"),
        (["runs", "--bogus"], "--bogus というオプションはありません"),
        (["runz"], "'runz' というコマンドはありません。(もしかして: 'run', 'runs')"),
        (["runs", "list", "--limit", "abc"], "--limit の値が正しくありません: 整数で指定してください"),
        (["runs", "list", "--limit"], "オプション --limit には値が必要です"),
        (["run", "a", "b", "c"], "余分な引数があります: b c"),
    ],
)
@pytest.mark.slow
def test_command_line_usage_errors_are_japanese(home: Path, args: list[str], expected: str) -> None:
    result = dx(home, "--lang", "ja", *args)
    check_error(result, ExitCode.USAGE, "エラー: " + expected)
    if "値が必要" not in expected:  # click raises that one before it knows the command
        assert "使い方: dxrpa" in result.stderr and "--help' を見てください" in result.stderr
    assert "Error:" not in result.stderr and "Usage:" not in result.stderr


def test_command_line_usage_errors_stay_english_with_lang_en(home: Path) -> None:
    result = dx(home, "--lang", "en", "run")
    check_error(result, ExitCode.USAGE, "Missing argument", "Usage: dxrpa run")
