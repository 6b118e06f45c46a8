"""A robot's items: rows from Excel (openpyxl), CSV (UTF-8, UTF-8-BOM, cp932) or an inline list.

Every problem is found before the first item is entered (missing file, sheet or key column,
duplicate or empty keys, undecodable bytes, unbalanced quotes, control characters, formulas saved
without a value, merged key/required cells), so a bad file never leaves a half-done run and never
loses a value silently. Rows are streamed: ``run --limit`` reads only the rows it needs and then
checks only those (see docs/data.md).
Values become strings the way a clerk reads the cell: ``12.0`` → ``"12"``, a phone number
typed as a number loses no digits it still has, dates stay dates.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Collection, Iterable, Iterator
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
    """Items read so far (``items``) and, for a streamed source, the rows not read yet."""

    source: str
    columns: list[str]
    items: list[DataItem]
    rest: Iterator[DataItem] | None = None

    def chunks(self, first: int, most: int = 500) -> Iterator[list[DataItem]]:
        """Every item in lists of ``first``, then twice as many up to ``most``, reading a
        streamed source only as far as the caller keeps asking."""
        size, done = max(first, 1), 0
        while True:
            if self.rest is not None:
                while len(self.items) < done + size:
                    item = next(self.rest, None)
                    if item is None:
                        self.rest = None
                        break
                    self.items.append(item)
            chunk = self.items[done : done + size]
            if not chunk:
                return
            yield chunk
            done += len(chunk)
            size = min(size * 2, most)


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


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
Rows = Iterator[tuple[int, dict[str, Any]]]


def _merged_ranges(archive: Any, member: str) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of every merged range of a sheet.

    ``<mergeCells>`` follows ``<sheetData>`` in the sheet XML, so the raw XML is scanned in 1 MB
    chunks (a substring test, no XML parsing): memory stays flat and no row is built.
    """
    from openpyxl.utils import column_index_from_string

    out: list[tuple[int, int, int, int]] = []
    tail = b""
    with archive.open(member) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            end = 0
            if b"mergeCell" in buf:
                for m in _MERGE_REF.finditer(buf):
                    c1, r1, c2, r2 = (g.decode() for g in m.groups())
                    out.append((column_index_from_string(c1), int(r1), column_index_from_string(c2), int(r2)))
                    end = m.end()
            tail = buf[max(end, len(buf) - 512) :]
    return out


def _merge_guard(
    merges: list[tuple[int, int, int, int]], guarded: dict[int, str], header_row: int
) -> list[tuple[int, int, str, str]]:
    """Data rows (start, end, column, range) of key/required cells that are not a merge's top-left:
    openpyxl reads those as blank although Excel shows the merged value."""
    from openpyxl.utils import get_column_letter

    out = []
    for c1, r1, c2, r2 in merges:
        for col in range(c1, c2 + 1):
            if col not in guarded:
                continue
            start = max(r1 + 1 if col == c1 else r1, header_row + 1)
            if start <= r2:
                ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
                out.append((start, r2, guarded[col], ref))
    return sorted(out)


def _sheet_parser(wb: Any, ws: Any) -> Any:
    """openpyxl's streaming sheet parser (what read-only ``iter_rows`` uses), marking formula
    cells saved without a calculated value: ``data_only`` alone reads them as blank."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> Any:
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["data_type"] = "uncached"
            return cell

    return Parser(
        ws._get_source(),
        wb.shared_strings,
        data_only=True,
        epoch=wb.epoch,
        date_formats=wb._date_formats,
        timedelta_formats=wb._timedelta_formats,
    )


def _read_excel(
    path: Path, sheet: str | None, header_row: int, guarded: Collection[str] = ()
) -> tuple[list[str], Rows]:
    """Header now, data rows streamed; ``guarded`` (key and required columns) may not be merged."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as fh:
        head = fh.read(8)
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
        ) from exc
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
        where = f"{path}:{ws.title}"
        parsed = iter(_sheet_parser(wb, ws).parse())
        header: list[Any] = []
        for idx, cells in parsed:
            if idx >= header_row:
                header = _row_values(cells) if idx == header_row else []
                break
        if not any(c is not None for c in header):
            raise DataError(
                tr(f"{path}: 見出し行 {header_row} が空です", f"{path}: header row {header_row} is empty")
            )
        columns = _columns(header, where)
        guard = {i + 1: name for i, name in columns if name in guarded}
        bad = (
            _merge_guard(_merged_ranges(wb._archive, ws._worksheet_path), guard, header_row) if guard else []
        )
    except BaseException:
        wb.close()
        raise
    return [name for _, name in columns], _excel_rows(wb, parsed, columns, header_row, bad, where)


def _row_values(cells: list[dict[str, Any]]) -> list[Any]:
    out: list[Any] = [None] * max((c["column"] for c in cells), default=0)
    for c in cells:
        out[c["column"] - 1] = c["value"]
    return out


