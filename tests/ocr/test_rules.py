"""Field-type rules and cross-checks that need no OCR model: variant glyphs, the Japanese numbering
plan, Japan Post postal codes, the 町字 master and フリガナ ↔ 氏名."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dxrpa.errors import DefinitionError
from dxrpa.model.form import FieldResult, FieldSpec, FormResult
from dxrpa.ocr.address import AddressMaster
from dxrpa.ocr.crosscheck import cross_check
from dxrpa.ocr.engines.base import Recognized
from dxrpa.ocr.export import write_results
from dxrpa.ocr.normalize import normalize
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.reading import settle, settle_known
from dxrpa.ocr.template import Template, load_template
from dxrpa.ocr.validate import check

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "ocr" / "templates"
PHONE = FieldSpec(name="電話番号", type="phone", box=(0, 0, 1, 1))
POSTAL = FieldSpec(name="郵便番号", type="postal_code", box=(0, 0, 1, 1))
MASTER_TEXT = (
    "都道府県,市区町村,町字\n福岡県,福岡市中央区,天神\n福岡県,福岡市中央区,今泉\n福岡県,福岡市中央区,今川\n"
)


@pytest.mark.parametrize(
    ("read", "joyo"),
    [
        ("記錄", "記録"),
        ("產業", "産業"),
        ("渡邊", "渡辺"),
        ("东京", "東京"),
        ("國學院", "国学院"),
        ("髙﨑", "高崎"),
    ],
)
def test_variant_glyphs_become_joyo_from_the_tables(read: str, joyo: str) -> None:
    assert normalize("text", read) == joyo


def test_variants_without_one_joyo_form_stay_as_read() -> None:
    assert normalize("text", "发") == "发"  # 発 or 髪: the tables do not say which
    assert normalize("text", "渡邉") == "渡邉"  # a JIS X 0208 name character, not a misread


def test_names_can_keep_their_glyphs() -> None:
    assert normalize("text", "渡邊 錄", keep_variants=True) == "渡邊錄"
    assert normalize("text", "渡邊 錄") == "渡辺録"


@pytest.mark.parametrize(
    ("read", "value", "ok"),
    [
        ("092-834-991", "092-834-991", False),  # nine digits: was auto-accepted
        ("092-834-99111", "092-834-99111", False),  # a doubled digit
        ("0928349911", "092-834-9911", True),
        ("0928-34-9911", "092-834-9911", True),  # hyphens where the numbering plan puts them
        ("090 1234 5678", "090-1234-5678", True),
        ("0120-123-456", "0120-123-456", True),
        ("010-1234-5678", "010-1234-5678", False),  # 010 is the international prefix
    ],
)
def test_phone_numbers_follow_the_numbering_plan(read: str, value: str, ok: bool) -> None:
    assert normalize("phone", read) == value
    assert (check(PHONE, value) == "") is ok


def test_postal_codes_are_japan_post_codes() -> None:
    assert check(POSTAL, "810-0001") == ""
    assert "日本郵便" in check(POSTAL, "999-9999") or "Japan Post" in check(POSTAL, "999-9999")
    # a reviewer may confirm a code newer than the shipped data, but not a malformed one
    assert check(POSTAL, "999-9999", reference_data=False) == ""
    assert check(POSTAL, "999-999", reference_data=False) != ""


def _master(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / "machiaza.csv"
    path.write_bytes(body)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_master_reads_utf8_bom_and_cp932(tmp_path: Path, encoding: str) -> None:
    master = AddressMaster.load(_master(tmp_path, MASTER_TEXT.encode(encoding)))
    assert [t.town for t in master.towns] == ["天神", "今泉", "今川"]


def test_master_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = _master(tmp_path, MASTER_TEXT.encode("utf-8") + "福岡県,福岡市中央区\n".encode())
    with pytest.raises(DefinitionError) as err:
        AddressMaster.load(bad)
    assert f"{bad}:5" in str(err.value)
    undecodable = _master(tmp_path, MASTER_TEXT.encode("utf-8") + b"\xff\xfe\xfa\n")
    with pytest.raises(DefinitionError) as err:
        AddressMaster.load(undecodable)
    assert f"{undecodable}:5" in str(err.value)
    with pytest.raises(DefinitionError) as err:
        AddressMaster.load(_master(tmp_path, "市,町\n".encode()))
    assert ":1" in str(err.value)
    with pytest.raises(DefinitionError) as err:
        AddressMaster.load(tmp_path / "missing.csv")
    assert "missing.csv" in str(err.value)


#: the header of the Digital Agency's アドレス・ベース・レジストリ 町字マスター as published (mt_town_*.csv)
ABR_HEADER = (
    "lg_code,machiaza_id,machiaza_type,pref,pref_kana,pref_roma,county,county_kana,county_roma,city,city_kana,"
    "city_roma,ward,ward_kana,ward_roma,oaza_cho,oaza_cho_kana,oaza_cho_roma,chome,chome_kana,chome_number,koaza,"
    "koaza_kana,koaza_roma,machiaza_dist,rsdt_addr_flg,rsdt_addr_mtd_code,oaza_cho_aka_flg,koaza_aka_code,"
    "oaza_cho_gsi_uncmn,koaza_gsi_uncmn,status_flg,wake_num_flg,efct_date,ablt_date,src_code,post_code,remarks"
)


def _abr_row(county: str, city: str, ward: str, town: str, chome: str, abolished: str = "") -> str:
    cells = [""] * len(ABR_HEADER.split(","))
    cells[:4] = ["011011", "0001001", "2", "北海道"]
    for k, value in zip((6, 9, 12, 15, 18, 34), (county, city, ward, town, chome, abolished), strict=True):
        cells[k] = value
    return ",".join(cells)


def test_the_digital_agencys_town_master_is_read_as_it_is_published(tmp_path: Path) -> None:
    """A city's own rows of the 町字マスター (cp932, as a spreadsheet saves it): one 町字 per 大字・町,
    its 丁目 rows folded in, 郡 and 政令市の区 in the 市区町村, abolished rows left out."""
    rows = [
        ABR_HEADER,
        _abr_row("", "札幌市", "中央区", "旭ケ丘", "１丁目"),
        _abr_row("", "札幌市", "中央区", "旭ケ丘", "２丁目"),
        _abr_row("", "札幌市", "中央区", "北一条西", "２丁目"),
        _abr_row("", "札幌市", "中央区", "大通西", "", abolished="1989-11-06"),
        _abr_row("上川郡", "東神楽町", "", "ひじり野北一条", "１丁目"),
    ]
    master = AddressMaster.load(_master(tmp_path, ("\r\n".join(rows) + "\r\n").encode("cp932")))
    assert [(t.city, t.town) for t in master.towns] == [
        ("札幌市中央区", "旭ケ丘"),
        ("札幌市中央区", "北一条西"),
        ("上川郡東神楽町", "ひじり野北一条"),
    ]
    assert master.match("北海道札幌市中央区旭ケ丘2丁目3番1号").reason == ""
    fixed = master.match("北海道札幌市中央区北一条两2丁目")  # 西 read as 两
    assert fixed.corrected and fixed.value == "北海道札幌市中央区北一条西2丁目"
    assert master.match("北海道札幌市中央区大通西1丁目").reason  # abolished: not a 町字 of the city
    short = _master(tmp_path, (ABR_HEADER + "\n011011,0001001\n").encode())
    with pytest.raises(DefinitionError) as err:
        AddressMaster.load(short)
    assert f"{short}:2" in str(err.value)


def test_master_corrects_the_nearest_town_and_sends_ties_to_review(tmp_path: Path) -> None:
    master = AddressMaster.load(_master(tmp_path, MASTER_TEXT.encode()))
    assert master.match("福岡県福岡市中央区天神1丁目8番1号").reason == ""
    fixed = master.match("福岡県福周市中央区天神1丁目8番1号")  # 岡 read as 周
    assert fixed.corrected and fixed.value == "福岡県福岡市中央区天神1丁目8番1号"
    tie = master.match("福岡県福岡市中央区今山2丁目1番")  # 今泉 or 今川
    assert tie.reason and tie.value == "福岡県福岡市中央区今山2丁目1番"
    assert master.match("福岡県福岡市中央区大名2丁目1番").reason  # the city has no such 町字
    assert master.match("東京都新宿区西新宿2丁目8番1号").reason == ""  # another city: not constrained


def test_a_missing_master_is_reported_at_the_template_line(tmp_path: Path) -> None:
    shutil.copy(TEMPLATES / "juminhyo.png", tmp_path / "juminhyo.png")
    (tmp_path / "juminhyo.yaml").write_text(
        (TEMPLATES / "juminhyo.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(DefinitionError) as err:
        load_template(tmp_path / "juminhyo.yaml")
    assert "machiaza.csv" in str(err.value) and "juminhyo.yaml:" in str(err.value)


@pytest.mark.parametrize(
    ("kana", "name", "settled", "agrees"),
    [
        ("タナカユウコ", "田中優子", "タナカユウコ", True),
        ("テナカユウコ", "田中優子", "テナカユウコ", False),  # not a 濁点 question: nothing settled
        ("ヤマタタロウ", "山田太郎", "ヤマダタロウ", True),  # テ/デ-like doubt settled by the reading
        ("さとうけんだ", "佐藤健太", "さとうけんた", True),
    ],
)
def test_furigana_is_settled_by_the_reading_of_the_name(
    kana: str, name: str, settled: str, agrees: bool
) -> None:
    assert settle(kana, name) == (settled, agrees)


@pytest.mark.parametrize(
    ("kana", "name", "settled"),
    [
        ("エムリズムカプシキガイシャ", "MLism株式会社", "エムリズムカブシキガイシャ"),  # the real form's
        ("カブシキガイシャエヌティティトコモ", "株式会社NTTドコモ", "カブシキガイシャエヌティティドコモ"),
        ("エムリズムユウゲンガイシャ", "MLism株式会社", None),  # 有限会社 is no 濁点 question
        ("ヤマダタロウ", "山田太郎", None),  # every part has a reading: settle() decides
        ("エービーシー", "ABC", None),  # nothing with a reading
    ],
)
def test_the_parts_of_a_name_with_a_reading_settle_its_kana(
    kana: str, name: str, settled: str | None
) -> None:
    assert settle_known(kana, name) == settled


def test_a_reading_field_is_paired_with_the_field_its_name_starts_with() -> None:
    """The real form's 団体名フリガナ is the reading of 団体名: named so, with no ``reading_of:``."""
    template = load_template(Path(__file__).parents[2] / "bench/data/forms/shisetsu/shisetsu.yaml")
    fields = [
        FieldResult(name=f.name, type=f.type, value="", confidence=1.0, status="ok")
        for f in template.spec.fields
    ]
    by = _by_name(fields)
    by["団体名"].value, by["団体名"].confidence = "MLism株式会社", 0.99
    by["団体名フリガナ"].value, by["団体名フリガナ"].confidence = "エムリズムカプシキガイシャ", 0.6
    by["団体名フリガナ"].status = "review"
    by["代表者"].value, by["代表者"].confidence = "木之下滉大郎", 0.99
    by["代表者フリガナ"].value, by["代表者フリガナ"].confidence = "キノシタコウタロウ", 0.99
    cross_check(template, fields, 0.9)
    assert by["団体名フリガナ"].value == "エムリズムカブシキガイシャ"
    assert by["団体名フリガナ"].status == "review"  # MLism's reading was checked by nothing
    # the dictionary reads 滉大郎 コウダイロウ, one kana more: no dropped kana where the pair is a guess
    assert by["代表者フリガナ"].status == "ok", by["代表者フリガナ"].reason


