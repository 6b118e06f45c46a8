"""`dxrpa robots new NAME` writes a commented skeleton that validates as written (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dxrpa.errors import ExitCode
from tests.engine.test_bad_input import check_error, dx


@pytest.mark.slow
def test_skeleton_validates_and_carries_the_schema_line(dx_home: Path) -> None:
    result = dx(dx_home, "--lang", "ja", "robots", "new", "kokuho_entry")
    assert result.returncode == 0, result.stderr
    path = dx_home / "robots" / "kokuho_entry.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=robot.schema.json"
    assert "name: kokuho_entry" in text and "dxrpa robots schema > robots/robot.schema.json" in text
    assert "# 1 件ごとの手順" in text  # Japanese comments
    assert "作りました" in result.stdout
    valid = dx(dx_home, "robots", "validate", "robots/kokuho_entry.yaml")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert [p.name for p in path.parent.iterdir()] == ["kokuho_entry.yaml"]  # no temp file left


def test_existing_file_is_never_overwritten(dx_home: Path) -> None:
    (dx_home / "robots").mkdir()
    mine = dx_home / "robots" / "kokuho_entry.yaml"
    mine.write_text("name: kokuho_entry\n# 書きかけ\n", encoding="utf-8")
    check_error(dx(dx_home, "--lang", "ja", "robots", "new", "kokuho_entry"), ExitCode.USAGE, "もうあります")
    assert mine.read_text(encoding="utf-8") == "name: kokuho_entry\n# 書きかけ\n"


@pytest.mark.slow
def test_bad_names_are_refused_and_nothing_is_written(dx_home: Path) -> None:
    for bad in ("Kokuho", "国保入力", "../escape", "a", "x-y"):
        check_error(dx(dx_home, "robots", "new", bad), ExitCode.USAGE, "is not allowed")
    assert not (dx_home / "robots").exists()
    assert not (dx_home.parent / "escape.yaml").exists()
