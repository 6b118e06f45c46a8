"""The one atomic-write helper every layer uses: replace or nothing, private, create-if-absent."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dxrpa.fileio import atomic_path, create_exclusive, write_atomic


def test_write_atomic_replaces_the_file_privately_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.json"
    write_atomic(target, "一")
    write_atomic(target, "二", fsync=True)
    assert target.read_text(encoding="utf-8") == "二"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["a.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    write_atomic(target, b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_create_exclusive_keeps_the_first_writer(tmp_path: Path) -> None:
    target = tmp_path / "key"
    assert create_exclusive(target, b"first") is True
    assert create_exclusive(target, b"second") is False
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["key"]
