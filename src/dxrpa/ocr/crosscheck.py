"""Checks across the fields of one form: 町字 master, postal code ↔ address, フリガナ ↔ 氏名.

A field passes its own type's grammar in :mod:`dxrpa.ocr.validate`; here the fields are compared with
each other and with the city's data, so a value that is well-formed but contradicts the rest of the
form (a real postal code of another town, a 町字 the city does not have) is never auto-accepted.
"""

from __future__ import annotations

import re

from dxrpa.i18n import tr
from dxrpa.model.form import FieldResult, FieldSpec
from dxrpa.ocr.postal import address_matches, postal_areas
from dxrpa.ocr.reading import one_short, settle, settle_known
from dxrpa.ocr.template import Template
from dxrpa.ocr.validate import check, judge

NAME_FIELDS = ("氏名", "名前", "申請者氏名")
#: how a template names the reading of another field: that field's name and one of these
_READING_SUFFIX = re.compile(r"[\s_・]*[（(]?(?:フリガナ|ふりがな|よみがな|ヨミガナ|カナ|かな)[）)]?$")
AGREEMENT = 10.0  # how much less likely a kana reading is wrong when the name's reading agrees with it


def _flag(f: FieldResult, reason: str) -> None:
    f.reason = f"{f.reason} / {reason}" if f.reason and f.status == "review" else reason
    f.status = "review"


def address_field(specs: list[FieldSpec]) -> FieldSpec | None:
    """The form's address: the field with a 町字 master, else the text field named 住所 / 所在地."""
    for s in specs:
        if s.master is not None:
            return s
    for s in specs:
        if s.type == "text" and ("住所" in s.name or "所在" in s.name):
            return s
    return None


def _reading_pairs(specs: list[FieldSpec]) -> list[tuple[FieldSpec, str, bool]]:
    """(kana field, the field it reads, whether that was told) for every reading field: told by
    ``reading_of:`` or the shipped name pair (フリガナ ↔ 氏名), or guessed from the kana field's name."""
    names = [s.name for s in specs]
    pairs: list[tuple[FieldSpec, str, bool]] = []
    for s in specs:
        if s.type not in ("katakana", "hiragana"):
            continue
        if s.reading_of is not None:
            pairs.append((s, s.reading_of, True))
        elif s.name in ("フリガナ", "ふりがな"):
            target = next((n for n in NAME_FIELDS if n in names), None)
            if target is not None:
                pairs.append((s, target, True))
        elif (stem := _READING_SUFFIX.sub("", s.name)) != s.name and stem in names:
            pairs.append((s, stem, False))  # 団体名フリガナ reads 団体名, 氏名（カナ） 氏名
    return pairs


def cross_check(template: Template, fields: list[FieldResult], threshold: float) -> None:
    """Correct, confirm or send to review the fields of one form (in place)."""
    specs = template.spec.fields
    by_name = {f.name: f for f in fields}
    for name, master in template.masters.items():
        f = by_name.get(name)
        if f is None or not f.value:
            continue
        match = master.match(f.value)
        if match.corrected:
            f.value = match.value
        if match.reason:
            _flag(f, match.reason)
    address = address_field(specs)
    addr = by_name.get(address.name) if address is not None else None
    for postal in (f for f in fields if f.type == "postal_code" and f.value):
        areas = postal_areas(postal.value) if len(postal.value) == 8 else ()
        if addr is not None and addr.value and areas and not address_matches(areas, addr.value):
            reason = tr(
                "郵便番号と住所（市区町村・町域）が一致しません",
                "postal code and address (市区町村, 町域) do not agree",
            )
            _flag(postal, reason)
            _flag(addr, reason)
    for spec, target, told in _reading_pairs(specs):
        kana, kanji = by_name.get(spec.name), by_name.get(target)
        if kana is None or kanji is None or not kana.value or not kanji.value:
            continue
        settled, agrees = settle(kana.value, kanji.value)
        partly = None if agrees else settle_known(kana.value, kanji.value)
        if not agrees and partly is None:
            # a kana the recognizer dropped (サトウ → サト); only where the pair is told: a name has
            # other readings than the dictionary's (滉大郎 is コウタロウ to its owner, コウダイロウ to it)
            if told and one_short(kana.value, kanji.value):
                _flag(
                    kana,
                    tr(f"{target} の読みより 1 文字少ない", f"one kana shorter than the reading of {target}"),
                )
            continue
        settled = partly or settled
        if settled != kana.value:
            if kana.confidence >= threshold:
                _flag(
                    kana,
                    tr(
                        f"{target} の読みと濁点・小書き文字が違います",
                        f"濁点 or small kana differ from the reading of {target}",
                    ),
                )
                continue
            kana.value = settled
        if not agrees:  # the parts of the name with no reading (MLism) were checked by nothing
            continue
        # an independent agreement with the reading of the name cuts the remaining doubt tenfold;
        # the threshold still decides (a city that reviews everything keeps reviewing everything)
        kana.confidence = round(1 - (1 - kana.confidence) / AGREEMENT, 4)
        kana.reason = judge(
            check(spec, kana.value, template.dictionaries.get(spec.name)), kana.confidence, threshold
        )
        kana.status = "review" if kana.reason else "ok"
