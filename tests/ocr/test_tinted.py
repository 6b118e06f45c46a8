"""Input boxes printed tinted (網掛けの記入欄, a grey or a pale colour marking where to write, also as a
laser printer's dot screen scanned sharp) read like white ones. Before, a box greyer than 220 (or
its dots) was taken for print by the eraser and for ink by the cropper: every field of such a form
was read empty, and the optional ones were auto-accepted so."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from PIL import ImageDraw

from dxrpa.demo.forms.layout import inkan_layout, render_blank, write_template
from dxrpa.demo.scans import DEFAULT_STYLE, _fill_field, fake_values, save_scan, scan
from dxrpa.ocr.engines.base import Engine
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.template import load_template

from .conftest import TEMPLATES


@pytest.mark.parametrize(
    "tint", [(190, 190, 190), (200, 222, 250), "dots"], ids=["grey", "pale blue", "dot screen"]
)
def test_tinted_boxes_read_as_white_ones(
    engine: Engine, tmp_path: Path, tint: tuple[int, int, int] | str
) -> None:
    layout = inkan_layout()
    blank = render_blank(layout).convert("RGB")
    d = ImageDraw.Draw(blank)
    for f in layout.fields:
        if f.box is not None and f.type not in ("checkbox", "choice"):
            x, y, w, h = f.box
            if isinstance(tint, tuple):
                d.rectangle((x + 2, y + 2, x + w - 2, y + h - 2), fill=tint)
                continue
            for dy in range(3, h - 3, 3):  # a dot every 3 px: 11 % black, about grey 227
                for dx in range(3, w - 3, 3):
                    d.point((x + dx, y + dy), fill=(0, 0, 0))
    folder = tmp_path / "templates"
    path = write_template(layout, folder)
    blank.convert("L").save(folder / "inkan.png")
    shutil.copy(TEMPLATES / "machiaza.csv", folder)
    reader = FormReader(load_template(path), engine)
    rng = random.Random(8)
    for n, hand in enumerate((False, True)):
        written, truth = fake_values(layout, rng, 100200 + n)
        page = blank.copy()
        for f in layout.fields:
            _fill_field(page, f, written.get(f.name, ""), rng, hand, DEFAULT_STYLE)
        file = tmp_path / f"{n}.png"
        save_scan(scan(page.convert("L"), rng), file, rng)
        result = next(iter(reader.read_file(file)))
        wrong = [(f.name, f.value, truth[f.name]) for f in result.fields if f.value != truth[f.name]]
        assert wrong == [], result.fields
        assert not [f for f in result.fields if f.status == "ok" and f.value != truth[f.name]]
        assert sum(f.status == "ok" for f in result.fields) >= len(result.fields) - 2
