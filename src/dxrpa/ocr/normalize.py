"""Turn raw OCR text into the value a robot can type: NFKC, look-alike fixes, per-type formats.

Rules are per field type, so a character is only "fixed" where the field type makes the intent
clear (才→オ only in a katakana field; O→0 only in a number). Dates come out as ISO ``YYYY-MM-DD``
from 和暦 (令和/平成/昭和/大正, 元年) or 西暦; postal codes as ``123-4567``; phone numbers in the
national format of the Japanese numbering plan; variant kanji become 常用 (:mod:`dxrpa.ocr.variants`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import phonenumbers

from dxrpa.ocr.variants import to_joyo

# katakana fields: kanji / hiragana / symbols that look like katakana
KATAKANA_FIXES = str.maketrans(
    {
        "才": "オ",
        "力": "カ",
        "八": "ハ",
        "口": "ロ",
        "工": "エ",
        "夕": "タ",
        "卜": "ト",
        "二": "ニ",
        "一": "ー",
        "へ": "ヘ",
        "べ": "ベ",
        "ぺ": "ペ",
        "匕": "ヒ",
        "七": "セ",
        "ㇾ": "レ",
        "千": "チ",
        "−": "ー",
        "-": "ー",
        "―": "ー",
        "‐": "ー",
        "—": "ー",
        "～": "ー",
        "〜": "ー",
        "ｰ": "ー",
        "三": "ミ",
        "り": "リ",
    }
)
# hiragana fields: katakana that look like hiragana
HIRAGANA_FIXES = str.maketrans(
    {"ヘ": "へ", "ベ": "べ", "ペ": "ぺ", "リ": "り", "-": "ー", "−": "ー", "一": "ー"}
)
# digit fields: letters that look like digits
DIGIT_FIXES = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "〇": "0",
        "D": "0",
        "Q": "0",
        "l": "1",
        "I": "1",
        "|": "1",
        "i": "1",
        "!": "1",
        "]": "1",
        "[": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "s": "5",
        "B": "8",
        "b": "6",
        "g": "9",
        "q": "9",
    }
)
DASHES = str.maketrans(
    {"ー": "-", "−": "-", "―": "-", "‐": "-", "—": "-", "–": "-", "~": "-", "〜": "-", "一": "-"}
)

ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "大正": 1911, "明治": 1867}
ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}
#: an era by its first kanji, as forms print them to circle (「明・大・昭・平・令」) and people write them
ERA_KANJI = {"令": "令和", "平": "平成", "昭": "昭和", "大": "大正", "明": "明治"}
ERA_START = {
    "令和": dt.date(2019, 5, 1),
    "平成": dt.date(1989, 1, 8),
    "昭和": dt.date(1926, 12, 25),
    "大正": dt.date(1912, 7, 30),
    "明治": dt.date(1868, 1, 25),
}
ERA_END = {
    "平成": dt.date(2019, 4, 30),
    "昭和": dt.date(1989, 1, 7),
    "大正": dt.date(1926, 12, 24),
    "明治": dt.date(1912, 7, 29),
}
ERA_FIXES = {
    "今和": "令和",
    "冷和": "令和",
    "合和": "令和",
    "令利": "令和",
    "平戌": "平成",
    "平城": "平成",
    "召和": "昭和",
    "照和": "昭和",
    "昭利": "昭和",
    "昭和和": "昭和",
}
PREFECTURES = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
]

_CJK = r"\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff01-\uff60"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_KANJI_DASH = re.compile(r"(?<=[\u30a1-\u30fa])[一\-−―‐](?=[\u30a1-\u30fa\d])")
_DASH_KANJI = re.compile(r"(?<=[\u4e00-\u9fff])[ー\-−―‐—](?=[\u4e00-\u9fff])")
_TRAILING_NOISE = re.compile(r"[\s|｜丨_.,、。・:;'\"`]+$")
_LEADING_NOISE = re.compile(r"^[\s|｜丨_.,、。・:;'\"`]+")


# Small ゃゅょ only follow an い-column kana (きゃ, しゅ, ちょ; katakana also テュ, デュ, フュ);
# small っ never comes last or before a vowel, な/ま/や/ら/わ-row kana or ん. A reading that breaks
# this took a full-size kana for a small one (かずゃ → かずや, まっもと → まつもと).
_I_COLUMN = set("きぎしじちぢにひびぴみりキギシジチヂニヒビピミリ")
_SMALL_YA = {"ゃ": "や", "ゅ": "ゆ", "ょ": "よ", "ャ": "ヤ", "ュ": "ユ", "ョ": "ヨ"}
_SMALL_TSU = {"っ": "つ", "ッ": "ツ"}
_NO_GEMINATE = set(
    "あいうえおなにぬねのまみむめもやゆよらりるれろわをんゃゅょっぁぃぅぇぉ"
    "アイウエオナニヌネノマミムメモヤユヨラリルレロワヲンャュョッァィゥェォー"
)
_JP_SLD = {"ac", "ad", "co", "ed", "go", "gr", "lg", "ne", "or"}  # the two-letter labels under .jp
_LATIN_LOOKALIKES = str.maketrans({"i": "l", "1": "l", "|": "l", "!": "l", "0": "o"})
_CHOME = re.compile(r"(\d)(?:丁目|丁日|丁H|T目|厂目|丁|目|日|H|厂)(?=\d+番)")


def _is_kana(ch: str) -> bool:
    return bool(ch) and "\u3041" <= ch <= "\u30ff"


def fix_small_kana(kana: str) -> str:
    """Small kana where Japanese cannot have them become full size (かずゃ → かずや, ハイッ2 → ハイツ2)."""
    out = list(kana)
    for i, ch in enumerate(out):
        prev = out[i - 1] if i else ""
        nxt = out[i + 1] if i + 1 < len(out) else ""
        if ch in _SMALL_YA and prev not in _I_COLUMN and not (ch == "ュ" and prev in "テデフヴ"):
            out[i] = _SMALL_YA[ch]
        elif ch in _SMALL_TSU and (not _is_kana(nxt) or nxt in _NO_GEMINATE):
            out[i] = _SMALL_TSU[ch]
    return "".join(out)


def fix_jp_domain(email: str) -> str:
    """``.ig.jp`` → ``.lg.jp``: a two-letter label under .jp is one of nine, so a look-alike is fixed."""
    labels = email.split(".")
    if len(labels) >= 3 and labels[-1] == "jp" and len(labels[-2]) == 2 and labels[-2] not in _JP_SLD:
        fixed = labels[-2].translate(_LATIN_LOOKALIKES)
        if fixed in _JP_SLD:
            labels[-2] = fixed
    return ".".join(labels)


def base_text(text: str, *, keep_variants: bool = False) -> str:
    """NFKC, variant kanji → 常用 (unless kept), spaces next to Japanese removed, stray edge marks cut."""
    t = unicodedata.normalize("NFKC", text)
    if not keep_variants:
        t = to_joyo(t)
    t = re.sub(r"\s+", " ", t).strip()
    t = _SPACE_NEAR_CJK.sub("", t)
    t = _TRAILING_NOISE.sub("", t)
    return _LEADING_NOISE.sub("", t)


def unvalued_spaces(text: str) -> frozenset[int]:
    """Positions of the spaces in ``text`` that :func:`base_text` removes (next to Japanese): how
    sure the recognizer is of such a gap says nothing about the value."""
    return frozenset(i for m in _SPACE_NEAR_CJK.finditer(text) for i in range(m.start(), m.end()))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text.translate(DIGIT_FIXES))


def _fix_prefecture(text: str) -> str:
    """One wrong character in a leading prefecture name (東京都 read as 束京都) is fixed."""
    for pref in PREFECTURES:
        head = text[: len(pref)]
        if head == pref:
            return text
    for pref in PREFECTURES:
        head = text[: len(pref)]
        if (
            len(head) == len(pref)
            and sum(a != b for a, b in zip(head, pref, strict=True)) == 1
            and len(pref) >= 3
        ):
            return pref + text[len(pref) :]
    return text


def parse_date(text: str) -> str | None:
    """和暦 or 西暦 → ISO date, or None when it is not a valid date."""
    t = base_text(text).replace(" ", "")
    for wrong, right in ERA_FIXES.items():
        t = t.replace(wrong, right)
    t = re.sub(r"[HEB曰目]$", "日", t)
    t = re.sub(r"(?<=\d)[目]", "日", t)
    m = re.match(
        r"^(令和|平成|昭和|大正|明治|[RHSTM令平昭大明])\.?(元|\d{1,2})[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?$",
        t,
    )
    if m:
        era = ERA_LETTERS.get(m.group(1), ERA_KANJI.get(m.group(1), m.group(1)))
        year_in_era = 1 if m.group(2) == "元" else int(m.group(2))
        if year_in_era < 1:
            return None
        year = ERAS[era] + year_in_era
        try:
            day = dt.date(year, int(m.group(3)), int(m.group(4)))
        except ValueError:
            return None
        if day < ERA_START[era] or (era in ERA_END and day > ERA_END[era]):
            return None
        return day.isoformat()
    m = re.match(r"^(\d{4})[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?$", t)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    m = re.match(r"^(\d{4})(\d{2})(\d{2})$", t)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    return None


def format_phone(text: str) -> str | None:
    """A Japanese number in the national format with hyphens (``0928349911`` → ``092-834-9911``).

    The grouping comes from the Japanese numbering plan (``phonenumbers``), not from where the writer
    put the hyphens; None for a number the plan does not allow (wrong digit count, impossible prefix).
    """
    digits = re.sub(r"\D", "", text)
    try:
        number = phonenumbers.parse(digits, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not digits.startswith("0") or not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def normalize(field_type: str, text: str, *, name: str = "", keep_variants: bool = False) -> str:
    """The normalized value of ``text`` for a field of ``field_type`` (unparseable dates stay as read).

    ``keep_variants`` keeps 異体字・旧字体 as written (names whose 字形 staff want to keep).
    """
    t = base_text(text, keep_variants=keep_variants)
    if not t:
        return ""
    if field_type == "katakana":
        t = t.replace(" ", "")
        return fix_small_kana(unicodedata.normalize("NFKC", t.translate(KATAKANA_FIXES)))
    if field_type == "hiragana":
        return fix_small_kana(t.replace(" ", "").translate(HIRAGANA_FIXES))
    if field_type in ("number", "my_number"):
        return _digits(t.replace("/", "1"))  # a slanted handwritten 1 reads as "/"; no digit field has one
    if field_type == "postal_code":
        d = _digits(t.replace("〒", ""))
        return f"{d[:3]}-{d[3:]}" if len(d) == 7 else d
    if field_type == "phone":
        t = t.replace(" ", "").replace("(", "-").replace(")", "-").translate(DASHES)
        t = re.sub(r"[^\d\-]", lambda m: m.group(0).translate(DIGIT_FIXES), t)
        t = re.sub(r"-+", "-", t).strip("-")
        return format_phone(t) or t
    if field_type == "email":
        t = t.replace(" ", "").replace("＠", "@").replace("。", ".").replace("、", ".").lower()
        return fix_jp_domain(re.sub(r"\.ip$", ".jp", t))
    if field_type == "date":
        return parse_date(t) or t
    t = _KANJI_DASH.sub("ー", t)  # 一 (kanji one) between katakana is the long-vowel mark
    t = _DASH_KANJI.sub("一", t)  # and a long-vowel mark or dash between kanji is 一
    t = fix_small_kana(t)
    if field_type == "text" and ("住所" in name or "所在" in name):
        t = _CHOME.sub(r"\1丁目", t)  # 丁目 is never written half, nor as 日 or H
        return _fix_prefecture(t)
    return t
