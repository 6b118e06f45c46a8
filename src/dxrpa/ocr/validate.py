"""Check a normalized value against its field's type and rules; an empty reason means valid."""

from __future__ import annotations

import re

from dxrpa.i18n import tr
from dxrpa.log import is_my_number
from dxrpa.model.form import FieldSpec
from dxrpa.ocr.normalize import format_phone, parse_date
from dxrpa.ocr.postal import postal_areas

_KATAKANA = re.compile(r"^[\u30a0-\u30ffー・]+$")
_HIRAGANA = re.compile(r"^[\u3041-\u309fー・]+$")
_EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$")
_PHONE = re.compile(r"^0\d{1,4}-\d{1,4}-\d{3,4}$")
_POSTAL = re.compile(r"^\d{3}-\d{4}$")
#: a block number that lost a character: 丁目 not after a numeral, two markers in a row
#: (「16番4号」 read as 「6番号」, 「1丁目」 as 「丁目」), or 丁 after a digit without its 目
_MISSING_NUMBER = re.compile(
    r"(?<![0-9０-９一二三四五六七八九十])丁目|(丁目|番地|番|号)(番地|番|号)|(?<=[0-9])丁(?!目)"
)
_NOT_IN_ADDRESS = re.compile(r"[/|\\!?<>]")  # no address has these; a misread digit ("/3番" for 13番) has
#: a block number with a letter in it (「4丁目a0番」: a handwritten 2 read as a): 丁目, 番 and 号 count
#: in digits; a room or building (「B201号室」, 「A1号棟」) may mix them
_LETTER_IN_NUMBER = re.compile(r"(?:[A-Za-z]+[0-9]|[0-9]+[A-Za-z])[0-9A-Za-z]*(?=丁目|番|号(?![室棟館]))")


#: 丁目 read as one character (「9目27番」, 「2丁19番」): normalization restores 丁目, but the lost
#: character may have become a digit next to it (「2丁目19番」 read as 「2丁119番」), so it is a guess
_HALF_CHOME = re.compile(r"\d(?:丁|目|日|H|厂)(?=\d+番)")


_BLOCK_MARKER = re.compile(r"丁目|番地|番|号")
_NUMERAL = re.compile(r"[0-9０-９一二三四五六七八九十〇]")


def missing_block_numbers(text: str) -> list[int]:
    """Where in an address reading a block number is missing: the index of each 丁目, 番(地) or 号
    with no number in front of it (「中央丁目2番号」 → the 丁 and the 号)."""
    out = []
    for m in _BLOCK_MARKER.finditer(text):
        before = text[: m.start()].rstrip()
        if not before or _NUMERAL.match(before[-1]):
            continue
        if m.group() != "丁目" and not _BLOCK_MARKER.search(before[-2:]):
            continue  # 番 or 号 after something else (番町, 号棟) is a name, not a block number
        out.append(m.start())
    return out


def inferred_block_number(inferred: bool) -> str:
    """Why an address whose block number the recognizer did not read, and :func:`dxrpa.ocr.ctc.insert`
    inferred from its weaker readings, needs a person ('' if nothing was inferred)."""
    if inferred:
        return tr(
            "丁目・番・号の数字が読めず、推定で補いました",
            "a block number (丁目・番・号) was not read and was inferred",
        )
    return ""


def guessed_block_marker(text: str) -> str:
    """Why an address reading whose 丁目 was restored from one character needs a person ('' if not)."""
    if _HALF_CHOME.search(text.replace(" ", "")):
        return tr("「丁目」が 1 文字しか読めず補いました", "丁目 was restored from a single character")
    return ""


def is_address(spec: FieldSpec) -> bool:
    return spec.type == "text" and (spec.master is not None or "住所" in spec.name or "所在" in spec.name)


