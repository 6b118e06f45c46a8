"""Decoding under a field's grammar: the automata, the Viterbi path on a known lattice, and the real
recognizer on printed lines whose first reading breaks the grammar."""

from __future__ import annotations

import numpy as np
from PIL import Image

from dxrpa.demo.forms.layout import GOTHIC
from dxrpa.demo.scans import _printed_mask
from dxrpa.model.form import FieldSpec
from dxrpa.ocr.ctc import decode, dropped_digit
from dxrpa.ocr.engines.base import LATTICE_CHARS, Engine, Lattice, Recognized, keeps
from dxrpa.ocr.grammar import for_field, symbol
from dxrpa.ocr.normalize import normalize
from dxrpa.ocr.pipeline import PLAUSIBLE, _tight, drop_cap, field_confidence, within_grammar
from dxrpa.ocr.validate import check

TYPES = ("date", "phone", "postal_code", "my_number", "number", "email")


def _line(text: str) -> np.ndarray:
    page = Image.new("L", (60 + 40 * len(text), 80), 245)
    page.paste(20, (20, 18), _printed_mask(text, GOTHIC, 34))
    line = _tight(np.asarray(page))
    assert line is not None
    return line.image


def test_automata_accept_what_normalization_reads_and_nothing_else() -> None:
    date, phone, email = for_field("date"), for_field("phone"), for_field("email")
    assert date is not None and phone is not None and email is not None
    for ok in (
        "令和5年10月15日",
        "R5.10.15",
        "平成元年1月8日",
        "2023/10/15",
        "1986年1月17日",
        "昭和62年 7月3日",
    ):
        assert date.accepts(ok), ok
    for bad in ("分和5年10月15日", "令和年12月20日", "令和7年10月66日", "令和元年¥月8日", "令和5年13月1日"):
        assert not date.accepts(bad), bad
    assert phone.accepts("092-834-9911") and phone.accepts("(092)834-9911") and phone.accepts("O9O-l234-5678")
    for bad in ("080-9309-87147", "092-834-991", "892-733-5512", "080-54G2-7316"):
        assert not phone.accepts(bad), bad
    assert email.accepts("user39 @city.example.lg.jp") and not email.accepts('user"@example.jp')
    number = for_field("number", 6)
    assert number is not None and number.accepts("123456") and not number.accepts("12345")


def test_every_grammar_symbol_is_kept_in_the_lattice() -> None:
    """An automaton symbol no kept label maps to could never be read: the lattice must carry them."""
    for field_type in TYPES:
        automaton = for_field(field_type)
        assert automaton is not None
        for s in automaton.alphabet:
            assert keeps(s) or s in LATTICE_CHARS, (field_type, s)
            assert symbol(s, automaton.digits) == s, (field_type, s)


def test_viterbi_path_follows_ctc_rules_and_caps_the_confidence() -> None:
    """On a known lattice: the grammar's best path, a repeated digit needing a blank between, and
    the cap = how much likelier the unconstrained first choice was."""
    labels = ("", "1", "2", "G", "6")
    # steps: 1, blank, 1, G (6 second), blank: first choice "11G", grammar (digits) → "116"
    probs = np.array(
        [
            [0.05, 0.9, 0.02, 0.02, 0.01],
            [0.9, 0.05, 0.02, 0.02, 0.01],
            [0.05, 0.9, 0.02, 0.02, 0.01],
            [0.05, 0.01, 0.02, 0.62, 0.3],
            [0.9, 0.02, 0.02, 0.03, 0.03],
        ],
        np.float32,
    )
    lattice = Lattice(labels, probs, probs.max(axis=1), 10.0)
    number = for_field("number", 3)
    assert number is not None
    found = decode(lattice, number)
    assert found is not None
    assert found.text == "116"
    assert found.chars == (float(np.float32(0.9)), float(np.float32(0.9)), float(np.float32(0.3)))
    assert abs(found.cap - 0.3 / 0.62) < 1e-3
    assert found.centers == (5.0, 25.0, 35.0)
    two = for_field("number", 2)
    assert two is not None
    shorter = decode(lattice, two)  # one of the 1s must go: its 0.9 against the blank's 0.05
    assert shorter is not None and len(shorter.text) == 2 and shorter.cap < 0.1


def test_an_era_the_recognizer_is_sure_of_is_not_made_up(engine: Engine) -> None:
    """Printed 「分和」: the recognizer is sure of 分, so the likeliest era is a guess (its likelihood
    is a vanishing share of the reading's) and is not offered; the date grammar says why."""
    spec = FieldSpec(name="申請日", type="date", box=(0, 0, 10, 10))
    rec = engine.recognize([_line("分和5年10月15日")])[0]
    assert rec.text == "分和5年10月15日" and rec.lattice is not None
    date = for_field("date")
    assert date is not None
    forced = decode(rec.lattice, date)
    assert forced is not None and forced.text.endswith("和5年10月15日") and date.accepts(forced.text)
    assert forced.cap < PLAUSIBLE
    assert within_grammar(spec, rec) is rec
    assert check(spec, normalize("date", rec.text))


def test_a_phone_number_with_a_digit_too_many_is_never_sure(engine: Engine) -> None:
    """Twelve printed digits: the grammar allows eleven, so a digit read at full confidence would
    have to go. That reading keeps almost none of the recognizer's confidence, too little to be
    offered: the raw reading stays, and the phone grammar sends it to review."""
    spec = FieldSpec(name="電話番号", type="phone", box=(0, 0, 10, 10))
    rec = engine.recognize([_line("080-9309-87147")])[0]
    assert rec.text == "080-9309-87147" and min(rec.chars) > 0.9 and rec.lattice is not None
    phone = for_field("phone")
    assert phone is not None
    forced = decode(rec.lattice, phone)
    assert forced is not None and sum(c.isdigit() for c in forced.text) == 11
    assert forced.cap < PLAUSIBLE
    assert within_grammar(spec, rec) is rec
    assert check(spec, normalize("phone", rec.text))


