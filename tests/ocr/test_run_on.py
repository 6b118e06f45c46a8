"""Writing that runs on past the end of its box (a long address, a name begun late) is read whole and
goes to review with the reason; the reviewer's crop shows it whole. Before, the crop ended with the
box and the field was accepted cut short (「山田」 for 「山田太郎」). Writing too small and thin to have
firm ink enough is no empty field."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from PIL import ImageDraw

from dxrpa.demo.forms.layout import juminhyo_layout, render_blank
from dxrpa.demo.scans import DEFAULT_STYLE, _fill_field, fake_values, save_scan, scan
from dxrpa.ocr.pipeline import FormReader


def test_a_name_written_past_its_box_is_read_whole_for_review(reader: FormReader, tmp_path: Path) -> None:
    layout = juminhyo_layout()
    for seed, hand in ((1, False), (2, True)):
        rng = random.Random(seed)
        written, truth = fake_values(layout, rng, 100700 + seed)
        img = render_blank(layout)
        for f in layout.fields:
            if f.name == "氏名" and f.box is not None:  # begun late: it ends well past the box
                x, y, w, h = f.box
                f = dataclasses.replace(f, box=(x + w - 150, y, w, h))
            _fill_field(img, f, written.get(f.name, ""), rng, hand, DEFAULT_STYLE)
        file = tmp_path / f"{seed}.png"
        save_scan(scan(img, rng), file, rng)
        result = next(iter(reader.read_file(file)))
        name = next(f for f in result.fields if f.name == "氏名")
        assert name.value == truth["氏名"] and name.status == "review" and "枠の外" in name.reason, name
        others = [f for f in result.fields if f.name != "氏名" and f.value != truth[f.name]]
        assert others == [], others


def test_a_small_thin_one_is_not_read_as_empty(reader: FormReader, tmp_path: Path) -> None:
    """A small 1 written with a thin pen scans grey, with too little firm ink to count: it read empty
    (here a required field; an optional one read empty was accepted)."""
    layout = juminhyo_layout()
    rng = random.Random(5)
    written, truth = fake_values(layout, rng, 100805)
    img = render_blank(layout)
    for f in layout.fields:
        if f.name != "必要部数":
            _fill_field(img, f, written.get(f.name, ""), rng, False, DEFAULT_STYLE)
    x, y, _w, h = next(f.box for f in layout.fields if f.name == "必要部数" and f.box)
    draw = ImageDraw.Draw(img)
    draw.line((x + 21, y + h - 29, x + 24, y + h - 32), fill=100, width=1)  # the flag, then the stem
    draw.line((x + 24, y + h - 32, x + 24, y + h - 16), fill=100, width=1)
    file = tmp_path / "one.png"
    save_scan(scan(img, rng), file, rng)
    result = next(iter(reader.read_file(file)))
    copies = next(f for f in result.fields if f.name == "必要部数")
    assert copies.value == "1" or (copies.status == "review" and copies.value), copies
    assert truth["必要部数"]  # a required field the writer filled
