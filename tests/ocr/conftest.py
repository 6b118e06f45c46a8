"""OCR test fixtures: real RapidOCR models, real fonts, scans rendered once per session.

Seeds here (1xx) differ from the benchmark's (9101, 9202), so the benchmark measures forms the
tests never saw.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dxrpa.config import OcrSettings
from dxrpa.demo.forms.layout import GOTHIC, MINCHO, NOTO_SANS
from dxrpa.demo.scans import GroundTruth, generate
from dxrpa.ocr.engines.base import Engine, get_engine
from dxrpa.ocr.pipeline import FormReader
from dxrpa.ocr.template import get_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "ocr" / "templates"


def _require_fonts() -> None:
    missing = [f for f in (GOTHIC, MINCHO, NOTO_SANS) if not Path(f).is_file()]
    if missing:
        pytest.fail(
            f"Japanese fonts missing ({', '.join(missing)}): apt-get install fonts-ipaexfont fonts-noto-cjk"
        )


@pytest.fixture(scope="session")
def engine() -> Engine:
    try:
        import rapidocr  # noqa: F401
    except ImportError:
        pytest.fail("rapidocr is not installed: pip install 'rapidocr>=3.10' onnxruntime")
    return get_engine(OcrSettings())


@pytest.fixture(scope="session")
def scans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[GroundTruth]]:
    """4 住民票 scans (2 printed, 2 handwriting-like, PNG/JPEG/PDF) + 3 refused ones."""
    _require_fonts()
    folder = tmp_path_factory.mktemp("scans")
    truths = generate(folder, "juminhyo", 4, 101, handwriting_share=0.5, unreadable=3, first_number=100101)
    return folder, truths


@pytest.fixture(scope="session")
def reader(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> FormReader:
    return FormReader(get_template("juminhyo", TEMPLATES), engine, crops_dir=tmp_path_factory.mktemp("crops"))


@pytest.fixture
def ocr_home(dx_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An isolated dxrpa home whose templates are the shipped ones."""
    monkeypatch.setenv("DXRPA_TEMPLATES_DIR", str(TEMPLATES))
    yield dx_home
