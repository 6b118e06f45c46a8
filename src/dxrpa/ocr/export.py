"""Write OCR results as .xlsx (staff), CSV (UTF-8 with BOM, or cp932 for old Excel) or JSON.

In the workbook each form is a row and each field a column; doubtful cells are yellow with a
comment giving what the engine read, its confidence and the reason, and link to the field crop.
Files that could not be read are red rows with the reason, so nothing disappears silently.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from dxrpa.errors import UsageError
from dxrpa.fileio import as_text
from dxrpa.i18n import tr
from dxrpa.model.form import FormResult, FormTemplate
from dxrpa.ocr import crops

DOUBT = PatternFill("solid", fgColor="FFF2CC")
FAILED = PatternFill("solid", fgColor="F8CBAD")
HEADER = PatternFill("solid", fgColor="DDEBF7")
FORMATS = (".xlsx", ".csv", ".json")


def _fixed_headers() -> list[str]:
    return [
        tr("ファイル", "file"),
        tr("ページ", "page"),
        tr("状態", "status"),
        tr("エラー・要確認", "error / review"),
    ]


def status_label(status: str) -> str:
    return {"ok": tr("OK", "ok"), "review": tr("要確認", "review"), "failed": tr("読取不可", "failed")}.get(
        status, status
    )


def _note(result: FormResult) -> str:
    if result.status == "failed":
        return result.error
    return ", ".join(f.name for f in result.fields if f.status != "ok")


def write_results(
    path: Path,
    template: FormTemplate,
    results: list[FormResult],
    *,
    batch_id: str = "",
    encoding: str = "utf-8-sig",
) -> Path:
    """Write ``results`` to ``path``; the format follows the suffix (.xlsx, .csv, .json)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            tr(
                f"出力形式 {suffix or '(なし)'} には対応していません",
                f"unsupported output format {suffix or '(none)'}",
            ),
            hint=tr("-o の拡張子は .xlsx / .csv / .json にしてください", "use -o with .xlsx, .csv or .json"),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        _xlsx(path, template, results, batch_id)
    elif suffix == ".csv":
        _csv(path, template, results, encoding)
    else:
        payload: dict[str, Any] = {
            "batch": batch_id,
            "template": template.name,
            "forms": [r.model_dump(mode="json") for r in results],
        }
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _csv(path: Path, template: FormTemplate, results: list[FormResult], encoding: str) -> None:
    names = [f.name for f in template.fields]
    with path.open("w", encoding=encoding, errors="replace", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_fixed_headers() + names)
        for r in results:
            values = r.values()
            w.writerow(
                [Path(r.source_file).name, r.page, r.status, _note(r)] + [values.get(n, "") for n in names]
            )


def _xlsx(path: Path, template: FormTemplate, results: list[FormResult], batch_id: str) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = tr("読取結果", "results")
    names = [f.name for f in template.fields]
    headers = _fixed_headers() + names
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER
    for r in results:
        values = r.values()
        ws.append(
            [Path(r.source_file).name, r.page, status_label(r.status), _note(r)]
            + [values.get(n, "") for n in names]
        )
        row = ws.max_row
        for written in ws[row]:
            as_text(written)  # an OCR value such as '=HYPERLINK(…)' stays text
        if r.status == "failed":
            for col in range(1, len(headers) + 1):
                ws.cell(row, col).fill = FAILED
            continue
        for col, f in enumerate(r.fields, start=len(_fixed_headers()) + 1):
            cell = ws.cell(row, col)
            cell.number_format = "@"
            if f.raw:
                written = tr(f"字形: {f.raw}", f"as written: {f.raw}")
                cell.comment = Comment(written, "dxrpa", width=260, height=40)
            if f.status != "ok":
                cell.fill = DOUBT
                text = tr(
                    f"OCR: {f.text}\n確信度: {f.confidence:.2f}\n理由: {f.reason}",
                    f"OCR: {f.text}\nconfidence: {f.confidence:.2f}\nreason: {f.reason}",
                )
                if f.raw:
                    text += tr(f"\n字形: {f.raw}", f"\nas written: {f.raw}")
                cell.comment = Comment(text, "dxrpa", width=260, height=90)
            if f.crop and not crops.is_sealed(f.crop):  # a sealed crop opens only on the review screen
                cell.hyperlink = os.path.relpath(f.crop, path.parent)
                if f.status != "ok":
                    cell.font = Font(color="0563C1", underline="single")
        ws.cell(row, 3).fill = DOUBT if r.status == "review" else PatternFill()
    for col in range(1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 14 if col > 4 else 18
    ws.freeze_panes = "E2"
    ws.auto_filter.ref = ws.dimensions
    info = wb.create_sheet(tr("概要", "summary"))
    rows = [
        (tr("バッチ", "batch"), batch_id),
        (tr("様式", "template"), f"{template.name} {template.title}"),
        (tr("帳票数", "forms"), sum(r.status != "failed" for r in results)),
        (tr("OK", "ok"), sum(r.status == "ok" for r in results)),
        (tr("要確認", "review"), sum(r.status == "review" for r in results)),
        (tr("読取不可", "failed"), sum(r.status == "failed" for r in results)),
        (
            tr("凡例", "legend"),
            tr("黄色=要確認（コメントに OCR 結果と確信度）、赤=読取不可", "yellow = review, red = failed"),
        ),
    ]
    for row_values in rows:
        info.append(list(row_values))
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 60
    for row_cells in info.iter_rows():
        row_cells[1].alignment = Alignment(wrap_text=True)
    wb.save(path)