def test_a_block_number_not_read_is_inferred_and_flagged(engine: Engine) -> None:
    spec = FieldSpec(name="住所", type="text", box=(0, 0, 10, 10))
    rec = engine.recognize([_line("中央区中央丁目2番4号")])[0]
    assert "中央丁目" in rec.text
    fixed = within_grammar(spec, rec)
    assert "中央丁目" not in fixed.text and fixed.cap < 0.5  # a digit was inferred where none is written
    assert field_confidence("text", fixed) < 0.5


def test_a_digit_left_in_a_blank_step_caps_the_confidence() -> None:
    """「13番」 read as 「3番」: the step between 目 and 3 gave a 1 a fifth of its probability. The 3's
    own probability spilling into the steps beside it is no dropped digit."""
    labels = ("", "1", "3", "目")
    probs = np.array(
        [
            [0.0, 0.0, 0.0, 1.0],  # 目
            [0.77, 0.19, 0.04, 0.0],  # blank, but a 1 may be here
            [0.02, 0.0, 0.98, 0.0],  # 3
            [0.7, 0.0, 0.3, 0.0],  # blank: the 3 spilling over
        ],
        np.float32,
    )

    def read(probs: np.ndarray) -> Recognized:
        lattice = Lattice(labels, probs, probs.max(axis=1), 10.0)
        return Recognized("目3", 0.99, 0.98, (5.0, 25.0), (1.0, 0.98), lattice)

    rec = read(probs)
    assert abs(dropped_digit(rec) - 0.19) < 1e-6
    assert field_confidence("text", rec._replace(cap=drop_cap(rec))) < 0.9
    probs[1] = [0.96, 0.04, 0.0, 0.0]  # a trace USPS left of a 1 (12月 read as 2月): review
    assert drop_cap(read(probs)) < 0.9
    probs[1] = [0.99, 0.01, 0.0, 0.0]  # what correct readings leave
    assert drop_cap(read(probs)) >= 0.97


def test_an_era_is_as_sure_as_the_grammar_makes_it_and_digits_keep_their_own() -> None:
    """令 at 0.63 beside 今 at 0.36: only an era may stand there, so 令 is sure; a 2 at 0.63 beside
    a 7 stays at 0.63, since any digit may stand where a digit does."""
    text = "令和5年1月2日"
    labels = ("", "令", "今", "和", "5", "年", "1", "月", "2", "日", "7")
    rows = []
    for ch in text:
        row = np.zeros(len(labels), np.float32)
        if ch == "令":
            row[1], row[2], row[0] = 0.63, 0.36, 0.01
        elif ch == "2":
            row[8], row[10], row[0] = 0.63, 0.36, 0.01
        else:
            row[labels.index(ch)], row[0] = 0.99, 0.01
        rows += [row, np.eye(len(labels), dtype=np.float32)[0]]  # the character, then a blank step
    probs = np.stack(rows)
    chars = tuple(float(probs[2 * k].max()) for k in range(len(text)))
    centers = tuple((2 * k + 0.5) * 10.0 for k in range(len(text)))
    lattice = Lattice(labels, probs, probs.max(axis=1), 10.0)
    rec = Recognized(text, float(np.mean(chars)), min(chars), centers, chars, lattice)
    spec = FieldSpec(name="申請日", type="date", box=(0, 0, 10, 10))
    settled = within_grammar(spec, rec)
    assert settled.text == text
    assert settled.chars[0] > 0.99  # 令
    assert abs(settled.chars[text.index("2")] - 0.63) < 1e-6  # the 2
    assert field_confidence("date", settled) < 0.9  # the doubtful digit still decides


def test_the_engine_reads_as_rapidocr_does_and_keeps_the_steps(engine: Engine) -> None:
    """The engine runs RapidOCR's recognizer itself to keep the per-step probabilities: its reading
    must stay RapidOCR's own (text, per-character probabilities). RapidOCR pads a short line to
    320 × 48 where the engine pads it less (``MIN_RATIO``): there the probabilities differ a little."""
    import cv2
    from rapidocr.ch_ppocr_rec import TextRecInput

    from dxrpa.ocr.engines.rapidocr import INPUT_HEIGHT, RapidOcrEngine

    assert isinstance(engine, RapidOcrEngine)
    long_lines = 0
    for text in ("令和5年10月15日", "東京都千代田区霞が関1丁目", "user39@example.jp", "12"):
        img = cv2.cvtColor(_line(text), cv2.COLOR_GRAY2BGR)
        mine = engine.recognize([img])[0]
        theirs = engine._rec(TextRecInput(img=[img], return_word_box=True))
        assert mine.text == theirs.txts[0]
        same_input = img.shape[1] * INPUT_HEIGHT / img.shape[0] >= 320
        long_lines += same_input
        for a, b in zip(mine.chars, theirs.word_results[0].confs, strict=True):
            assert a == float(b) if same_input else abs(a - float(b)) < 0.02
        assert mine.lattice is not None and mine.lattice.probs.shape[0] == mine.lattice.best.shape[0]
    assert 1 <= long_lines < 4  # both kinds of line were compared
