"""Review workbook: only the doubtful fields, each with its crop image, for staff to correct in Excel.

The workbook carries a token that ties it to one export (so the minutes between export and import
can be measured and a workbook is applied once). Staff type the right value in the 修正後の値
column (prefilled with the OCR value), optionally their name and the minutes they spent.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.drawing.image import Image as XlImage
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image

from dxrpa.errors import DataError
from dxrpa.fileio import as_text
from dxrpa.i18n import tr
from dxrpa.model.form import FormTemplate
from dxrpa.ocr import crops
from dxrpa.ocr.normalize import normalize
from dxrpa.ocr.validate import check

SHEET = "確認"  # the sheet staff work in (Japanese names; the old English ones are still read)
META = "管理情報"  # token, batch, template: hidden, staff never need it
LEGACY = {SHEET: "review", META: "meta"}
REVIEWER_CELL, MINUTES_CELL = "L1", "L2"  # on the 確認 sheet, next to the fields
EDIT = PatternFill("solid", fgColor="E2EFDA")
COLUMNS = [
    "ID",
    "ファイル / file",
    "ページ / page",
    "項目 / field",
    "OCR",
    "確信度 / conf.",
    "理由 / reason",
    "画像 / image",
    "修正後の値 / corrected value",
]
VALUE_COL = 9
IMAGE_COL = "H"


@dataclass
class ReviewItem:
    field_id: int
    source_file: str
    page: int
    name: str
    type: str
    value: str
    text: str
    confidence: float
    reason: str
    crop: str | None
    raw: str = ""  # the reading as written when normalizing changed its 字形 (variant kanji)


@dataclass
class ReviewSheet:
    token: str
    batch_id: str
    values: dict[int, tuple[str, str]]  # field id → (field name, value as typed)
    reviewer: str
    minutes: float | None


def write_review_workbook(
    path: Path,
    *,
    token: str,
    batch_id: str,
    template: str,
    items: list[ReviewItem],
    exported_at: datetime,
    open_crop: crops.Open | None = None,
) -> Path:
    """The workbook of ``items`` with their crops (sealed ones opened with ``open_crop``)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = {"A": 7, "B": 22, "C": 7, "D": 16, "E": 28, "F": 9, "G": 26, "H": 48, "I": 34}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    for row, item in enumerate(items, start=2):
        ws.append(
            [
                item.field_id,
                Path(item.source_file).name,
                item.page,
                item.name,
                item.text,
                round(item.confidence, 2),
                _reason(item),
                "",
                item.raw or item.value,  # as written: a 字形 is changed only by staff
            ]
        )
        for written in ws[row]:
            as_text(written)  # an OCR value such as '=HYPERLINK(…)' stays text
        cell = ws.cell(row, VALUE_COL)
        cell.fill = EDIT
        cell.number_format = "@"
        cell.protection = Protection(locked=False)
        ws.row_dimensions[row].height = 48
        png = crops.read(item.crop, open_crop) if item.crop else None
        if png is not None:
            with Image.open(io.BytesIO(png)) as im:
                w, h = im.size
            img = XlImage(io.BytesIO(png))
            scale = min(1.0, 60 / max(h, 1), 340 / max(w, 1))
            img.width, img.height = int(w * scale), int(h * scale)
            ws.add_image(img, f"{IMAGE_COL}{row}")
    ws.freeze_panes = "A2"
    _staff_cells(ws)
    _fit_to_pages(ws, len(items))
    meta = wb.create_sheet(META)
    meta.sheet_state = "hidden"
    rows = [
        ("token", token),
        ("batch", batch_id),
        ("template", template),
        ("exported_at", exported_at.isoformat()),
    ]
    for pair in rows:
        meta.append(list(pair))
    meta.column_dimensions["A"].width = 26
    meta.column_dimensions["B"].width = 60
    wb.save(path)
    return path


def _reason(item: ReviewItem) -> str:
    if not item.raw or item.raw == item.value:
        return item.reason
    forms = tr(
        f"字形: 読取どおり「{item.raw}」/ 常用字体「{item.value}」(残す方を入力)",
        f"character form: as written '{item.raw}' / standard '{item.value}' (type the one to keep)",
    )
    return f"{item.reason}\n{forms}" if item.reason else forms


