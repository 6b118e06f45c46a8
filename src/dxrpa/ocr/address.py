"""The city's 町字 master (CSV) and the nearest-match correction of a read address.

Format (documented in docs/ocr.md): a header line ``都道府県,市区町村,町字`` and one 町字 per line,
UTF-8 (with or without BOM) or cp932 (Shift_JIS as Excel saves it); or the Digital Agency's
アドレス・ベース・レジストリ 町字マスター (``mt_town_*.csv``) as it is published. A read address
that starts with one of the master's ``都道府県市区町村町字`` (or ``市区町村町字``) is confirmed; one a
character or two away from exactly one entry is corrected to it (岡→周 misreads); a tie goes to
review. An address in a 市区町村 the master does not list is left alone (applicants may live elsewhere).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from dxrpa.errors import DefinitionError
from dxrpa.i18n import tr
from dxrpa.ocr.textfile import decode

HEADER = ["都道府県", "市区町村", "町字"]
_BOUNDARY = set("0123456789一二三四五六七八九十丁番号-の")  # what may follow a 町字 in an address


@dataclass(frozen=True)
class Town:
    prefecture: str
    city: str
    town: str


@dataclass(frozen=True)
class Match:
    """The master's verdict on one address: ``value`` (possibly corrected) or a reason for review."""

    value: str
    town: Town | None = None
    corrected: bool = False
    reason: str = ""
    read: int = 0  # characters of the address the entry stands for (confirmed or corrected)


def _error(path: Path, line: int | None, message: str, hint: str) -> DefinitionError:
    return DefinitionError(message, path=path, line=line, hint=hint)


class AddressMaster:
    """The 町字 of one or more 市区町村, loaded from a CSV the city maintains."""

    def __init__(self, towns: list[Town], path: Path | None = None) -> None:
        self.path = path
        self.towns = towns
        self.cities = {(t.prefecture, t.city) for t in towns}

    @classmethod
    def load(cls, path: Path) -> AddressMaster:
        """Read ``path``; a missing file, bad encoding or malformed line is an error naming file and line."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _error(
                path,
                None,
                tr(f"町字マスター {path} を読めません", f"cannot read the address master {path}"),
                tr(
                    "テンプレートの master: のファイル名を確認してください", "check the file named by master:"
                ),
            ) from exc
        text = decode(path, data)
        rows = list(csv.reader(io.StringIO(text)))
        header = [c.strip() for c in rows[0]] if rows else []
        abr = _abr_columns(header)
        towns = _abr_towns(path, rows, abr) if abr else _our_towns(path, rows, header)
        if not towns:
            raise _error(path, 1, tr("町字マスターが空です", "the address master is empty"), _hint())
        return cls(towns, path)

    def match(self, address: str) -> Match:
        """Confirm, correct (one nearest entry) or send to review (a tie) the start of ``address``."""
        best: list[tuple[int, Town, int, str]] = []  # (distance, town, length read, key)
        for t in self.towns:
            for key in (t.prefecture + t.city + t.town, t.city + t.town):
                if len(set(key) - set(address[: len(key) + 1])) > _allowed(key):
                    continue  # cheap filter: too many of the key's characters are missing
                for length in (len(key) - 1, len(key), len(key) + 1):
                    head = address[:length]
                    if length <= 0 or len(head) < length:
                        continue
                    rest = address[length:]
                    if rest and rest[0] not in _BOUNDARY:
                        continue
                    d = _distance(head, key)
                    if d <= _allowed(key):
                        best.append((d, t, length, key))
        if not best:
            if any(address.startswith(p + c) or address.startswith(c) for p, c in self.cities):
                return Match(
                    address, reason=tr("町字が町字マスターにありません", "町字 is not in the address master")
                )
            return Match(address)
        low = min(b[0] for b in best)
        exact = [b for b in best if b[0] == low]
        if low == 0:
            d, town, length, key = max(exact, key=lambda b: len(b[3]))
            return Match(address, town, read=length)
        towns = {b[1] for b in exact}
        if len(towns) > 1:
            names = "、".join(sorted(t.town for t in towns))
            return Match(
                address, reason=tr(f"町字の候補が複数あります（{names}）", f"several 町字 match ({names})")
            )
        d, town, length, key = min(exact, key=lambda b: abs(b[2] - len(b[3])))
        return Match(key + address[length:], town, corrected=True, read=length)

    def contains(self, prefecture: str, city: str) -> bool:
        return (prefecture, city) in self.cities


def _hint() -> str:
    return tr(
        "1 行目は 都道府県,市区町村,町字、以降は 1 行に 1 町字です"
        "（デジタル庁の町字マスター mt_town もそのまま読めます）",
        "line 1 is 都道府県,市区町村,町字, then one 町字 per line"
        " (or the Digital Agency's 町字マスター, mt_town)",
    )


#: the columns of the アドレス・ベース・レジストリ 町字マスター (mt_town_*.csv) this reader uses, as the
#: Digital Agency names them (English since 2024, Japanese before)
_ABR = {
    "pref": ("pref", "都道府県名"),
    "county": ("county", "郡名"),
    "city": ("city", "市区町村名"),
    "ward": ("ward", "政令市区名"),
    "town": ("oaza_cho", "大字・町名"),
    "abolished": ("ablt_date", "廃止日"),
}


def _abr_columns(header: list[str]) -> dict[str, int] | None:
    """Where each column :data:`_ABR` names stands, if ``header`` is a 町字マスター's (else None)."""
    where = {key: next((header.index(n) for n in names if n in header), -1) for key, names in _ABR.items()}
    return where if min(where["pref"], where["city"], where["town"]) >= 0 else None


def _our_towns(path: Path, rows: list[list[str]], header: list[str]) -> list[Town]:
    if header != HEADER:
        raise _error(
            path, 1, tr("町字マスターの見出し行が違います", "the address master's header is wrong"), _hint()
        )
    towns: list[Town] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != 3 or not all(cells):
            raise _error(
                path,
                number,
                tr(
                    f"町字マスターの行が不正です（{len(cells)} 列）",
                    f"malformed address master line ({len(cells)} columns)",
                ),
                _hint(),
            )
        towns.append(Town(*cells))
    return towns


def _abr_towns(path: Path, rows: list[list[str]], where: dict[str, int]) -> list[Town]:
    """The 大字・町 of a 町字マスター: one per row without a 廃止日 (its 丁目 and 小字 rows repeat it),
    the 市区町村 written as an address has it (郡, 市, 政令市の区)."""
    towns: dict[Town, None] = {}
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != width:
            raise _error(
                path,
                number,
                tr(
                    f"町字マスターの行の列数が見出しと違います（{len(cells)} 列、見出しは {width} 列）",
                    f"malformed address master line ({len(cells)} columns, the header has {width})",
                ),
                _hint(),
            )
        cell = {key: cells[k] if k >= 0 else "" for key, k in where.items()}
        if cell["abolished"] or not cell["town"]:
            continue
        city = cell["county"] + cell["city"] + cell["ward"]
        if not cell["pref"] or not city:
            raise _error(
                path, number, tr("都道府県名か市区町村名が空です", "the prefecture or city is empty"), _hint()
            )
        towns[Town(cell["pref"], city, cell["town"])] = None
    return list(towns)


def _allowed(key: str) -> int:
    return 1 if len(key) < 8 else 2


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (addresses are short)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