def _excel_rows(
    wb: Any,
    parsed: Iterator[tuple[int, list[dict[str, Any]]]],
    columns: list[tuple[int, str]],
    header_row: int,
    bad: list[tuple[int, int, str, str]],
    where: str,
) -> Rows:
    """Data rows after the header until the first empty one; stops at the first merged or
    uncalculated cell that would silently read as blank."""
    from openpyxl.utils import get_column_letter

    names = dict(columns)
    reach: tuple[int, int, str, str] | None = None  # of the merges started so far, the one ending last
    pending = iter(bad)
    upcoming = next(pending, None)
    expected = header_row + 1
    try:
        for idx, cells in parsed:
            if idx != expected:
                return  # a missing row is an empty row: it ends the data
            expected += 1
            values_at = _row_values(cells)
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in values_at):
                return  # the first empty row ends the data, even when the used range runs on
            for c in cells:
                if c["data_type"] == "uncached" and c["column"] - 1 in names:
                    raise DataError(
                        tr(
                            f"{where}:row {idx}: {names[c['column'] - 1]} のセル"
                            f" {get_column_letter(c['column'])}{idx} は数式ですが"
                            "計算結果が保存されていません",
                            f"{where}:row {idx}: cell {get_column_letter(c['column'])}{idx}"
                            f" ({names[c['column'] - 1]}) is a formula saved without its value",
                        ),
                        hint=tr(
                            "Excel で開いて保存し直すか、値として貼り付けてください",
                            "open and save it in Excel, or paste the values",
                        ),
                    )
            while upcoming is not None and upcoming[0] <= idx:
                if reach is None or upcoming[1] > reach[1]:
                    reach = upcoming
                upcoming = next(pending, None)
            if reach is not None and reach[1] >= idx:
                raise DataError(
                    tr(
                        f"{where}:row {idx}: {reach[2]} が結合セル ({reach[3]}) で、"
                        "この行は空として読まれます",
                        f"{where}:row {idx}: {reach[2]} is a merged cell ({reach[3]}); this row reads blank",
                    ),
                    hint=tr(
                        "セルの結合を解除し、各行に値を入れてください",
                        "unmerge the cells and fill the value on every row",
                    ),
                )
            yield idx, {name: cell_value(values_at[i] if i < len(values_at) else None) for i, name in columns}
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


_SAMPLE = 64 * 1024
_CP932 = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # never in a clerk's text: binary or garbage


def _line_of_bad_bytes(path: Path, encoding: str) -> int:
    """The 1-based line of the first byte ``encoding`` cannot decode (streamed, on the error path)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as fh:
        for raw in fh:
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                return line
            line += 1
    return line


def _undecodable(path: Path, line: int, encoding: str | None) -> DataError:
    if encoding is None:
        return DataError(
            tr(
                f"{path}:{line}: 文字コードを判別できません (UTF-8 / Shift_JIS(cp932) ではありません)",
                f"{path}:{line}: unknown text encoding (neither UTF-8 nor Shift_JIS/cp932)",
            ),
            hint=tr("UTF-8 で保存し直すか encoding: を指定してください", "save as UTF-8 or set encoding:"),
        )
    return DataError(
        tr(f"{path}:{line}: {encoding} として読めません", f"{path}:{line}: cannot be read as {encoding}"),
        hint=tr(
            "encoding: auto にするか正しい文字コードを指定してください",
            "use encoding: auto or the right encoding",
        ),
    )


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    """The codec to read ``path`` with. ``auto``: UTF-8 (with or without BOM), else what
    charset-normalizer is confident about in the first 64 KB (Shift_JIS read as cp932);
    binary or garbage bytes are refused at their line. ``raw`` is that sample."""
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _undecodable(path, 1, encoding) from None
        return encoding
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=len(raw) < _SAMPLE)
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
    from charset_normalizer import from_bytes

    try:  # short Shift_JIS samples are often guessed as Korean: ask about cp932 first
        codecs.getincrementaldecoder("cp932")().decode(raw, final=len(raw) < _SAMPLE)
        if from_bytes(raw, cp_isolation=["cp932"]).best() is not None:
            return "cp932"
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None or best.chaos > 0.1:
        raise _undecodable(path, line, None)
    return "cp932" if best.encoding in _CP932 else best.encoding


def _read_csv(path: Path, encoding: str) -> tuple[list[str], Rows]:
    """Header now, data rows streamed. Quotes are parsed strictly, every row must have the
    header's number of cells, and NUL or other control characters are refused at their line."""
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE)
    codec = _decode(path, sample, encoding)
    stream = io.TextIOWrapper(path.open("rb"), encoding=codec, errors="strict", newline="")
    try:
        reader = csv.reader(stream, strict=True)
        header = next(_csv_records(path, codec, encoding, reader, stream), None)
        if header is None:
            raise DataError(tr(f"{path}: 空のファイルです", f"{path}: the file is empty"))
        columns = _columns(header[1], str(path))
    except BaseException:
        stream.close()
        raise
    return [name for _, name in columns], _csv_rows(
        path, codec, encoding, reader, stream, columns, len(header[1])
    )