def _form(**values: tuple[str, float]) -> list[FieldResult]:
    spec = load_template(TEMPLATES / "juminhyo.yaml").spec
    out = []
    for f in spec.fields:
        value, conf = values.get(f.name, ("", 1.0))
        out.append(FieldResult(name=f.name, type=f.type, value=value, confidence=conf, status="ok"))
    return out


def _by_name(fields: list[FieldResult]) -> dict[str, FieldResult]:
    return {f.name: f for f in fields}


def test_cross_checks_on_the_shipped_template() -> None:
    template: Template = load_template(TEMPLATES / "juminhyo.yaml")
    fields = _form(
        郵便番号=("810-0001", 0.99),
        住所=("福岡県福周市中央区天神1丁目8番1号", 0.99),
        氏名=("山田太郎", 0.99),
        フリガナ=("ヤマタタロウ", 0.6),
    )
    cross_check(template, fields, 0.9)
    f = _by_name(fields)
    assert f["住所"].value == "福岡県福岡市中央区天神1丁目8番1号" and f["住所"].status == "ok"
    assert f["郵便番号"].status == "ok"
    assert f["フリガナ"].value == "ヤマダタロウ" and f["フリガナ"].status == "ok"
    assert f["フリガナ"].confidence == pytest.approx(0.96)  # 0.6, with a tenth of its doubt left

    fields = _form(氏名=("山田太郎", 0.99), フリガナ=("ヤマダタロウ", 0.6))
    cross_check(template, fields, 1.01)  # a city that reviews everything
    assert _by_name(fields)["フリガナ"].status == "review"

    fields = _form(
        郵便番号=("100-0013", 0.99),  # 霞が関, 千代田区
        住所=("福岡県福岡市中央区天神1丁目8番1号", 0.99),
        氏名=("山田太郎", 0.99),
        フリガナ=("ヤマタタロウ", 0.99),  # confident, yet the reading says ダ
    )
    cross_check(template, fields, 0.9)
    f = _by_name(fields)
    assert f["郵便番号"].status == "review" and f["住所"].status == "review"
    assert f["フリガナ"].status == "review" and f["フリガナ"].value == "ヤマタタロウ"


