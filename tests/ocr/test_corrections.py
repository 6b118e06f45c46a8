"""A value struck out and written again beside it (「訂正は二重線で」): before, the struck value was read
with the new one (「佐藤花子山田真理子」) and accepted at 0.95; now such a field goes to review."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from dxrpa.demo.forms.layout import GOTHIC, MINCHO, font, juminhyo_layout
from dxrpa.demo.scans import fake_values, render_filled, save_scan, scan
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.strike import struck_out


def _text(value: str, *, strike: bool = False, underline: bool = False) -> np.ndarray:
    img = Image.new("L", (40 + 44 * len(value), 72), 255)
    d = ImageDraw.Draw(img)
    d.text((14, 14), value, font=font(MINCHO, 40), fill=30)
    width = int(d.textlength(value, font=font(MINCHO, 40)))
    for dy in (-4, 4) if strike else ():
        d.line((10, 36 + dy, 18 + width, 36 + dy), fill=30, width=2)
    if underline:
        d.line((10, 62, 18 + width, 62), fill=30, width=2)
    return np.asarray(img)


def test_a_double_line_through_writing_is_a_correction() -> None:
    for value in ("佐藤花子", "東区1丁目"):
        assert struck_out(_text(value, strike=True)), value


def test_long_strokes_of_characters_and_underlines_are_not() -> None:
    for value in ("山田一郎", "二三四", "ミラー・ケイト", "一二三"):
        assert struck_out(_text(value)) == "", value
    assert struck_out(_text("鈴木花子", underline=True)) == ""


def test_a_corrected_value_is_sent_to_review(reader: FormReader, tmp_path: Path) -> None:
    layout = juminhyo_layout()
    rng = random.Random(41)
    written, truth = fake_values(layout, rng, 100900)
    page = render_filled(layout, written, rng, hand=False)
    x, y, w, h = next(f.box for f in layout.fields if f.name == "氏名" and f.box)
    inner = (x + 5, y + 5, x + w - 5, y + h - 5)
    region = page.crop(inner)
    left, top, right, bottom = ImageOps.invert(region).getbbox() or (0, 0, 1, 1)
    writing = region.crop((left, top, right, bottom))
    d = ImageDraw.Draw(page)
    d.rectangle(inner, fill=255)
    d.text((x + 12, y + 16), "佐藤花子", font=font(GOTHIC, 34), fill=40)
    for dy in (-4, 4):
        d.line((x + 8, y + h // 2 + dy, x + 160, y + h // 2 + dy), fill=30, width=2)
    page.paste(writing, (x + 175, y + 5 + top))
    file = tmp_path / "corrected.png"
    save_scan(scan(page, random.Random(41)), file, random.Random(41))
    result = next(iter(reader.read_file(file)))
    name = next(f for f in result.fields if f.name == "氏名")
    assert name.status == "review" and "線で消して" in name.reason, name
    assert name.value.endswith(truth["氏名"]), name  # what was struck out is read too, for the reviewer
    assert all(f.value == truth[f.name] for f in result.fields if f.status == "ok")
