"""Robots reading OCR: a stored batch, or a scanner's drop folder with files moved to done/failed."""

from __future__ import annotations

import shutil
from pathlib import Path

from dxrpa.app import open_app
from dxrpa.demo.scans import GroundTruth
from dxrpa.engine.ocr_source import load_ocr_items, run_ocr
from dxrpa.model.robot import OcrSource
from dxrpa.store.ocr_repo import apply_review, doubtful_fields, start_review


def test_batch_latest_rows(ocr_home: Path, scans: tuple[Path, list[GroundTruth]]) -> None:
    folder, truths = scans
    good = [t for t in truths if not t.expect_failure][:2]
    app = open_app()
    try:
        run = run_ocr(app.store, app.settings, "juminhyo", [folder / t.file for t in good])
        items = load_ocr_items(
            app.store, app.settings, OcrSource(batch="latest", template="juminhyo", status="all"), "robot-a"
        )
        assert len(items.rows) == 2 and items.batch_id == run.batch_id
        row = items.rows[0]
        assert row["受付番号"] == good[0].values["受付番号"]
        assert row["_document"] and row["_source_file"].endswith(good[0].file)
        items.finish({row["受付番号"]})  # the robot used 受付番号 as its item key
        again = load_ocr_items(
            app.store,
            app.settings,
            OcrSource(batch=run.batch_id, template="juminhyo", status="all"),
            "robot-a",
        )
        assert [r["_document"] for r in again.rows] == [items.rows[1]["_document"]]
        other = load_ocr_items(
            app.store, app.settings, OcrSource(batch="latest", template="juminhyo", status="all"), "robot-b"
        )
        assert len(other.rows) == 2
    finally:
        app.close()


def test_folder_mode(ocr_home: Path, scans: tuple[Path, list[GroundTruth]]) -> None:
    folder, truths = scans
    inbox = ocr_home / "scans" / "inbox"
    inbox.mkdir(parents=True)
    good = [t for t in truths if not t.expect_failure][:3]
    bad = next(t for t in truths if t.expect_failure)
    for t in [*good, bad]:
        shutil.copy(folder / t.file, inbox / t.file)
    spec = OcrSource(folder="scans/inbox", template="juminhyo")
    app = open_app()
    try:
        items = load_ocr_items(app.store, app.settings, spec, "inbox-robot")
        assert len(items.rows) + items.held == 3
        assert all(r["_source_file"] for r in items.rows)
        # a run that stopped before finish() left the files in the inbox: they are not read twice
        crashed = load_ocr_items(app.store, app.settings, spec, "inbox-robot")
        assert crashed.batch_id is None and len(crashed.rows) == len(items.rows)
        items.finish({r["_document"] for r in items.rows})
        assert sorted(p.name for p in (ocr_home / "scans" / "failed").iterdir()) == [bad.file]
        assert sorted(p.name for p in (ocr_home / "scans" / "done").iterdir()) == sorted(t.file for t in good)
        assert list(inbox.iterdir()) == []

        # nothing new: entered forms are not handed over again
        again = load_ocr_items(app.store, app.settings, spec, "inbox-robot")
        assert again.rows == [] and again.held == items.held

        # put one entered form back into review; once reviewed, every held form becomes a row of a later run
        from sqlalchemy import select

        from dxrpa.store.ocr_repo import mark_taken
        from dxrpa.store.ocr_tables import OcrDocument, OcrField

        with app.store.session() as s:
            doc = s.scalars(
                select(OcrDocument).where(OcrDocument.status != "failed").order_by(OcrDocument.id)
            ).first()
            assert doc is not None
            if doc.status == "ok":
                mark_taken(s, "inbox-robot", [doc.id], status="failed")
                field = s.scalars(select(OcrField).where(OcrField.document_id == doc.id)).first()
                assert field is not None
                field.status, doc.status = "review", "review"
            batch_id = doc.batch_id
        held = load_ocr_items(app.store, app.settings, spec, "inbox-robot")
        assert held.rows == [] and held.held >= 1
        with app.store.session() as s:
            pending = doubtful_fields(s, batch_id)
            review = start_review(s, batch_id, fields_exported=len(pending))
            apply_review(
                s,
                token=review.token,
                batch_id=batch_id,
                values={f.id: f.value for _, f in pending},
                reviewer="r",
                minutes=1,
            )
        after = load_ocr_items(app.store, app.settings, spec, "inbox-robot")
        assert len(after.rows) == held.held and after.held == 0
        assert str(doc.id) in {r["_document"] for r in after.rows}
    finally:
        app.close()


def test_missing_inbox_is_a_clear_error(ocr_home: Path) -> None:
    import pytest

    from dxrpa.errors import DataError

    app = open_app()
    try:
        with pytest.raises(DataError, match="受信フォルダ"):
            load_ocr_items(app.store, app.settings, OcrSource(folder="nowhere", template="juminhyo"), "r")
    finally:
        app.close()


def test_ocr_step_reader(ocr_home: Path, scans: tuple[Path, list[GroundTruth]]) -> None:
    import io

    from PIL import Image, ImageDraw

    from dxrpa.config import load_settings
    from dxrpa.demo.forms.layout import GOTHIC, font
    from dxrpa.engine.ocr_source import make_ocr_reader

    read = make_ocr_reader(load_settings())
    folder, truths = scans
    gt = next(t for t in truths if not t.expect_failure)
    values = read(folder / gt.file, "juminhyo")
    assert values["受付番号"] == gt.values["受付番号"]
    img = Image.new("L", (420, 80), 255)
    ImageDraw.Draw(img).text((10, 15), "申請番号 A-1234", font=font(GOTHIC, 36), fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    assert "1234" in read(buf.getvalue(), None)
