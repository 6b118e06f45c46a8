"""The .xlsx opens in a real office suite: LibreOffice converts it to PDF without errors."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from dxrpa.reports import build_report, export_report

from .scenario import Ledger


@pytest.mark.slow
def test_xlsx_converts_to_pdf(ledger: Ledger, tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    assert office, "libreoffice is missing: apt-get install libreoffice-calc-nogui"
    xlsx = tmp_path / "report.xlsx"
    with ledger.store.session() as s:
        export_report(build_report(s, 2026, now=datetime(2027, 1, 5, tzinfo=UTC)), "xlsx", xlsx)
    profile = tmp_path / "lo-profile"  # own profile: other LibreOffice processes may be running
    proc = subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    pdf = tmp_path / "report.pdf"
    assert proc.returncode == 0, proc.stderr
    assert "Error" not in proc.stderr and "error" not in proc.stdout.lower(), proc.stdout + proc.stderr
    assert pdf.is_file() and pdf.stat().st_size > 10_000
    doc = pdfium.PdfDocument(str(pdf))
    try:
        assert len(doc) >= 7  # one page per sheet at least (fit to width)
        text = doc[0].get_textpage().get_text_range()
        assert "令和8年度" in text
        for i in range(len(doc)):  # header and footer on every printed page
            page = doc[i].get_textpage().get_text_range()
            assert "業務削減時間レポート 令和8年度" in page and "作成 令和9年1月5日" in page, i
            assert f"{i + 1} / {len(doc)} ページ" in page, i
    finally:
        doc.close()
