"""Produce a report file in the requested format and note it in the audit log."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from sqlalchemy.orm import Session

from dxrpa.reports.data import DEFAULT_DETAILS_LIMIT, ReportData
from dxrpa.reports.excel import write_xlsx
from dxrpa.reports.html import HTML_DETAILS_LIMIT, write_html
from dxrpa.reports.tabular import write_csv, write_text
from dxrpa.store import audit_repo

FORMATS = ("xlsx", "csv", "html", "text")


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]|\.\.+')


def safe_name_part(text: str, limit: int = 60) -> str:
    """``text`` usable inside a file name: no path separators, no ``..``, no control or
    Windows-reserved characters (a department name comes from robot files and requests)."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", text))
    cleaned = "".join("_" if unicodedata.category(c).startswith("C") else c for c in cleaned)
    return cleaned.strip(" ._")[:limit].strip(" ._")


def default_filename(fy: int, department: str | None, fmt: str) -> str:
    """``dxrpa_report_FY2026_市民課.xlsx``: the department part is sanitized (never a path)."""
    ext = "txt" if fmt == "text" else fmt
    part = safe_name_part(department) if department else ""
    dept = f"_{part}" if part else ""
    return f"dxrpa_report_FY{fy}{dept}.{ext}"


def export_report(
    data: ReportData,
    fmt: str,
    path: Path,
    *,
    details_limit: int | None = None,
    actor: str = "",
    name: str | None = None,
) -> Path:
    """Write ``data`` as ``fmt`` (xlsx | csv | html | text) to ``path`` atomically; audit it (under
    ``name`` when the file is handed out under another name, e.g. a console download) and write the
    audit log's signed head beside it (``<path>.anchor.json``)."""
    if fmt == "xlsx":
        write_xlsx(data, path, details_limit=details_limit or DEFAULT_DETAILS_LIMIT)
    elif fmt == "csv":
        write_csv(data, path)
    elif fmt == "html":
        write_html(data, path, details_limit=details_limit or HTML_DETAILS_LIMIT)
    elif fmt == "text":
        write_text(data, path)
    else:
        raise ValueError(f"unknown report format {fmt!r}")
    _audit(data.session, actor, name or path.name, data, fmt)
    audit_repo.write_anchor(data.session, audit_repo.anchor_path(path))  # signed head beside it
    return path


def _audit(session: Session, actor: str, name: str, data: ReportData, fmt: str) -> None:
    """Append "report.exported" to the hash-chained audit log (same transaction as the read)."""
    detail = {
        "fy": data.fy,
        "department": data.department,
        "format": fmt,
        "file": name,
        "entries": data.details_count,
        "saved_minutes": round(data.totals.saved_minutes, 3),
        "estimate": data.projection is not None,
    }
    audit_repo.append(session, actor, "report.exported", f"FY{data.fy}", detail)
