"""A robot's items: rows from Excel (openpyxl), CSV (UTF-8, UTF-8-BOM, cp932) or an inline list.

Every problem is found before the first item is entered (missing file, sheet or key column,
duplicate or empty keys, undecodable bytes), so a bad file never leaves a half-done run.
Values become strings the way a clerk reads the cell: ``12.0`` → ``"12"``, a phone number
typed as a number loses no digits it still has, dates stay dates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from dxrpa.engine.paths import Folders
from dxrpa.errors import DataError
from dxrpa.i18n import tr
from dxrpa.model.robot import ColumnRule, DataSpec


@dataclass
class DataItem:
    key: str
    seq: int  # 0-based position in the data
    where: str  # "data/x.xlsx:申請一覧:row 5" for messages
    values: dict[str, Any]
    problems: list[str] = field(default_factory=list)  # validate: rule failures → business error


@dataclass
class DataBatch:
    source: str
    columns: list[str]
    items: list[DataItem]


def cell_value(value: Any) -> Any:
    """How a clerk reads a cell: integral floats without '.0', midnight datetimes as dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date):
        return value
    return str(value).strip()


def _read_excel(
    path: Path, sheet: str | None, header_row: int
) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    head = path.read_bytes()[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(
            tr(
                f"{path}: パスワード付きまたは古い形式(.xls)のブックは読めません",
                f"{path}: password-protected or legacy .xls workbooks cannot be read",
            ),
            hint=tr(
                "パスワードを外して .xlsx で保存し直してください", "remove the password and save as .xlsx"
            ),
        )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DataError(
            tr(
                f"{path}: Excel ファイルとして読めません ({exc})",
                f"{path}: not a readable Excel file ({exc})",
            ),
            hint=tr(".xlsx 形式で保存し直してください", "save it again as .xlsx"),
        ) from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise DataError(
                tr(f"{path}: シート '{sheet}' がありません", f"{path}: no sheet named '{sheet}'"),
                hint=tr("シート名: ", "sheets: ") + ", ".join(wb.sheetnames),
            )
        rows = ws.iter_rows(min_row=header_row, values_only=True)
        header_cells = next(rows, None)
        if header_cells is None:
            raise DataError(
                tr(f"{path}: 見出し行 {header_row} が空です", f"{path}: header row {header_row} is empty")
            )
        columns = _columns(header_cells, f"{path}:{ws.title}")
        out: list[tuple[int, dict[str, Any]]] = []
        for offset, cells in enumerate(rows, start=1):
            if cells is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                break  # the first empty row ends the data, even when the used range runs on
            values = {name: cell_value(cells[i] if i < len(cells) else None) for i, name in columns}
            out.append((header_row + offset, values))
        return [name for _, name in columns], out
    finally:
        wb.close()


def _columns(header_cells: tuple[Any, ...] | list[Any], where: str) -> list[tuple[int, str]]:
    columns: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, cell in enumerate(header_cells):
        name = re.sub(r"\s+", " ", str(cell)).strip() if cell is not None else ""
        if not name:
            continue
        if name in seen:
            raise DataError(
                tr(f"{where}: 見出し '{name}' が重複しています", f"{where}: header '{name}' appears twice")
            )
        seen.add(name)
        columns.append((i, name))
    if not columns:
        raise DataError(tr(f"{where}: 見出し行が空です", f"{where}: the header row is empty"))
    return columns


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    if encoding != "auto":
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            line = raw[: getattr(exc, "start", 0)].count(b"\n") + 1
            raise DataError(
                tr(
                    f"{path}:{line}: {encoding} として読めません",
                    f"{path}:{line}: cannot be read as {encoding}",
                ),
                hint=tr(
                    "encoding: auto にするか正しい文字コードを指定してください",
                    "use encoding: auto or the right encoding",
                ),
            ) from None
    for enc in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
    raise DataError(
        tr(
            f"{path}:{line}: 文字コードを判別できません (UTF-8 / Shift_JIS(cp932) ではありません)",
            f"{path}:{line}: unknown text encoding (neither UTF-8 nor Shift_JIS/cp932)",
        ),
        hint=tr("UTF-8 で保存し直すか encoding: を指定してください", "save as UTF-8 or set encoding:"),
    )


def _read_csv(path: Path, encoding: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    text = _decode(path, path.read_bytes(), encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise DataError(tr(f"{path}: 空のファイルです", f"{path}: the file is empty"))
    columns = _columns(header, str(path))
    out: list[tuple[int, dict[str, Any]]] = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in columns}
        out.append((reader.line_num, values))
    return [name for _, name in columns], out


def column_list(columns: list[str], limit: int = 10, width: int = 40) -> str:
    """Column names for a hint: the first ``limit``, each cut to ``width`` characters, control
    characters escaped, so a header row can neither flood nor forge the message."""

    def one(name: str) -> str:
        name = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in name)
        return name if len(name) <= width else name[: width - 1] + "…"

    shown = ", ".join(one(c) for c in columns[:limit])
    more = len(columns) - limit
    return shown + (tr(f" ほか {more} 列", f" and {more} more") if more > 0 else "")


def _content_key(values: dict[str, Any]) -> str:
    blob = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    return "h:" + hashlib.sha256(blob.encode()).hexdigest()[:16]


def _check(values: dict[str, Any], rules: dict[str, ColumnRule]) -> list[str]:
    problems = []
    for column, rule in rules.items():
        value = str(values.get(column, "") or "")
        if rule.required and not value:
            problems.append(tr(f"{column} が空です", f"{column} is empty"))
            continue
        if not value:
            continue
        if rule.pattern and not re.fullmatch(rule.pattern, value):
            problems.append(
                tr(f"{column} の形式が正しくありません", f"{column} does not match {rule.pattern}")
            )
        if rule.max_length and len(value) > rule.max_length:
            problems.append(
                tr(
                    f"{column} が {rule.max_length} 文字を超えています",
                    f"{column} is longer than {rule.max_length}",
                )
            )
        if rule.one_of and value not in rule.one_of:
            problems.append(
                tr(
                    f"{column} は {'/'.join(rule.one_of)} のいずれかです",
                    f"{column} must be one of {rule.one_of}",
                )
            )
    return problems


def build_batch(
    source: str, columns: list[str], rows: list[tuple[int, dict[str, Any]]], spec: DataSpec
) -> DataBatch:
    """Keys, duplicate detection and validate: rules, shared by every source kind."""
    if spec.key and spec.key not in columns:
        raise DataError(
            tr(f"{source}: キー列 '{spec.key}' がありません", f"{source}: key column '{spec.key}' not found"),
            hint=tr("列: ", "columns: ") + column_list(columns),
        )
    for column in spec.validate_:
        if column not in columns:
            raise DataError(
                tr(
                    f"{source}: validate の列 '{column}' がありません",
                    f"{source}: validate column '{column}' not found",
                )
            )
    items: list[DataItem] = []
    seen: dict[str, int] = {}
    for seq, (row, values) in enumerate(rows):
        where = f"{source}:row {row}"
        if spec.key:
            key = str(values.get(spec.key) or "").strip()
            if not key:
                raise DataError(
                    tr(f"{where}: キー '{spec.key}' が空です", f"{where}: key '{spec.key}' is empty"),
                    hint=tr("すべての行にキーを入れてください", "every row needs a key"),
                )
        else:
            key = _content_key(values)
        if key in seen:
            raise DataError(
                tr(
                    f"{where}: キー '{key}' が {seen[key]} 行目と重複しています",
                    f"{where}: key '{key}' repeats row {seen[key]}",
                ),
                hint=tr("重複行を削除してください", "remove the duplicate row"),
            )
        seen[key] = row
        items.append(
            DataItem(key=key, seq=seq, where=where, values=values, problems=_check(values, spec.validate_))
        )
    return DataBatch(source=source, columns=columns, items=items)


def load_tabular(spec: DataSpec, *, folders: Folders, override: Path | None = None) -> DataBatch:
    """Excel, CSV or inline items (OCR sources are loaded by the runner through ocr_source).

    The robot's own ``excel:``/``csv:`` path must lie inside its ``folders:`` (symlinks followed:
    a :class:`~dxrpa.errors.DefinitionError` otherwise); the operator's ``--data FILE`` is the
    operator's own choice and is read wherever it is."""
    kind = spec.kind
    if override is not None:
        kind = "csv" if override.suffix.lower() == ".csv" else "excel"
    if kind == "items":
        rows = [
            (i + 1, {str(k): cell_value(v) for k, v in (it or {}).items()})
            for i, it in enumerate(spec.items or [])
        ]
        columns = sorted({c for _, r in rows for c in r})
        return build_batch("items", columns, rows, spec)
    if kind == "none":
        return DataBatch(
            source="none", columns=[], items=[DataItem(key="run", seq=0, where="run", values={})]
        )
    if override is not None:
        raw_path = override
        path = override if override.is_absolute() else folders.home / override
    else:
        raw_path = Path(str(spec.excel if kind == "excel" else spec.csv))
        path = folders.resolve(raw_path, f"data: {kind}")
    if not path.is_file():
        raise DataError(
            tr(f"{path}: データファイルがありません", f"{path}: data file not found"),
            hint=tr("data: のパスか --data を確認してください", "check data: or --data"),
        )
    if kind == "excel":
        columns, rows = _read_excel(path, spec.sheet, spec.header_row)
        source = f"{raw_path}:{spec.sheet}" if spec.sheet else str(raw_path)
    else:
        columns, rows = _read_csv(path, spec.encoding)
        source = str(raw_path)
    return build_batch(source, columns, rows, spec)
