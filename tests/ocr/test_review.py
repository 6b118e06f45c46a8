"""Review round trip: only doubtful fields exported (with crops), corrections applied, minutes recorded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dxrpa.app import open_app
from dxrpa.cli import main
from dxrpa.demo.scans import GroundTruth
from dxrpa.engine.ocr_source import run_ocr
from dxrpa.errors import ExitCode
from dxrpa.store.ledger_tables import LedgerHumanMinutes
from dxrpa.store.ocr_repo import apply_review, documents, doubtful_fields, start_review
from dxrpa.store.ocr_tables import OcrBatch, OcrReview


def _batch_with_doubts(scans: tuple[Path, list[GroundTruth]]) -> str:
    folder, truths = scans
    files = [folder / t.file for t in truths if not t.expect_failure][:2]
    app = open_app()
    try:
        run = run_ocr(app.store, app.settings, "juminhyo", files)
        with app.store.session() as s:  # force doubts (氏名, フリガナ, 住所) in every form: work to review
            docs = documents(s, run.batch_id)
            for d, fields in docs:
                by_id = sorted(fields, key=lambda f: f.id)
                for f in (by_id[2], by_id[3], by_id[6]):
                    f.status, f.reason = "review", "test"
                d.status = "review"
            batch = s.get(OcrBatch, run.batch_id)
            assert batch is not None
            batch.documents_ok, batch.documents_review = 0, len(docs)
        return run.batch_id
    finally:
        app.close()


def test_review_round_trip(ocr_home: Path, tmp_path: Path, scans: tuple[Path, list[GroundTruth]]) -> None:
    batch = _batch_with_doubts(scans)
    out = tmp_path / "review.xlsx"
    assert main(["ocr", "review", batch, "-o", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["確認", "管理情報"]  # Japanese sheet names
    assert wb["管理情報"].sheet_state == "hidden"  # the token sheet is out of the way
    ws = wb["確認"]
    setup = ws.page_setup
    assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1 and setup.fitToHeight == 0
    assert setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    rows = list(ws.iter_rows(min_row=2, max_col=9, values_only=True))
    app = open_app()
    with app.store.session() as s:
        doubtful = doubtful_fields(s, batch)
    assert len(rows) == len(doubtful) >= 2
    assert len(ws._images) == len(rows)  # crop image embedded next to each value
    names = [r[3] for r in rows]
    assert "氏名" in names
    name_row = names.index("氏名") + 2
    ws.cell(name_row, 9).value = "確認　太郎"
    # a reading whose 字形 normalizing changed is prefilled as written: kept as is, it counts as corrected
    kept_as_written = sum("字形" in str(r[6] or "") for i, r in enumerate(rows) if i + 2 != name_row)
    ws["L1"].value = "窓口 花子"  # the reviewer, on the sheet staff work in
    wb.save(tmp_path / "reviewed.xlsx")

    assert main(["ocr", "review", batch, "--apply", str(tmp_path / "reviewed.xlsx"), "--minutes", "4.5"]) == 0
    with app.store.session() as s:
        assert doubtful_fields(s, batch) == []
        docs = documents(s, batch)
        assert all(d.status == "ok" for d, _ in docs)
        name = next(f for _, fs in docs for f in fs if f.name == "氏名" and f.corrected)
        assert name.value == "確認太郎" and name.original_value is not None
        review = s.scalars(select(OcrReview).where(OcrReview.batch_id == batch)).one()
        assert review.reviewer == "窓口 花子" and review.minutes == 4.5 and review.minutes_source == "entered"
        assert review.fields_corrected == 1 + kept_as_written and review.ledger_recorded
        ledger = s.scalars(
            select(LedgerHumanMinutes).where(LedgerHumanMinutes.source_ref == f"ocr_review:{review.id}")
        )
        row = ledger.one()
        assert row.minutes == 4.5 and row.department == "市民課" and row.reason == "ocr_review"
        assert s.get(OcrBatch, batch).documents_review == 0  # type: ignore[union-attr]
    app.close()
    # a workbook is applied once
    assert main(["ocr", "review", batch, "--apply", str(tmp_path / "reviewed.xlsx")]) == ExitCode.DATA


def test_invalid_correction_is_refused(
    ocr_home: Path, tmp_path: Path, scans: tuple[Path, list[GroundTruth]], capsys: pytest.CaptureFixture[str]
) -> None:
    batch = _batch_with_doubts(scans)
    out = tmp_path / "review.xlsx"
    assert main(["ocr", "review", batch, "-o", str(out)]) == 0
    wb = load_workbook(out)
    ws = wb["確認"]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, 4).value == "フリガナ":
            ws.cell(row, 9).value = "山田"  # not katakana
    wb.save(out)
    assert main(["ocr", "review", batch, "--apply", str(out)]) == ExitCode.DATA
    assert "フリガナ" in capsys.readouterr().err


def test_minutes_measured_between_export_and_import(
    ocr_home: Path, scans: tuple[Path, list[GroundTruth]]
) -> None:
    batch = _batch_with_doubts(scans)
    app = open_app()
    try:
        with app.store.session() as s:
            items = doubtful_fields(s, batch)
            review = start_review(s, batch, fields_exported=len(items))
            later = review.exported_at + timedelta(minutes=7)
            outcome = apply_review(
                s,
                token=review.token,
                batch_id=batch,
                values={f.id: f.value for _, f in items},
                reviewer="r",
                now=later,
            )
            assert outcome.minutes == 7.0 and outcome.review.minutes_source == "measured"
            assert outcome.confirmed == len(items) and outcome.corrected == 0
            again = start_review(s, batch, fields_exported=0)
            capped = apply_review(
                s,
                token=again.token,
                batch_id=batch,
                values={},
                reviewer="r",
                now=again.exported_at + timedelta(days=3),
                max_measured=6.0,
            )
            assert capped.minutes == 6.0 and capped.review.minutes_source == "capped"
    finally:
        app.close()


def test_review_of_unknown_batch(ocr_home: Path) -> None:
    assert main(["ocr", "review", "nope"]) == ExitCode.USAGE