def test_a_misread_place_name_is_fixed_by_variants_and_the_master(tmp_path: Path) -> None:
    body = "都道府県,市区町村,町字\n福岡県,福岡市西区,姪浜\n福岡県,福岡市西区,愛宕\n"
    master = AddressMaster.load(_master(tmp_path, body.encode("cp932")))
    read = normalize("text", "福岡県福岡市西区经浜1丁目2番3号", name="住所")  # 姪 read as 经 (→ 経)
    match = master.match(read)
    assert match.corrected and match.value == "福岡県福岡市西区姪浜1丁目2番3号"


def test_template_options_are_checked() -> None:
    from pydantic import ValidationError

    from dxrpa.model.form import FormTemplate

    with pytest.raises(ValidationError, match="reading_of"):
        FormTemplate(
            name="t",
            image="t.png",
            page={"width": 10, "height": 10},
            fields=[FieldSpec(name="カナ", type="katakana", box=(0, 0, 1, 1), reading_of="氏名")],
        )
    with pytest.raises(ValidationError, match="master"):
        FieldSpec(name="電話", type="phone", box=(0, 0, 1, 1), master="m.csv")


def test_raw_reading_is_kept_beside_the_value(reader: FormReader, tmp_path: Path) -> None:
    name = FieldSpec(name="氏名", type="text", box=(0, 0, 1, 1))
    kept = FieldSpec(name="氏名", type="text", box=(0, 0, 1, 1), keep_variants=True)
    plain = reader._finish(name, Recognized("渡邊 錄", 0.99, 0.99), False, None)
    assert (plain.value, plain.raw) == ("渡辺録", "渡邊錄")
    as_written = reader._finish(kept, Recognized("渡邊 錄", 0.99, 0.99), False, None)
    assert (as_written.value, as_written.raw) == ("渡邊錄", "")
    out = write_results(
        tmp_path / "r.json", reader.template.spec, [FormResult(source_file="a.png", fields=[plain])]
    )
    assert json.loads(out.read_text(encoding="utf-8"))["forms"][0]["fields"][0]["raw"] == "渡邊錄"


