"""A date box printed 「　　年　　月　　日」 (as many Japanese forms have it), filled in with the era and
numbers only, reads as the date: the 年, 月 and 日 printed inside the box are kept for the recognizer
(only the box's lines are erased); before, every such date read 「令和6 5 24」 and went to review."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from PIL import ImageDraw

from dxrpa.demo.forms.layout import GOTHIC, font, juminhyo_layout, render_blank, write_template
from dxrpa.demo.scans import DEFAULT_STYLE, _draw_hand, _draw_printed, save_scan, scan
from dxrpa.ocr.engines.base import Engine
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.template import load_template

from .conftest import TEMPLATES

MARKS = [(150, "年"), (240, "月"), (330, "日")]
GAPS = [(8, 150), (180, 240), (270, 330)]
WRITTEN = [(("令和6", "5", "24"), "2024-05-24", False), (("平成13", "11", "9"), "2001-11-09", True)]


def test_a_date_box_with_its_marks_printed_reads_as_a_date(engine: Engine, tmp_path: Path) -> None:
    layout = juminhyo_layout()
    box = next(f.box for f in layout.fields if f.name == "申請日")
    assert box is not None
    x, y, _, h = box
    blank = render_blank(layout)
    for dx, ch in MARKS:
        ImageDraw.Draw(blank).text((x + dx + 2, y + h / 2 - 14), ch, font=font(GOTHIC, 26), fill=0)
    folder = tmp_path / "templates"
    path = write_template(layout, folder)
    blank.save(folder / "juminhyo.png")
    shutil.copy(TEMPLATES / "machiaza.csv", folder)
    reader = FormReader(load_template(path), engine)
    rng = random.Random(5)
    for parts, want, hand in WRITTEN:
        page = blank.copy()
        for (a, b), part in zip(GAPS, parts, strict=True):
            (_draw_hand if hand else _draw_printed)(page, part, (x + a, y, b - a, h), rng, DEFAULT_STYLE)
        file = tmp_path / f"{want}.png"
        save_scan(scan(page, rng), file, rng)
        result = next(iter(reader.read_file(file)))
        read = next(f for f in result.fields if f.name == "申請日")
        assert (read.value, read.status) == (want, "ok"), read
