"""Issue 6: ``dxrpa demo`` on the embedded defaults; its printed summary must match the sample
app's own records, the dxrpa database and the report it wrote."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dxrpa.demo.webapp import read_applications
from dxrpa.store import Store
from dxrpa.store.tables import Run
from tests.conftest import CHROMIUM, require_chromium

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_summary_matches_the_apps_records(tmp_path: Path) -> None:
    require_chromium()
    folder = tmp_path / "demo"
    env = dict(os.environ, DXRPA_LANG="en", DXRPA_BROWSER__EXECUTABLE=CHROMIUM, COLUMNS="200")
    env.pop("DXRPA_HOME", None)
    proc = subprocess.run(
        [sys.executable, "-m", "dxrpa", "demo", "--dir", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr

    def found(pattern: str) -> re.Match[str]:
        match = re.search(pattern, out)
        assert match is not None, f"{pattern!r} not in the demo's output:\n{out}"
        return match

    done = int(found(r"done (\d+) / business errors (\d+) / system errors (\d+)").group(1))
    once, twice, missing = map(int, found(r"entered once (\d+), twice (\d+), missing (\d+)").groups())
    unreadable = int(found(r"\((\d+) unreadable\)").group(1))
    hours = float(re.search(r"([\d,.]+) h", out).group(1).replace(",", ""))  # type: ignore[union-attr]

    apps = read_applications(folder / "sample_app.sqlite")
    counts = Counter(a["受付番号"] for a in apps)
    assert len(counts) == once == done == 20 and twice == 0 and missing == 0
    assert all(n == 1 for n in counts.values())
    assert unreadable == 1

    store = Store(f"sqlite:///{folder / 'var' / 'dxrpa.db'}")
    with store.session() as s:
        runs = list(s.scalars(select(Run)))
    assert [(r.status, r.items_done) for r in runs] == [("succeeded", 20)]

    wb = load_workbook(next(folder.glob("report_FY*.xlsx")), read_only=True)
    values = [
        v for row in wb.worksheets[0].iter_rows(values_only=True) for v in row if isinstance(v, int | float)
    ]
    assert any(abs(v - hours) < 0.01 for v in values), "the summary sheet carries the hours printed"
    assert (folder / "review.xlsx").is_file()
    assert next(folder.glob("report_FY*.html")).read_text(encoding="utf-8").count("<svg") >= 1
