"""Issue 12 formula injection: a key, an OCR value or a department name such as
``=HYPERLINK("http://x","y")`` comes back from every workbook dxrpa writes as that literal text,
never as a live formula; real numbers stay numbers."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from dxrpa.demo.data import juminhyo_rows
from dxrpa.demo.webapp import SampleApp
from dxrpa.model.form import FieldResult, FormResult, FormTemplate
from dxrpa.ocr.export import write_results
from dxrpa.ocr.review import ReviewItem, write_review_workbook
from tests.engine.conftest import robot_env, sample_app  # noqa: F401  (fixtures)
from tests.engine.test_bad_input import dx, robot_text, write_robot

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\t=1+1"]


def cells_with(path: Path, values: list[str]) -> dict[str, tuple[object, str]]:
    """Every cell whose value is one of ``values``: value → (value, data_type) as openpyxl reads it."""
    found: dict[str, tuple[object, str]] = {}
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value in values:
                    found[str(c.value)] = (c.value, c.data_type)
    return found


def assert_text(path: Path, values: list[str]) -> None:
    found = cells_with(path, values)
    assert sorted(found) == sorted(values), found
    assert all(kind == "s" for _, kind in found.values()), found


def test_results_workbook_and_report_keep_hostile_text_as_text(
    robot_env: Path,  # noqa: F811
    sample_app: SampleApp,  # noqa: F811
) -> None:
    department = HOSTILE[0]
    write_robot(
        robot_env,
        robot_text(
            **{
                "department: 市民課": f"department: '{department}'",
                "  excel: data/juminhyo.xlsx\n  sheet: 申請一覧\n": "  csv: data/list.csv\n",
            }
        ),
    )
    rows = juminhyo_rows(3)
    keys = HOSTILE[:3]
    for row, key in zip(rows, keys, strict=True):
        row["受付番号"] = key  # fails validate: a business error, still a row in the results workbook
    (robot_env / "data").mkdir()
    with (robot_env / "data" / "list.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert dx(robot_env, "robots", "register", "robots/juminhyo_entry.yaml").returncode == 0
    run = dx(robot_env, "run", "juminhyo_entry")
    results = robot_env / "results" / "juminhyo_entry.xlsx"  # the robot's results folder
    assert results.is_file(), run.stdout + run.stderr
    assert_text(results, keys)
    assert sample_app.applications() == []
    fy = datetime.now(UTC).year if datetime.now(UTC).month >= 4 else datetime.now(UTC).year - 1
    report = robot_env / "r.xlsx"
    out = dx(robot_env, "report", "--fy", str(fy), "-o", str(report))
    assert out.returncode == 0, out.stdout + out.stderr
    assert_text(report, [department])
    csv_out = robot_env / "r.csv"
    assert dx(robot_env, "report", "--fy", str(fy), "-f", "csv", "-o", str(csv_out)).returncode == 0
    fields = [f for row in csv.reader(csv_out.read_text(encoding="utf-8-sig").splitlines()) for f in row]
    assert "'" + department in fields and department not in fields


def test_ocr_export_and_review_workbooks_keep_hostile_text_as_text(tmp_path: Path) -> None:
    template = FormTemplate.model_validate(
        {
            "name": "t",
            "title": "t",
            "image": "t.png",
            "page": {"width": 1240, "height": 1754},
            "fields": [{"name": f"f{i}", "box": [10, 10 + 80 * i, 300, 60]} for i in range(len(HOSTILE))],
        }
    )
    form = FormResult(
        source_file="scan.png",
        page=-1,  # a real negative number: it stays a number
        fields=[
            FieldResult(name=f"f{i}", type="text", value=v, text=v, status="ok")
            for i, v in enumerate(HOSTILE)
        ],
    )
    write_results(tmp_path / "r.xlsx", template, [form], batch_id="B1")
    assert_text(tmp_path / "r.xlsx", HOSTILE)
    page = load_workbook(tmp_path / "r.xlsx").worksheets[0].cell(2, 2)
    assert (page.value, page.data_type) == (-1, "n")
    items = [
        ReviewItem(i + 1, "scan.png", 1, f"f{i}", "text", v, v, 0.5, "low confidence", None)
        for i, v in enumerate(HOSTILE)
    ]
    path = write_review_workbook(
        tmp_path / "review.xlsx",
        token="tok",
        batch_id="B1",
        template="t",
        items=items,
        exported_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert_text(path, HOSTILE)