def _staff_cells(ws: Worksheet) -> None:
    """Reviewer and minutes on the sheet staff work in (both optional)."""
    for cell, label in ((REVIEWER_CELL, "担当者 / reviewer"), (MINUTES_CELL, "作業時間（分）/ minutes")):
        ws[f"K{cell[1:]}"] = label
        ws[f"K{cell[1:]}"].font = Font(bold=True)
        ws[cell].fill = EDIT
        ws[cell].number_format = "@"
        ws[cell].protection = Protection(locked=False)
    ws["K3"] = tr(
        "担当者と作業時間（分）は任意。空欄なら出力から取込までの時間を記録します。",
        "reviewer and minutes are optional; if empty, the time from export to import is recorded.",
    )
    ws.column_dimensions["K"].width = 22
    ws.column_dimensions["L"].width = 18


def _fit_to_pages(ws: Worksheet, rows: int) -> None:
    """A4 landscape, every column on one page wide, the header row repeated on each page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_area = f"A1:I{rows + 1}"
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4


def _sheet(wb: Any, name: str) -> Any:
    for candidate in (name, LEGACY[name]):
        if candidate in wb.sheetnames:
            return wb[candidate]
    return None


def read_review_workbook(path: Path) -> ReviewSheet:
    """Read what staff typed; raise DataError naming the file if it is not a dxrpa review workbook."""
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise DataError(
            tr(
                f"{path.name}: Excel ファイルとして読めません（{type(exc).__name__}）",
                f"{path.name}: cannot read as an Excel workbook ({type(exc).__name__})",
            )
        ) from exc
    main_ws, meta_ws = _sheet(wb, SHEET), _sheet(wb, META)
    if main_ws is None or meta_ws is None:
        raise DataError(
            tr(f"{path.name}: dxrpa のレビュー表ではありません", f"{path.name}: not a dxrpa review workbook"),
            hint=tr(
                "`dxrpa ocr review BATCH` で出力した表を使ってください",
                "use the workbook from `dxrpa ocr review BATCH`",
            ),
        )
    meta = {str(r[0].value): r[1].value for r in meta_ws.iter_rows(min_row=1, max_col=2) if r[0].value}
    minutes_raw = main_ws[MINUTES_CELL].value
    if minutes_raw in (None, ""):  # a workbook from before: the minutes were on the meta sheet
        minutes_raw = meta.get("minutes / 作業時間（分）")
    reviewer = main_ws[REVIEWER_CELL].value or meta.get("reviewer / 担当者")
    minutes: float | None = None
    if minutes_raw not in (None, ""):
        try:
            minutes = float(str(minutes_raw).strip())
        except ValueError:
            raise DataError(
                tr(
                    f"{path.name}: 作業時間（分）が数値ではありません: {minutes_raw}",
                    f"{path.name}: minutes is not a number: {minutes_raw}",
                )
            ) from None
    values: dict[int, tuple[str, str]] = {}
    for row in main_ws.iter_rows(min_row=2, max_col=VALUE_COL):
        fid = row[0].value
        if fid in (None, ""):
            continue
        cell = row[VALUE_COL - 1].value
        text = "" if cell is None else str(cell)
        if isinstance(cell, float) and cell.is_integer():
            text = str(int(cell))
        values[int(str(fid))] = (str(row[3].value or ""), text.strip())
    return ReviewSheet(
        token=str(meta.get("token") or ""),
        batch_id=str(meta.get("batch") or ""),
        values=values,
        reviewer=str(reviewer or "").strip(),
        minutes=minutes,
    )


def clean_corrections(sheet: ReviewSheet, template: FormTemplate, path: Path) -> dict[int, str]:
    """Normalize each typed value by its field type; refuse the file listing every invalid value."""
    out: dict[int, str] = {}
    problems: list[str] = []
    specs = {f.name: f for f in template.fields}
    for fid, (name, typed) in sheet.values.items():
        spec = specs.get(name)
        if spec is None:
            problems.append(tr(f"ID {fid}: 様式にない項目 {name}", f"ID {fid}: unknown field {name}"))
            continue
        if spec.type in ("checkbox", "choice"):
            value = typed
        else:
            # what the reviewer typed or kept is their call on 字形: variant kanji are never replaced
            value = normalize(spec.type, typed, name=name, keep_variants=True)
        if spec.type == "checkbox" and value not in ("true", "false"):
            value = "true" if value.lower() in ("1", "yes", "y", "はい", "✓", "レ", "有", "○") else "false"
        reason = check(spec, value, reference_data=False)  # the reviewer has the last word on reference data
        if reason:
            problems.append(f"ID {fid} ({name}): {reason}")
        out[fid] = value
    if problems:
        raise DataError(
            tr(f"{path.name}: 修正後の値に誤りがあります — ", f"{path.name}: invalid corrected values — ")
            + "; ".join(problems[:10]),
            hint=tr("直してからもう一度取り込んでください", "fix them and apply the workbook again"),
        )
    return out
