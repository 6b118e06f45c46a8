"""The scan generator used by the demo: files, ground truth, unique 受付番号."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dxrpa.demo.scans import generate_juminhyo_batch, my_number_check
from dxrpa.log import is_my_number


@pytest.mark.slow
def test_generate_juminhyo_batch(tmp_path: Path) -> None:
    truths = generate_juminhyo_batch(tmp_path, 5, seed=7, unreadable=1)
    good = [t for t in truths if not t.expect_failure]
    assert len(good) == 5 and len(truths) == 6
    numbers = [t.values["受付番号"] for t in good]
    assert len(set(numbers)) == 5 and all(len(n) == 6 and n.isdigit() for n in numbers)
    for t in truths:
        assert (tmp_path / t.file).stat().st_size > 1000
    assert {Path(t.file).suffix for t in good} == {".png", ".jpg", ".pdf"}
    data = json.loads((tmp_path / "ground_truth.json").read_text(encoding="utf-8"))
    assert len(data) == 6 and data[0]["values"]["受付番号"] == numbers[0]
    assert generate_juminhyo_batch(tmp_path / "again", 5, seed=7, unreadable=1)[0].values == good[0].values


def test_my_number_generator_matches_validator() -> None:
    for body in ("12345678901", "00000000000", "98765432109"):
        assert is_my_number(body + my_number_check(body))
