"""Server-side checks of the entry form, with the messages a city's system would show."""

from __future__ import annotations

import re
from datetime import date

KINDS = ("住民票の写し", "住民票記載事項証明書")
PURPOSES = ("年金手続", "就職", "その他")

_UKETSUKE = re.compile(r"\d{6}")
_KATAKANA = re.compile(r"[ァ-ヶー・　 ]+")
_POSTAL = re.compile(r"\d{3}-\d{4}")
_PHONE = re.compile(r"0\d{1,4}-?\d{1,4}-?\d{3,4}")

DUPLICATE_MESSAGE = "この受付番号は既に登録されています"

Errors = dict[str, str]


def check_applicant(v: dict[str, str]) -> Errors:
    """Step 1 (申請者). Keys: uketsuke_no, name, kana, birth_date, postal_code, address, phone."""
    e: Errors = {}
    if not _UKETSUKE.fullmatch(v.get("uketsuke_no", "")):
        e["uketsuke_no"] = "受付番号は6桁の数字で入力してください"
    name = v.get("name", "")
    if not name:
        e["name"] = "氏名を入力してください"
    elif len(name) > 50:
        e["name"] = "氏名は50文字以内で入力してください"
    kana = v.get("kana", "")
    if not kana:
        e["kana"] = "フリガナを入力してください"
    elif not _KATAKANA.fullmatch(kana):
        e["kana"] = "フリガナは全角カタカナで入力してください"
    birth = v.get("birth_date", "")
    try:
        born = date.fromisoformat(birth)
        if born > date.today() or born.year < 1900:
            e["birth_date"] = "生年月日が正しくありません"
    except ValueError:
        e["birth_date"] = "生年月日を入力してください" if not birth else "生年月日が正しくありません"
    if not _POSTAL.fullmatch(v.get("postal_code", "")):
        e["postal_code"] = "郵便番号は「123-4567」の形式で入力してください"
    if not v.get("address", ""):
        e["address"] = "住所を入力してください"
    phone = v.get("phone", "")
    digits = phone.replace("-", "")
    if not _PHONE.fullmatch(phone) or not 10 <= len(digits) <= 11:
        e["phone"] = "電話番号は「03-1234-5678」のように半角数字で入力してください"
    return e


def check_request(v: dict[str, str]) -> Errors:
    """Step 2 (請求内容). Keys: kind, copies, purpose (honseki is a checkbox)."""
    e: Errors = {}
    if v.get("kind", "") not in KINDS:
        e["kind"] = "請求の種類を選択してください"
    try:
        copies = int(v.get("copies", ""))
        if not 1 <= copies <= 10:
            raise ValueError
    except ValueError:
        e["copies"] = "必要部数は1から10までの数字で入力してください"
    if v.get("purpose", "") not in PURPOSES:
        e["purpose"] = "使用目的を選択してください"
    return e
