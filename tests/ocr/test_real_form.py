"""A form nobody on the project made: a third party's filled 施設利用申込書 (bench/data/forms/shisetsu,
with its provenance), read with a template written from docs/ocr.md against hand-transcribed truth."""

from __future__ import annotations

import json
from pathlib import Path

from dxrpa.ocr.engines.base import Engine
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.template import get_template

FORM = Path(__file__).resolve().parents[2] / "bench" / "data" / "forms" / "shisetsu"


def test_the_third_party_form_reads_and_nothing_wrong_is_accepted(engine: Engine) -> None:
    truth = json.loads((FORM / "truth.json").read_text(encoding="utf-8"))["filled.jpg"]
    reader = FormReader(get_template("shisetsu", FORM), engine)
    result = next(iter(reader.read_file(FORM / "filled.jpg")))
    assert result.status != "failed", result.error
    got = {f.name: f for f in result.fields}
    assert set(got) == set(truth)
    wrong_ok = [n for n, f in got.items() if f.status == "ok" and f.value != truth[n]]
    assert not wrong_ok
    exact = sum(f.value == truth[n] for n, f in got.items())
    assert exact >= len(truth) - 1, {n: f.value for n, f in got.items() if f.value != truth[n]}
    assert sum(f.status == "ok" for f in got.values()) >= 0.8 * len(truth)
