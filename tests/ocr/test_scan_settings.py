"""Pages as office scanners set up in other ways write them: at 300 or 600 dpi for a template drawn
at 150, and light (a light scanner setting, toner running out). Before, every 300 or 600 dpi page was
refused, as "upside-down"; on light pages ticks read as not checked, and that was accepted. A copy
reduced to half its size is refused for its scale (it was called upside-down too). A field the scan
cuts off goes to review; a document feeder's streak is not read as a 1."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
from PIL import Image

from dxrpa.demo.forms.layout import juminhyo_layout
from dxrpa.demo.scans import fake_values, render_filled, save_scan, scan
from dxrpa.ocr.pipeline import FormReader


def _filled(seed: int, *, hand: bool = False) -> tuple[Image.Image, dict[str, str]]:
    layout = juminhyo_layout()
    rng = random.Random(seed)
    written, truth = fake_values(layout, rng, 100500 + seed)
    return render_filled(layout, written, rng, hand=hand), truth


def _wrong(reader: FormReader, file: Path, truth: dict[str, str]) -> list[tuple[str, str, str]]:
    result = next(iter(reader.read_file(file)))
    assert result.status != "failed", result.error
    return [(f.name, f.value, f.status) for f in result.fields if f.value != truth[f.name]]


def test_pages_scanned_at_300_and_600_dpi_read(reader: FormReader, tmp_path: Path) -> None:
    for seed, dpi in ((1, 300), (2, 600)):
        page, truth = _filled(seed, hand=seed == 2)
        page = page.resize((page.width * dpi // 150, page.height * dpi // 150), Image.Resampling.LANCZOS)
        file = tmp_path / f"{dpi}.png"
        save_scan(scan(page, random.Random(seed)), file, random.Random(seed))
        assert _wrong(reader, file, truth) == [], dpi


def test_a_light_scan_reads_its_ticks_and_strokes(reader: FormReader, tmp_path: Path) -> None:
    for seed in (3, 4, 5):
        page, truth = _filled(seed, hand=seed == 4)
        gray = np.asarray(scan(page, random.Random(seed)), dtype=np.float32)
        light = Image.fromarray((255 - (255 - gray) * 0.45).astype(np.uint8))  # half the contrast, and less
        file = tmp_path / f"light{seed}.png"
        save_scan(light, file, random.Random(seed))
        assert _wrong(reader, file, truth) == [], seed


def test_a_reduced_copy_is_refused_for_its_scale(reader: FormReader, tmp_path: Path) -> None:
    page, _truth = _filled(6)
    sheet = Image.new("L", page.size, 255)
    small = page.resize((page.width * 9 // 20, page.height * 9 // 20), Image.Resampling.LANCZOS)
    sheet.paste(small, (80, 60))
    file = tmp_path / "reduced.png"
    save_scan(scan(sheet, random.Random(6)), file, random.Random(6))
    result = next(iter(reader.read_file(file)))
    assert result.status == "failed" and re.search(r"縮尺.*様式の 4[3-7]%", result.error), result.error


def test_a_field_the_scan_cuts_off_goes_to_review(reader: FormReader, tmp_path: Path) -> None:
    page, truth = _filled(7)
    file = tmp_path / "cut.png"
    save_scan(
        scan(page, random.Random(7), strength=0.2).crop((0, 0, 1100, page.height)), file, random.Random(7)
    )
    result = next(iter(reader.read_file(file)))
    assert result.status == "review" and result.alignment and result.alignment.covered < 0.95, result
    cut = next(f for f in result.fields if f.name == "受付番号")  # its box runs to x = 1150
    assert cut.status == "review" and "写っていません" in cut.reason, cut
    assert all(f.value == truth[f.name] for f in result.fields if f.status == "ok")


def test_a_page_scanned_as_a_smaller_paper_says_so(reader: FormReader, tmp_path: Path) -> None:
    page, _truth = _filled(8)
    file = tmp_path / "b5.png"
    save_scan(
        scan(page, random.Random(8)).crop((0, 0, page.width, page.height * 3 // 4)), file, random.Random(8)
    )
    result = next(iter(reader.read_file(file)))
    assert result.status == "failed" and "一部しか写っていません" in result.error, result.error


def test_a_document_feeders_streak_is_not_read(reader: FormReader, tmp_path: Path) -> None:
    page, truth = _filled(9)
    gray = np.asarray(scan(page, random.Random(9))).copy()
    gray[:, 505:507] = 60  # through 氏名, 住所 and the numbers, top to bottom
    gray[:, 700] = 40
    file = tmp_path / "streak.png"
    save_scan(Image.fromarray(gray), file, random.Random(9))
    assert _wrong(reader, file, truth) == []
