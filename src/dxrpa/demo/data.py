"""Fictional application data for the sample robot (tests, benchmarks and ``dxrpa demo``).

Names and addresses are made up; no real person's data is ever used.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from dxrpa.fileio import atomic_path

COLUMNS = [
    "受付番号",
    "氏名",
    "フリガナ",
    "生年月日",
    "郵便番号",
    "住所",
    "電話番号",
    "請求の種類",
    "必要部数",
    "本籍・筆頭者の記載",
    "使用目的",
]
_FAMILY = [
    ("山田", "ヤマダ"),
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
]
_GIVEN = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("一郎", "イチロウ"),
    ("美咲", "ミサキ"),
    ("健太", "ケンタ"),
    ("陽菜", "ヒナ"),
    ("翔", "ショウ"),
    ("結衣", "ユイ"),
    ("大輔", "ダイスケ"),
    ("葵", "アオイ"),
]
_TOWNS = [
    "さくら市中央一丁目",
    "さくら市緑町二丁目",
    "さくら市港南三丁目",
    "さくら市本町四丁目",
    "さくら市桜台五丁目",
]
KINDS = ["住民票の写し", "住民票記載事項証明書"]
PURPOSES = ["年金手続", "就職", "その他"]


def juminhyo_rows(n: int, *, seed: int = 1, start: int = 100001) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        (fam, fam_k), (giv, giv_k) = rng.choice(_FAMILY), rng.choice(_GIVEN)
        rows.append(
            {
                "受付番号": f"{start + i:06d}",
                "氏名": f"{fam} {giv}",
                "フリガナ": f"{fam_k} {giv_k}",
                "生年月日": date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                "郵便番号": f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
                "住所": f"{rng.choice(_TOWNS)}{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
                "電話番号": (
                    f"0{rng.choice([7, 8, 9])}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
                    if rng.random() < 0.4
                    else f"0{rng.randint(11, 99)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
                ),
                "請求の種類": rng.choice(KINDS),
                "必要部数": rng.randint(1, 3),
                "本籍・筆頭者の記載": rng.random() < 0.3,
                "使用目的": rng.choice(PURPOSES),
            }
        )
    return rows


def write_xlsx(path: Path, rows: list[dict[str, Any]], *, sheet: str = "申請一覧") -> Path:
    """An Excel list as a clerk would keep it (dates as dates, numbers as numbers)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    columns = list(rows[0]) if rows else COLUMNS
    ws.append(columns)
    for row in rows:
        ws.append([row.get(c) for c in columns])
    for cell in ws["D"][1:]:
        cell.number_format = "yyyy/mm/dd"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