def _number(spec: FieldSpec, value: str) -> str:
    if not value.isdigit():
        return tr("数字ではありません", "not a number")
    if spec.digits is not None and len(value) != spec.digits:
        return tr(f"{spec.digits} 桁ではありません", f"not {spec.digits} digits")
    if spec.min is not None and int(value) < spec.min:
        return tr(f"{spec.min:g} 未満です", f"less than {spec.min:g}")
    if spec.max is not None and int(value) > spec.max:
        return tr(f"{spec.max:g} を超えています", f"more than {spec.max:g}")
    return ""


def _postal_code(value: str, reference_data: bool) -> str:
    if not _POSTAL.match(value):
        return tr("郵便番号（7桁）ではありません", "not a 7-digit postal code")
    if reference_data and not postal_areas(value):
        return tr("日本郵便のデータにない郵便番号です", "not a postal code in Japan Post's data")
    return ""


def _address(value: str) -> str:
    if _MISSING_NUMBER.search(value):
        return tr("丁目・番・号の数字が抜けています", "a block number (丁目・番・号) has no number")
    if _NOT_IN_ADDRESS.search(value):
        return tr("住所に使わない記号があります", "a sign no address has (a misread digit?)")
    if _LETTER_IN_NUMBER.search(value):
        return tr("丁目・番・号の数字に文字が混じっています", "a block number (丁目・番・号) has a letter")
    return ""


def _grammar(spec: FieldSpec, value: str, reference_data: bool) -> str:
    """The field type's own rule (katakana, digits, date, phone, postal code, …)."""
    t = spec.type
    if t == "katakana" and not _KATAKANA.match(value):
        return tr("カタカナ以外の文字があります", "contains characters other than katakana")
    if t == "hiragana" and not _HIRAGANA.match(value):
        return tr("ひらがな以外の文字があります", "contains characters other than hiragana")
    if t == "number":
        return _number(spec, value)
    if t == "date" and parse_date(value) is None:
        return tr("日付として読めません", "not a valid date")
    if t == "phone" and not (_PHONE.match(value) and format_phone(value) == value):
        return tr(
            "日本の電話番号としてあり得ません（桁数・番号）",
            "not a possible Japanese phone number (digits or prefix)",
        )
    if t == "postal_code":
        return _postal_code(value, reference_data)
    if t == "email" and not _EMAIL.match(value):
        return tr("メールアドレスの形式ではありません", "not an email address")
    if t == "my_number" and not is_my_number(value):
        return tr("個人番号のチェックデジットが合いません", "My Number check digit does not match")
    if is_address(spec):
        return _address(value)
    if t == "choice" and value not in [o.value for o in spec.options]:
        return tr("選択肢が一つに決まりません", "not exactly one option is ticked")
    return ""


def check(
    spec: FieldSpec, value: str, dictionary: set[str] | None = None, *, reference_data: bool = True
) -> str:
    """Why ``value`` is not acceptable for ``spec`` ('' when it is).

    ``reference_data=False`` skips the look-ups in shipped reference data (Japan Post's codes): a
    reviewer who typed a code newer than the package's data has the last word.
    """
    if value == "" or (spec.type == "checkbox" and value == "false"):
        if spec.required and spec.type != "checkbox":
            return tr("必須項目が空です", "required field is empty")
        return ""
    reason = _grammar(spec, value, reference_data)
    if reason:
        return reason
    if spec.regex and not re.fullmatch(spec.regex, value):
        return tr(f"形式 {spec.regex} に合いません", f"does not match {spec.regex}")
    if spec.allowed and value not in spec.allowed:
        return tr("許可された値ではありません", "not one of the allowed values")
    if dictionary is not None and value not in dictionary:
        return tr("辞書にない値です", "not in the dictionary")
    return ""


def judge(reason: str, confidence: float, threshold: float) -> str:
    """The review reason of a field: its rule or cross-check failure, else low confidence, else ''."""
    if reason:
        return reason
    if confidence < threshold:
        return tr(f"確信度が低い（{confidence:.2f}）", f"low confidence ({confidence:.2f})")
    return ""
