"""Date boxes that print the eras to circle (「昭和・平成・令和　年　月　日」, one era under the other, or
「明・大・昭・平・令」): the circled era is the date's. Before, every printed era was read
(「平成・令和6年5月24日」) and each such date went to review."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from dxrpa.demo.forms.layout import GOTHIC, font, juminhyo_layout, render_blank, write_template
from dxrpa.demo.scans import DEFAULT_STYLE, save_scan, scan
from dxrpa.model.form import FieldResult
from dxrpa.ocr.engines.base import Engine, Recognized
from dxrpa.ocr.eras import settle
from dxrpa.ocr.normalize import parse_date
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.template import load_template

from .conftest import TEMPLATES

#: how each list is printed: labels, size, "row" (with ・ between) or "column"
LISTS = {
    "row": (("昭和", "平成", "令和"), 18),
    "column": (("昭和", "平成", "令和"), 16),
    "short": (("明", "大", "昭", "平", "令"), 16),
}


Place = tuple[float, float, float, float]


def _labels(kind: str, box: tuple[int, int, int, int]) -> list[tuple[str, Place]]:
    labels, size = LISTS[kind]
    x, y, _w, h = box
    fnt = font(GOTHIC, size)
    if kind == "column":
        top = y + (h - 3 * size - 8) / 2
        return [(lb, (x + 8, top + i * (size + 4), fnt.getlength(lb), size)) for i, lb in enumerate(labels)]
    out: list[tuple[str, Place]] = []
    left = x + 8.0
    for lb in labels:
        out.append((lb, (left, y + (h - size) / 2, fnt.getlength(lb), size)))
        left += fnt.getlength(lb + "・")
    return out


class Form:
    """The 住民票 form with an era list printed in its 申請日 box, and a reader for its template."""

    def __init__(self, kind: str, engine: Engine, folder: Path) -> None:
        layout = juminhyo_layout()
        box = next(f.box for f in layout.fields if f.name == "申請日")
        assert box is not None
        self.kind, self.box = kind, box
        self.blank = render_blank(layout)
        d = ImageDraw.Draw(self.blank)
        size = LISTS[kind][1]
        labels = _labels(kind, box)
        for i, (lb, (lx, ly, lw, _lh)) in enumerate(labels):
            d.text((lx, ly), lb, font=font(GOTHIC, size), fill=0)
            if kind != "column" and i < len(labels) - 1:
                d.text((lx + lw, ly), "・", font=font(GOTHIC, size), fill=0)
        self.end = int(max(b[0] + b[2] for _, b in labels))
        _x, y, _w, h = box
        for dx, ch in ((90, "年"), (160, "月"), (230, "日")):
            d.text((self.end + dx, y + h / 2 - 11), ch, font=font(GOTHIC, 22), fill=0)
        path = write_template(layout, folder)
        self.blank.save(folder / "juminhyo.png")
        shutil.copy(TEMPLATES / "machiaza.csv", folder)
        self.reader = FormReader(load_template(path), engine)

    def fill(
        self, circled: tuple[str, ...], parts: tuple[str, str, str], hand: bool, seed: int
    ) -> Image.Image:
        rng = random.Random(seed)
        page = self.blank.copy()
        d = ImageDraw.Draw(page)
        for lb, (lx, ly, lw, lh) in _labels(self.kind, self.box):
            if lb in circled:
                px, py = rng.uniform(3, 7), rng.uniform(2, 5)
                d.ellipse(
                    (lx - px, ly - py, lx + lw + px, ly + lh + py), outline=rng.randint(20, 60), width=3
                )
        _x, y, _w, h = self.box
        path = (DEFAULT_STYLE.hand_fonts if hand else DEFAULT_STYLE.print_fonts)[0]
        for (a, b), part in zip(((10, 88), (116, 158), (186, 228)), parts, strict=True):
            fnt = font(path, 30 if len(part) < 4 else 24)
            left = self.end + (a + b) / 2 - fnt.getlength(part) / 2 + rng.uniform(-3, 3)
            d.text((left, y + h / 2 - 16 + rng.uniform(-3, 3)), part, font=fnt, fill=rng.randint(20, 60))
        return page

    def read(self, page: Image.Image, file: Path) -> FieldResult:
        save_scan(scan(page, random.Random(file.name)), file, random.Random(1))
        result = next(iter(self.reader.read_file(file)))
        return next(f for f in result.fields if f.name == "申請日")


CASES = [
    ("row", ("平成",), ("13", "11", "9"), "2001-11-09", True),
    ("row", ("令和",), ("6", "5", "24"), "2024-05-24", False),
    ("column", ("令和",), ("6", "5", "24"), "2024-05-24", True),
    ("column", ("昭和",), ("60", "1", "19"), "1985-01-19", False),
    ("short", ("昭",), ("60", "1", "19"), "1985-01-19", True),
    ("short", ("令",), ("2", "8", "14"), "2020-08-14", False),
]


@pytest.mark.parametrize("kind", ["row", "column", "short"])
def test_the_circled_era_is_the_dates(engine: Engine, tmp_path: Path, kind: str) -> None:
    form = Form(kind, engine, tmp_path / "templates")
    for n, (_k, circled, parts, want, hand) in enumerate(c for c in CASES if c[0] == kind):
        read = form.read(form.fill(circled, parts, hand, n), tmp_path / f"{kind}{n}.png")
        assert (read.value, read.status) == (want, "ok"), read


def test_two_eras_circled_go_to_review_and_a_western_year_needs_no_circle(
    engine: Engine, tmp_path: Path
) -> None:
    form = Form("row", engine, tmp_path / "templates")
    both = form.read(form.fill(("平成", "令和"), ("6", "5", "24"), False, 1), tmp_path / "both.png")
    assert both.status == "review" and "元号" in both.reason, both
    assert both.value not in ("1994-05-24", "2024-05-24"), both
    none = form.read(form.fill((), ("6", "5", "24"), False, 2), tmp_path / "none.png")
    assert none.status == "review" and none.value != "2024-05-24", none  # no era: no year
    western = form.read(form.fill((), ("1986", "5", "24"), False, 3), tmp_path / "western.png")
    assert western.value == "1986-05-24", western


def test_an_era_read_badly_is_the_circled_one_and_a_first_kanji_is_an_era() -> None:
    rec = Recognized("合和7年12月24日", 0.9, 0.48, tuple(range(10)), (0.48,) + (0.999,) * 9)
    fixed = settle(rec, "令和")
    assert fixed.text == "令和7年12月24日" and fixed.chars[:2] == (0.99, 0.99)
    assert len(fixed.centers) == len(fixed.text)
    assert settle(Recognized("昭60年1月19日", 0.9, 0.9), "昭").text == "昭60年1月19日"
    assert parse_date("昭60年1月19日") == "1985-01-19"
    assert parse_date("令2年8月14日") == "2020-08-14"
