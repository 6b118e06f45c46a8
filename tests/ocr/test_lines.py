"""Line preparation and dropped-character detection on real renderings with the real recognizer."""

from __future__ import annotations

import numpy as np
from PIL import Image

from dxrpa.demo.forms.layout import GOTHIC, MINCHO, font
from dxrpa.demo.scans import _printed_mask
from dxrpa.ocr.ctc import squeezed
from dxrpa.ocr.engines.base import Engine
from dxrpa.ocr.normalize import normalize
from dxrpa.ocr.pipeline import _tight, dropped_character, one_line


def _render(text: str, path: str = GOTHIC, size: int = 34, ink: int = 20, width: int = 760) -> np.ndarray:
    """A field crop as the scanner gives it: white paper, one line of print."""
    page = Image.new("L", (width, 80), 245)
    page.paste(ink, (14, 18), _printed_mask(text, path, size))
    return np.asarray(page)


def test_print_keeps_thin_strokes() -> None:
    """Hinting at small sizes dropped Mincho's thin strokes (田 drawn as 山); the generator must not."""
    top_bar = font(MINCHO, 33 * 4).getbbox("田")[1] // 4 + 1
    mask = np.asarray(_printed_mask("田", MINCHO, 33))
    assert mask[top_bar - 1 : top_bar + 2].max(axis=0).astype(bool).sum() > 15


def test_faint_strokes_are_not_closed_up_as_gaps(engine: Engine) -> None:
    crop = _render("北一条西6丁目", MINCHO, size=34, ink=120)
    line = _tight(crop)
    assert line is not None and not line.joints
    assert engine.recognize([line.image])[0].text == "北一条西6丁目"


def test_wide_gaps_are_closed_up(engine: Engine) -> None:
    line = _tight(_render("佐藤　　　花子"))
    assert line is not None and len(line.joints) == 1
    rec = engine.recognize([line.image])[0]
    # no ー and nothing dropped; a space read in the closed gap carries no value (normalization drops it)
    assert rec.text.replace(" ", "") == "佐藤花子"
    assert normalize("text", rec.text) == "佐藤花子"


def test_clean_reading_has_no_dropped_character(engine: Engine) -> None:
    texts = ("千葉県千葉市中央区中央6丁目25番5号", "東京都新宿区西新宿7丁目7番19号コーポ桜101", "田中浩二")
    for text in texts:
        line = _tight(_render(text))
        assert line is not None
        rec = engine.recognize([line.image])[0]
        assert normalize("text", rec.text) == text
        assert not dropped_character(rec, line), text


def test_missing_character_room_is_noticed(engine: Engine) -> None:
    """A reading that leaves a character's room unexplained (here the recognizer is shown the line
    with one character's ink painted out, as when it skips a character) is flagged."""
    crop = _render("千葉県千葉市中央区")
    line = _tight(crop)
    assert line is not None
    rec = engine.recognize([line.image])[0]
    em = line.em
    start = line.pad + int(em * 3)  # the second 千
    painted = line.image.copy()
    painted[:, start : start + int(em)] = 255
    skipped = engine.recognize([painted])[0]
    assert skipped.text != rec.text
    assert dropped_character(skipped, line), skipped.text


def _ink_only(crop: np.ndarray) -> np.ndarray:
    cols = np.where((crop < 150).any(axis=0))[0]
    return crop[:, cols[0] : cols[-1] + 1]


def test_blank_between_family_and_given_name_is_no_dropped_character(engine: Engine) -> None:
    """A space between 氏 and 名 too narrow to be closed up leaves room but no ink in it: nothing was
    dropped there (one handwritten-source name in three went to review for it)."""
    paper = np.full((80, 14), 245, np.uint8)
    for family, given in (("石川", "真理子"), ("長谷川", "陽子"), ("田中", "浩二")):
        for gap in (16, 20, 24):
            blank = np.full((80, gap), 245, np.uint8)
            parts = [paper, _ink_only(_render(family)), blank, _ink_only(_render(given)), paper]
            line = _tight(np.hstack(parts))
            assert line is not None and not line.joints  # the blank stays
            rec = engine.recognize([line.image])[0]
            assert normalize("text", rec.text) == family + given
            assert not dropped_character(rec, line), (family, given, gap, rec.centers)


def test_pale_writing_right_after_firm_ink_is_kept(engine: Engine) -> None:
    """A field's end printed paler than its start (a 100 dpi scan lost the 「03」 of 「ハイツ203」 to
    grey) is still part of the line the recognizer reads."""
    firm, pale = _printed_mask("ハイツ2", GOTHIC, 34), _printed_mask("03", GOTHIC, 34)
    page = Image.new("L", (420, 80), 245)
    page.paste(20, (14, 18), firm)
    page.paste(175, (14 + firm.size[0] + 2, 18), pale)
    line = _tight(np.asarray(page))
    assert line is not None
    assert normalize("text", engine.recognize([line.image])[0].text) == "ハイツ203"


def test_positions_line_up_with_spaces_and_squeezed_ones_are_not_trusted(engine: Engine) -> None:
    """RapidOCR gives a space no position: each character still gets one, in order, so the checks
    that use them (second digit reader, dropped characters) see lines with spaces too. Places that
    squeeze two kanji into less than a kanji's width are not where the ink is."""
    line = _tight(_render("MLism 株式会社 178 番地"))
    assert line is not None
    rec = engine.recognize([line.image])[0]
    assert " " in rec.text
    assert len(rec.centers) == len(rec.text)
    assert list(rec.centers) == sorted(rec.centers)
    assert not squeezed(rec.text, rec.centers, line.em)
    assert squeezed("株式会社", (100.0, 110.0, 160.0, 200.0), 40.0)


def test_an_address_on_two_lines_is_read_as_one(engine: Engine) -> None:
    """An address written over two lines of its box: both lines, in order. Read as one crop, the two
    lines gave garbage (「千美11于2市書1」)."""
    page = Image.new("L", (760, 96), 245)
    page.paste(20, (14, 8), _printed_mask("千葉県千葉市中央区", GOTHIC, 28))
    page.paste(20, (14, 52), _printed_mask("中央1丁目28番11号", GOTHIC, 28))
    line = _tight(one_line(np.asarray(page)))
    assert line is not None
    assert engine.recognize([line.image])[0].text.replace(" ", "") == "千葉県千葉市中央区中央1丁目28番11号"


def test_one_line_leaves_a_single_line_and_a_lone_stroke_alone() -> None:
    single = _render("福岡県福岡市中央区天神5丁目")
    assert one_line(single) is single
    three = _render("三", size=60)  # its strokes are bands of rows, but no lines
    assert one_line(three) is three
