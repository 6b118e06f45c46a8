"""Marks beyond a neat tick in the box (issue 13): a ✓ that runs past its box, a ○ drawn around
the chosen option's printed label (「該当するものに○」), a filled ■, and two marks at once,
read by the real pipeline from degraded scans rendered with real fonts."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from dxrpa.demo.forms.layout import juminhyo_layout
from dxrpa.demo.scans import fake_values, render_filled, save_scan, scan
from dxrpa.model.form import FieldResult
from dxrpa.ocr.pipeline import FormReader

CHOICE, CHECK = "請求の種類", "本籍・筆頭者の記載"
Draw = Callable[[ImageDraw.ImageDraw], None]


def _boxes() -> tuple[list[tuple[str, tuple[int, int, int, int]]], tuple[int, int, int, int]]:
    layout = juminhyo_layout()
    choice = next(f for f in layout.fields if f.name == CHOICE)
    check = next(f for f in layout.fields if f.name == CHECK)
    assert check.box is not None
    return list(choice.options), check.box


def _read(reader: FormReader, tmp_path: Path, draw: Draw, seed: int) -> dict[str, FieldResult]:
    layout = juminhyo_layout()
    rng = random.Random(seed)
    written, _truth = fake_values(layout, rng, 100900 + seed)
    written[CHOICE], written[CHECK] = "", "false"  # no neat tick: the test draws the marks
    img: Image.Image = render_filled(layout, written, rng, hand=True)
    draw(ImageDraw.Draw(img))
    path = tmp_path / f"mark_{seed}.png"
    save_scan(scan(img, rng, strength=1.0), path, rng)
    result = next(iter(reader.read_file(path)))
    return {f.name: f for f in result.fields}


def _overshooting_tick(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    x, y, _w, h = box  # the vertex in the box's corner, both arms far outside it
    d.line([(x - 30, y + 2), (x + 7, y + h - 5), (x + 80, y - 50)], fill=25, width=4, joint="curve")


def _circle_label(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], chars: int) -> None:
    x, y, w, h = box
    d.ellipse((x + w + 2, y - 14, x + w + 22 + chars * 27, y + h + 14), outline=30, width=4)


@pytest.mark.parametrize("which", [0, 1])
def test_circle_round_the_label_chooses_that_option(reader: FormReader, tmp_path: Path, which: int) -> None:
    options, _ = _boxes()
    value, box = options[which]
    fields = _read(reader, tmp_path, lambda d: _circle_label(d, box, len(value)), 31 + which)
    f = fields[CHOICE]
    assert (f.value, f.status) == (value, "ok"), (f.value, f.status, f.reason, f.text)


def test_tick_running_past_the_box_counts(reader: FormReader, tmp_path: Path) -> None:
    options, check = _boxes()
    value, box = options[1]

    def draw(d: ImageDraw.ImageDraw) -> None:
        _overshooting_tick(d, box)
        _overshooting_tick(d, check)

    fields = _read(reader, tmp_path, draw, 41)
    assert fields[CHOICE].value == value, fields[CHOICE]
    assert fields[CHECK].value == "true", fields[CHECK]
    for name in (CHOICE, CHECK):  # never auto-accepted the wrong way
        assert fields[name].status == "ok" or fields[name].reason


def test_filled_box_and_two_marks(reader: FormReader, tmp_path: Path) -> None:
    options, check = _boxes()
    (_v0, b0), (v1, b1) = options

    def filled(d: ImageDraw.ImageDraw) -> None:
        x, y, w, h = b1
        d.rectangle((x + 3, y + 3, x + w - 3, y + h - 3), fill=20)
        x, y, w, h = check
        d.rectangle((x + 3, y + 3, x + w - 3, y + h - 3), fill=20)

    fields = _read(reader, tmp_path, filled, 51)
    assert (fields[CHOICE].value, fields[CHOICE].status) == (v1, "ok")
    assert (fields[CHECK].value, fields[CHECK].status) == ("true", "ok")

    def both(d: ImageDraw.ImageDraw) -> None:
        _circle_label(d, b0, 6)
        _overshooting_tick(d, b1)

    f = _read(reader, tmp_path, both, 52)[CHOICE]
    assert f.status == "review" and f.value == "", f  # two marks: staff decide, never a guess
