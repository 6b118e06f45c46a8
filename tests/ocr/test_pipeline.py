"""Real RapidOCR models on scans rendered with real Japanese fonts (printed and handwriting-like)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dxrpa.demo.scans import GroundTruth, generate
from dxrpa.model.form import FormResult
from dxrpa.ocr.engines.base import Engine
from dxrpa.ocr.export import write_results
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.template import get_template

from .conftest import TEMPLATES


@pytest.fixture(scope="module")
def results(
    scans: tuple[Path, list[GroundTruth]], reader: FormReader
) -> list[tuple[GroundTruth, FormResult]]:
    folder, truths = scans
    return [(gt, next(iter(reader.read_file(folder / gt.file)))) for gt in truths if not gt.expect_failure]


def test_pages_align_with_quality_reported(results: list[tuple[GroundTruth, FormResult]]) -> None:
    for gt, res in results:
        assert res.status in ("ok", "review"), (gt.file, res.error)
        assert res.alignment is not None and res.alignment.score > 0.8
        assert res.alignment.inliers >= 50


def test_fields_read_correctly(results: list[tuple[GroundTruth, FormResult]]) -> None:
    total = correct = 0
    wrong_but_ok = []
    for gt, res in results:
        for f in res.fields:
            total += 1
            correct += f.value == gt.values[f.name]
            if f.value != gt.values[f.name] and f.status == "ok":
                wrong_but_ok.append((gt.file, f.name))
            if f.type in ("checkbox", "choice", "date", "number", "postal_code"):
                assert f.value == gt.values[f.name], (gt.file, f.name, f.text)
    assert correct / total >= 0.97, f"{correct}/{total}"
    assert not wrong_but_ok, "auto-accepted but wrong"


def test_handwriting_like_and_printed_both_present(results: list[tuple[GroundTruth, FormResult]]) -> None:
    assert {gt.style for gt, _ in results} == {"printed", "handwriting"}


@pytest.mark.slow
def test_second_form_type_with_my_number(engine: Engine, tmp_path: Path) -> None:
    truths = generate(tmp_path, "inkan", 2, 131, handwriting_share=0.0, formats=(".png",))
    reader = FormReader(get_template("inkan", TEMPLATES), engine)
    for gt in truths:
        res = next(iter(reader.read_file(tmp_path / gt.file)))
        values = res.values()
        for name in (
            "受付番号",
            "登録番号",
            "申請日",
            "生年月日",
            "必要部数",
            "代理人による申請",
            "個人番号",
        ):
            assert values[name] == gt.values[name], (name, values[name])
        assert values["ふりがな"] == gt.values["ふりがな"]


def test_outputs_xlsx_csv_json(results: list[tuple[GroundTruth, FormResult]], tmp_path: Path) -> None:
    spec = get_template("juminhyo", TEMPLATES).spec
    forms = [r for _, r in results]
    forms[0].fields[2].status = "review"  # make sure one doubtful cell exists
    forms[0].fields[2].reason = "test"
    write_results(tmp_path / "r.xlsx", spec, forms, batch_id="B1")
    ws = load_workbook(tmp_path / "r.xlsx")["読取結果"]
    header = [c.value for c in ws[1]]
    assert header[4:] == [f.name for f in spec.fields]
    cell = ws.cell(2, 4 + 3)
    assert cell.fill.fgColor.rgb.endswith("FFF2CC")
    assert cell.comment is not None and "確信度" in cell.comment.text
    assert cell.hyperlink is not None and cell.hyperlink.target.endswith(".png")
    write_results(tmp_path / "r.csv", spec, forms)
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][4] == "受付番号" and len(rows) == len(forms) + 1
    write_results(tmp_path / "r932.csv", spec, forms, encoding="cp932")
    assert "受付番号" in (tmp_path / "r932.csv").read_bytes().decode("cp932")
    write_results(tmp_path / "r.json", spec, forms, batch_id="B1")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["template"] == "juminhyo" and len(data["forms"]) == len(forms)


def test_my_number_never_logged(engine: Engine, tmp_path: Path, ocr_home: Path) -> None:
    from loguru import logger

    from dxrpa.app import open_app
    from dxrpa.engine.ocr_source import run_ocr

    truths = generate(tmp_path / "in", "inkan", 2, 141, handwriting_share=0.0, formats=(".png",))
    numbers = [t.values["個人番号"] for t in truths if t.values["個人番号"]]
    assert numbers, "the generator should have written a My Number"
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", format="{message}")
    app = open_app()
    try:
        run = run_ocr(app.store, app.settings, "inkan", [tmp_path / "in" / t.file for t in truths])
    finally:
        logger.remove(sink)
        app.close()
    assert any("OCR" in line for line in lines)
    for number in numbers:
        assert not any(number in line for line in lines)
    read = {r.values()["個人番号"] for r in run.results}
    assert set(numbers) <= read
