"""Field-type rules: 和暦 (元年, era bounds), 西暦, katakana look-alikes, phone, postal code, My Number."""

from __future__ import annotations

import pytest

from dxrpa.demo.scans import my_number_check
from dxrpa.model.form import FieldSpec
from dxrpa.ocr.normalize import normalize, parse_date
from dxrpa.ocr.validate import check


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("令和6年4月1日", "2024-04-01"),
        ("令和元年5月1日", "2019-05-01"),
        ("平成元年1月8日", "1989-01-08"),
        ("平成31年4月30日", "2019-04-30"),
        ("昭和64年1月7日", "1989-01-07"),
        ("昭和55年12月3日", "1980-12-03"),
        ("R6.4.1", "2024-04-01"),
        ("Ｈ３１．４．３０", "2019-04-30"),
        ("2024年4月1日", "2024-04-01"),
        ("2024/04/01", "2024-04-01"),
        ("今和5年6月14日", "2023-06-14"),  # OCR look-alike of 令
        ("令和5年6月14H", "2023-06-14"),  # 日 read as H
        ("令 和 ２ 年 ２ 月 ２１ 日", "2020-02-21"),
    ],
)
def test_dates_to_iso(text: str, iso: str) -> None:
    assert parse_date(text) == iso
    assert normalize("date", text) == iso


@pytest.mark.parametrize(
    "text", ["令和元年4月30日", "平成31年5月1日", "昭和64年1月8日", "令和6年2月30日", "あいう"]
)
def test_impossible_dates_are_refused(text: str) -> None:
    assert parse_date(text) is None
    assert check(FieldSpec(name="d", type="date", box=(0, 0, 1, 1)), normalize("date", text)) != ""


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ヤマダ 夕口ウ", "ヤマダタロウ"),
        ("才才力ワ", "オオカワ"),
        ("八シモト", "ハシモト"),
        ("工ミ", "エミ"),
        ("ｻﾄｳ ﾀﾛｳ", "サトウタロウ"),
        ("ル一シ一", "ルーシー"),
        ("へイワ", "ヘイワ"),
    ],
)
def test_katakana_look_alikes(text: str, value: str) -> None:
    assert normalize("katakana", text) == value
    assert check(FieldSpec(name="k", type="katakana", box=(0, 0, 1, 1)), value) == ""


def test_look_alikes_only_fixed_in_katakana_fields() -> None:
    assert normalize("text", "八王子市") == "八王子市"
    assert normalize("text", "力石") == "力石"


def test_old_and_simplified_kanji_and_spacing() -> None:
    assert normalize("text", "髙橋 﨑子") == "高橋崎子"
    assert normalize("text", "齋藤　一郎") == "斎藤一郎"
    assert normalize("text", "东京都", name="住所") == "東京都"
    assert normalize("text", "束京都千代田区 霞が関1丁目", name="住所") == "東京都千代田区霞が関1丁目"
    assert normalize("text", "中央9目27番16号", name="住所") == "中央9丁目27番16号"
    assert normalize("text", "山田太郎 |") == "山田太郎"  # trailing noise


@pytest.mark.parametrize(
    ("text", "value", "ok"),
    [
        ("090ー1234ー5678", "090-1234-5678", True),
        ("03-1234-5678", "03-1234-5678", True),
        ("０３（１２３４）５６７８", "03-1234-5678", True),
        ("O9O-l234-5678", "090-1234-5678", True),
        ("12-34", "12-34", False),
    ],
)
def test_phone(text: str, value: str, ok: bool) -> None:
    assert normalize("phone", text) == value
    assert (check(FieldSpec(name="p", type="phone", box=(0, 0, 1, 1)), value) == "") is ok


@pytest.mark.parametrize(
    ("text", "value", "ok"),
    [
        ("〒100-0013", "100-0013", True),
        ("1600023", "160-0023", True),
        ("１００－００１３", "100-0013", True),
        ("123-456", "123456", False),
        ("123-4567", "123-4567", False),  # seven digits, but Japan Post has no such code
    ],
)
def test_postal_code(text: str, value: str, ok: bool) -> None:
    assert normalize("postal_code", text) == value
    assert (check(FieldSpec(name="z", type="postal_code", box=(0, 0, 1, 1)), value) == "") is ok


