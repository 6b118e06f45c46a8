"""Optional fallback engine: Tesseract with the ``jpn`` language (far weaker on Japanese).

Needs ``pip install 'dxrpa[tesseract]'`` and ``apt-get install tesseract-ocr tesseract-ocr-jpn``.
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np

from dxrpa.errors import DependencyMissing
from dxrpa.i18n import tr
from dxrpa.ocr.engines.base import PageLine, Recognized

HINT = "pip install 'dxrpa[tesseract]' && apt-get install tesseract-ocr tesseract-ocr-jpn"


class TesseractEngine:
    name = "tesseract"

    def __init__(self, cmd: str | None) -> None:
        try:
            import pytesseract
        except ImportError:
            raise DependencyMissing(
                tr("pytesseract がありません", "pytesseract is not installed"), hint=HINT
            ) from None
        exe = cmd or shutil.which("tesseract")
        if not exe:
            raise DependencyMissing(
                tr("tesseract コマンドがありません", "the tesseract command is missing"), hint=HINT
            )
        pytesseract.pytesseract.tesseract_cmd = exe
        if "jpn" not in pytesseract.get_languages(config=""):
            raise DependencyMissing(
                tr("tesseract の jpn 言語データがありません", "tesseract has no jpn data"), hint=HINT
            )
        self._tess: Any = pytesseract

    def _read(self, image: np.ndarray, psm: int) -> Recognized:
        data = self._tess.image_to_data(
            image, lang="jpn", config=f"--psm {psm}", output_type=self._tess.Output.DICT
        )
        words = [(w, float(c)) for w, c in zip(data["text"], data["conf"], strict=False) if str(w).strip()]
        if not words:
            return Recognized("", 0.0)
        conf = min(c for _, c in words) / 100.0
        return Recognized("".join(w for w, _ in words), max(conf, 0.0))

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        return [self._read(c, 7) for c in crops]

    def read_page(self, image: np.ndarray) -> list[PageLine]:
        data = self._tess.image_to_data(
            image, lang="jpn", config="--psm 3", output_type=self._tess.Output.DICT
        )
        out: list[PageLine] = []
        for i, word in enumerate(data["text"]):
            if str(word).strip():
                x, y, w, h = data["left"][i], data["top"][i], data["width"][i], data["height"][i]
                out.append(PageLine(str(word), max(float(data["conf"][i]), 0.0) / 100, (x, y, x + w, y + h)))
        return out