def test_a_dropped_kana_is_sent_to_review() -> None:
    template: Template = load_template(TEMPLATES / "juminhyo.yaml")
    fields = _form(氏名=("佐藤健太", 0.99), フリガナ=("サトケンタ", 0.99))  # the ウ of サトウ dropped
    cross_check(template, fields, 0.9)
    assert _by_name(fields)["フリガナ"].status == "review"
    fields = _form(氏名=("陽菜", 0.99), フリガナ=("ヒナ", 0.95))  # a reading the dictionary does not know
    cross_check(template, fields, 0.9)
    assert _by_name(fields)["フリガナ"].status == "ok"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_dictionaries_read_cp932_and_bom_and_name_the_bad_line(tmp_path: Path, encoding: str) -> None:
    shutil.copy(TEMPLATES / "juminhyo.png", tmp_path / "juminhyo.png")
    shutil.copy(TEMPLATES / "machiaza.csv", tmp_path / "machiaza.csv")
    text = (TEMPLATES / "juminhyo.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "- name: 氏名\n  type: text\n", "- name: 氏名\n  type: text\n  dictionary: names.txt\n"
    )
    (tmp_path / "juminhyo.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "names.txt").write_bytes("山田太郎\n佐藤花子\n".encode(encoding))
    assert load_template(tmp_path / "juminhyo.yaml").dictionaries["氏名"] == {"山田太郎", "佐藤花子"}
    (tmp_path / "names.txt").write_bytes("山田太郎\n".encode() + b"\x80\xff\n")
    with pytest.raises(DefinitionError) as err:
        load_template(tmp_path / "juminhyo.yaml")
    assert f"{tmp_path / 'names.txt'}:2" in str(err.value)
