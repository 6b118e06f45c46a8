"""Issue 12 limits: a YAML alias bomb ("billion laughs") or deep nesting is refused at its line in
well under a second, by the CLI (``robots validate``), by OCR template loading and by the console
editor, instead of spending a minute and gigabytes expanding it."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page

from dxrpa.config import load_yaml
from dxrpa.engine.definitions import parse_robot
from dxrpa.errors import DefinitionError, ExitCode
from tests.console.conftest import Console, console, login, page, password_hash  # noqa: F401
from tests.security.conftest import CliRunner

ROOT = Path(__file__).resolve().parents[2]

BOMB = (
    "name: juminhyo_entry\n"
    + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{x}: &{x} [{','.join([f'*{p}'] * 9)}]\n" for p, x in zip("abcdefgh", "bcdefghi", strict=True))
)
DEEP = "name: juminhyo_entry\nx: " + "[" * 3000 + "]" * 3000 + "\n"


def refused_quickly(text: str, path: str = "robots/juminhyo_entry.yaml") -> DefinitionError:
    started = time.process_time()
    try:
        parse_robot(path, text)
    except DefinitionError as exc:
        assert time.process_time() - started < 1.0
        return exc
    raise AssertionError("the YAML was accepted")


def test_billion_laughs_is_refused_in_under_a_second_at_its_line(english: None) -> None:
    assert len(BOMB.encode()) < 600
    exc = refused_quickly(BOMB)
    assert exc.line is not None and 2 <= exc.line <= 10, exc
    assert "aliases" in exc.message


def test_deep_nesting_is_a_definition_error_not_a_recursion_crash(english: None) -> None:
    exc = refused_quickly(DEEP)
    assert (exc.line, exc.col) == (2, 3 + 64)
    assert "nesting is too deep" in exc.message


def test_the_caps_message_is_japanese_by_default(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"  # OCR templates load through load_yaml too
    path.write_text(BOMB, encoding="utf-8")
    try:
        load_yaml(path)
    except DefinitionError as exc:
        assert "エイリアス" in exc.message, exc
        assert exc.path == str(path) and exc.line is not None and exc.col is not None
    else:
        raise AssertionError("the YAML was accepted")


def test_ordinary_anchors_still_work() -> None:
    data, _ = load_yaml("x.yaml", "a: &a {k: 1}\nb: *a\nc: [*a, *a]\n")
    assert data == {"a": {"k": 1}, "b": {"k": 1}, "c": [{"k": 1}, {"k": 1}]}


def test_robots_validate_refuses_the_bomb(cli: CliRunner, home: Path) -> None:
    (home / "robots").mkdir()
    (home / "robots" / "juminhyo_entry.yaml").write_text(BOMB, encoding="utf-8")
    started = time.monotonic()
    result = cli("robots", "validate", "robots/juminhyo_entry.yaml")
    elapsed = time.monotonic() - started
    out = result.stdout + result.stderr
    assert result.returncode == ExitCode.DEFINITION, out
    assert "Traceback" not in out
    assert "robots/juminhyo_entry.yaml:" in out and "aliases" in out, out
    assert elapsed < 20, elapsed  # process start included; on main this ran > 60 s and 2.7 GB


def test_console_editor_refuses_the_bomb_quickly(console: Console, page: Page) -> None:  # noqa: F811
    login(page, console, "author1")
    page.goto(console.url + "/robots/new")
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    for text in (BOMB, DEEP):
        started = time.monotonic()
        r = page.request.post(
            console.url + "/robots/editor",
            multipart={"csrf": csrf, "text": text, "filename": "juminhyo_entry.yaml", "action": "check"},
        )
        assert time.monotonic() - started < 5, "the console spent seconds on a bomb"
        body = r.text()
        assert r.status == 422, body[:500]
        words = ("エイリアス", "入れ子が深すぎます", "aliases", "too deep")
        assert any(w in body for w in words), body[:2000]