def test_my_number_check_digit() -> None:
    spec = FieldSpec(name="個人番号", type="my_number", box=(0, 0, 1, 1))
    body = "12345678901"
    good = body + my_number_check(body)
    bad = body + str((int(my_number_check(body)) + 1) % 10)
    assert check(spec, normalize("my_number", good)) == ""
    assert check(spec, normalize("my_number", f"{good[:4]} {good[4:8]} {good[8:]}")) == ""
    assert "チェックデジット" in check(spec, bad)
    assert check(spec, "123") != ""


def test_number_rules_and_required() -> None:
    copies = FieldSpec(name="必要部数", type="number", box=(0, 0, 1, 1), min=1, max=10, required=True)
    assert normalize("number", "l0") == "10"
    assert check(copies, "10") == ""
    assert check(copies, "11") != ""
    assert check(copies, "0") != ""
    assert "必須" in check(copies, "")
    six = FieldSpec(name="受付番号", type="number", box=(0, 0, 1, 1), digits=6)
    assert check(six, "123456") == ""
    assert check(six, "12345") != ""


def test_regex_allowed_email_hiragana() -> None:
    spec = FieldSpec(name="x", type="text", box=(0, 0, 1, 1), regex=r"[A-Z]\d{3}", allowed=["A123", "B456"])
    assert check(spec, "A123") == ""
    assert check(spec, "C789") != ""
    assert check(spec, "a12") != ""
    mail = FieldSpec(name="m", type="email", box=(0, 0, 1, 1))
    assert normalize("email", "Sato 12＠Example.ip") == "sato12@example.jp"
    assert check(mail, "sato12@example.jp") == ""
    assert check(mail, "sato12example.jp") != ""
    kana = FieldSpec(name="h", type="hiragana", box=(0, 0, 1, 1))
    assert normalize("hiragana", "やまだ たろう") == "やまだたろう"
    assert check(kana, "やまだたろう") == ""
    assert check(kana, "ヤマダ") != ""


@pytest.mark.parametrize(
    ("field_type", "text", "value"),
    [
        ("hiragana", "かとうかずゃ", "かとうかずや"),  # small ゃ only after an い-column kana
        ("hiragana", "まっもとゆみ", "まつもとゆみ"),  # no small っ before ま
        ("hiragana", "きょうこ", "きょうこ"),
        ("hiragana", "はっとり", "はっとり"),
        ("katakana", "タナカョウコ", "タナカヨウコ"),
        ("katakana", "デュボア", "デュボア"),
        ("text", "グリーンハイッ203", "グリーンハイツ203"),  # no small ッ before a digit
        ("text", "北ー条西", "北一条西"),  # a long-vowel mark between kanji is 一
        ("text", "コ一ポ桜", "コーポ桜"),
        ("email", "user5@city.example.Ig.jp", "user5@city.example.lg.jp"),  # .jp has nine two-letter labels
        ("email", "a@b.c0.jp", "a@b.co.jp"),
        ("email", "a@b.xy.jp", "a@b.xy.jp"),
    ],
)
def test_kana_and_domain_rules(field_type: str, text: str, value: str) -> None:
    assert normalize(field_type, text) == value


@pytest.mark.parametrize("text", ["新宿8H24番7号", "新宿1厂目15番18号", "新宿9日18番19号", "新宿2目9番"])
def test_chome_misreadings_in_addresses(text: str) -> None:
    assert "丁目" in normalize("text", text, name="住所")
    assert "丁目" not in normalize("text", text, name="氏名")


def test_email_needs_a_real_top_level_domain() -> None:
    mail = FieldSpec(name="m", type="email", box=(0, 0, 1, 1))
    assert check(mail, "user7@example.p") != ""
