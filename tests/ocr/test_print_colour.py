"""Forms printed in one colour, as many city forms are (and forms made for OCR, in a drop-out red),
registered from a colour scan of the blank. Before, every page of a red or orange form was refused
(red was taken for a seal and dropped from the page, not from the blank), a green form's pages were
aligned only on a second try, a template printed in light blue failed with a traceback, and no boxes
were found on a blank printed in pale orange."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dxrpa.demo.forms.layout import MINCHO, font, juminhyo_layout, render_blank, write_template
from dxrpa.demo.scans import fake_values, render_filled, save_scan, scan
from dxrpa.ocr.draft import draft_template, find_boxes
from dxrpa.ocr.engines.base import Engine
from dxrpa.ocr.load import split_red
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.template import get_template, load_template

from .conftest import TEMPLATES

RED, ORANGE, LIGHT_BLUE = (220, 40, 50), (240, 130, 40), (120, 170, 220)


def _in_colour(gray: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """Black print in ``colour``, white paper white."""
    return 255 - (1 - gray[..., None] / 255) * (255 - np.array(colour, np.float32))


def _reader(engine: Engine, folder: Path, colour: tuple[int, int, int]) -> FormReader:
    layout = juminhyo_layout()
    write_template(layout, folder)
    (folder / "machiaza.csv").write_bytes((TEMPLATES / "machiaza.csv").read_bytes())
    blank = np.asarray(render_blank(layout), np.float32)
    Image.fromarray(_in_colour(blank, colour).astype(np.uint8), "RGB").save(folder / "juminhyo.png")
    return FormReader(get_template("juminhyo", folder), engine)


def _page(
    seed: int, colour: tuple[int, int, int], *, hand: bool = False
) -> tuple[Image.Image, dict[str, str]]:
    """A filled page with its print in ``colour`` and the writing black, scanned in colour."""
    layout = juminhyo_layout()
    rng = random.Random(seed)
    written, truth = fake_values(layout, rng, 100700 + seed)
    blank = np.asarray(render_blank(layout), np.float32)
    filled = np.asarray(render_filled(layout, written, rng, hand=hand), np.float32)
    writing = np.where(filled < blank - 8, filled, 255.0)[..., None] / 255
    rgb = Image.fromarray(np.clip(_in_colour(blank, colour) * writing, 0, 255).astype(np.uint8), "RGB")
    seed_scan = rng.randrange(2**32)
    return Image.merge("RGB", [scan(ch, random.Random(seed_scan)) for ch in rgb.split()]), truth


def _wrong(reader: FormReader, file: Path, truth: dict[str, str]) -> list[tuple[str, str, str]]:
    result = next(iter(reader.read_file(file)))
    assert result.status != "failed", result.error
    return [(f.name, f.value, f.status) for f in result.fields if f.value != truth[f.name]]


def test_red_and_orange_forms_are_read(engine: Engine, tmp_path: Path) -> None:
    for k, colour in enumerate((RED, ORANGE)):
        reader = _reader(engine, tmp_path / f"t{k}", colour)
        for seed in (1, 2):
            page, truth = _page(10 * k + seed, colour, hand=seed == 2)
            file = tmp_path / f"{k}_{seed}.jpg"
            save_scan(page, file, random.Random(seed))
            assert _wrong(reader, file, truth) == [], (colour, seed)


def test_a_form_printed_light_blue_loads_and_reads(engine: Engine, tmp_path: Path) -> None:
    reader = _reader(engine, tmp_path / "t", LIGHT_BLUE)
    page, truth = _page(5, LIGHT_BLUE)
    file = tmp_path / "blue.png"
    save_scan(page, file, random.Random(5))
    assert _wrong(reader, file, truth) == []


def test_a_seal_on_a_red_form_is_dropped_from_the_name(engine: Engine, tmp_path: Path) -> None:
    reader = _reader(engine, tmp_path / "t", RED)
    page, truth = _page(6, RED)
    x, y, _w, h = next(f.box for f in juminhyo_layout().fields if f.name == "氏名" and f.box)
    cx, cy, r = x + 70, y + h // 2, int(h * 0.55)
    d = ImageDraw.Draw(page)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(215, 35, 45), width=6)
    for k, ch in enumerate("佐藤"):
        d.text((cx - 20, cy - r + 6 + k * 40), ch, font=font(MINCHO, 40), fill=(215, 35, 45))
    file = tmp_path / "sealed.png"
    page.save(file)
    assert _wrong(reader, file, truth) == []


def test_red_print_is_told_from_a_seal(tmp_path: Path) -> None:
    black = np.asarray(render_blank(juminhyo_layout()).convert("RGB")).copy()
    black[300:380, 300:380] = (215, 35, 45)  # a seal's worth of red on a black form
    assert not split_red(Image.fromarray(black)).red_print
    red = _in_colour(np.asarray(render_blank(juminhyo_layout()), np.float32), RED).astype(np.uint8)
    scan_ = split_red(Image.fromarray(red))
    assert scan_.red_print and scan_.lift is not None
    assert int(np.percentile(scan_.gray(), 1)) > 180  # the print drops out of the page as read


def test_a_template_is_drafted_from_a_blank_printed_in_colour(tmp_path: Path) -> None:
    gray = np.asarray(render_blank(juminhyo_layout()), np.float32)
    want = find_boxes(gray.astype(np.uint8))
    for k, colour in enumerate((ORANGE, (250, 190, 150), (200, 220, 240))):  # pale ones print over 200
        file = tmp_path / f"blank{k}.png"
        Image.fromarray(_in_colour(gray, colour).astype(np.uint8), "RGB").save(file)
        draft = load_template(draft_template(file))
        assert [f.box for f in draft.spec.fields] == want, colour


def test_an_unfilled_page_of_a_light_form_is_not_taken_for_a_blank_sheet(
    engine: Engine, tmp_path: Path
) -> None:
    reader = _reader(engine, tmp_path / "t", LIGHT_BLUE)
    rgb = Image.fromarray(
        _in_colour(np.asarray(render_blank(juminhyo_layout()), np.float32), LIGHT_BLUE).astype(np.uint8)
    )
    seed = random.Random(7).randrange(2**32)
    file = tmp_path / "unfilled.png"
    Image.merge("RGB", [scan(ch, random.Random(seed)) for ch in rgb.split()]).save(file)
    result = next(iter(reader.read_file(file)))
    assert result.status != "failed", result.error