def read_csv_file(path: Path, encoding: str = "auto", *, max_rows: int = 100_000) -> list[dict[str, Any]]:
    """Every row of a CSV file as ``{header: cell}`` (a file downloaded during the run); the same
    strict reading and encoding detection as ``data: {csv: …}``, at most ``max_rows`` rows."""
    _columns_read, rows = _read_csv(path, encoding)
    records: list[dict[str, Any]] = []
    try:
        for line, values in rows:
            if len(records) >= max_rows:
                raise DataError(
                    tr(
                        f"{path}:{line}: {max_rows} 行を超えています",
                        f"{path}:{line}: more than {max_rows} rows",
                    )
                )
            records.append(values)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    return records


def _csv_records(
    path: Path, codec: str, encoding: str, reader: Any, stream: io.TextIOWrapper
) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) per record; decoding and quoting errors become DataErrors at their line."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            line = _line_of_bad_bytes(path, codec)
            raise _undecodable(path, line, None if encoding == "auto" else encoding) from exc
        except csv.Error as exc:
            raise DataError(
                tr(
                    f'{path}:{start}: 引用符(")の対応が取れていません ({exc})',
                    f'{path}:{start}: unbalanced quote (") ({exc})',
                ),
                hint=tr(
                    '値の中の " は "" と二重にし、引用符を閉じてください',
                    'close the quote; write a " inside a value as ""',
                ),
            ) from exc
        for cell in cells:
            bad = _CONTROL.search(cell)
            if bad is not None:
                raise DataError(
                    tr(
                        f"{path}:{start}: 制御文字 U+{ord(bad.group()):04X} が含まれています (文字化けか"
                        " テキスト以外のファイルです)",
                        f"{path}:{start}: control character U+{ord(bad.group()):04X} (garbled or not a"
                        " text file)",
                    ),
                    hint=tr("CSV を書き出し直してください", "export the CSV again"),
                )
        yield start, cells


def _csv_rows(
    path: Path,
    codec: str,
    encoding: str,
    reader: Any,
    stream: io.TextIOWrapper,
    columns: list[tuple[int, str]],
    width: int,
) -> Rows:
    try:
        for start, cells in _csv_records(path, codec, encoding, reader, stream):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != width:
                raise DataError(
                    tr(
                        f"{path}:{start}: 列の数が {len(cells)} で、見出しの {width} と違います",
                        f"{path}:{start}: {len(cells)} cells where the header has {width}",
                    ),
                    hint=tr(
                        '引用符(")の閉じ忘れか、値の中の , を確認してください',
                        'check for an unclosed quote (") or a comma inside a value',
                    ),
                )
            yield start, {name: cells[i].strip() for i, name in columns}
    finally:
        stream.close()


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
    source: str,
    columns: list[str],
    rows: Iterable[tuple[int, dict[str, Any]]],
    spec: DataSpec,
    *,
    lazy: bool = False,
) -> DataBatch:
    """Keys, duplicate detection and validate: rules, shared by every source kind.

    ``lazy``: rows are checked as they are read (``DataBatch.chunks``), so duplicates are found
    among the rows read; otherwise every row is read and checked now.
    """
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
    checked = _checked_items(source, rows, spec)
    if lazy:
        return DataBatch(source=source, columns=columns, items=[], rest=checked)
    return DataBatch(source=source, columns=columns, items=list(checked))


def _checked_items(
    source: str, rows: Iterable[tuple[int, dict[str, Any]]], spec: DataSpec
) -> Iterator[DataItem]:
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
        yield DataItem(key=key, seq=seq, where=where, values=values, problems=_check(values, spec.validate_))


def load_tabular(
    spec: DataSpec, *, folders: Folders, override: Path | None = None, lazy: bool = False
) -> DataBatch:
    """Excel, CSV or inline items (OCR sources are loaded by the runner through ocr_source).

    The robot's own ``excel:``/``csv:`` path must lie inside its ``folders:`` (symlinks followed:
    a :class:`~dxrpa.errors.DefinitionError` otherwise); the operator's ``--data FILE`` is the
    operator's own choice and is read wherever it is. ``lazy`` (``run --limit``): Excel and CSV
    rows are streamed and read only as far as needed."""
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
        guarded = {c for c, rule in spec.validate_.items() if rule.required}
        if spec.key:
            guarded.add(spec.key)
        columns, streamed = _read_excel(path, spec.sheet, spec.header_row, guarded)
        source = f"{raw_path}:{spec.sheet}" if spec.sheet else str(raw_path)
    else:
        columns, streamed = _read_csv(path, spec.encoding)
        source = str(raw_path)
    return build_batch(source, columns, streamed, spec, lazy=lazy)
