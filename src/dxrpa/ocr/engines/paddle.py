"""Optional engine: PaddleOCR 3.x (``pip install 'dxrpa[paddle]'``) with model folders from settings.

PaddleOCR downloads models from several hubs when none are given, which hangs ~10 s and fails in
a closed network, so both folders are required and checked before PaddleOCR is even imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dxrpa.errors import DependencyMissing
from dxrpa.i18n import tr
from dxrpa.ocr.engines.base import PageLine, Recognized


class PaddleEngine:
    name = "paddle"

    def __init__(self, det_dir: str | None, rec_dir: str | None) -> None:
        for key, folder in (("ocr.paddle_det_model_dir", det_dir), ("ocr.paddle_rec_model_dir", rec_dir)):
            if not folder or not Path(folder).is_dir():
                raise DependencyMissing(
                    tr(
                        f"PaddleOCR のモデルフォルダ（設定 {key} = {folder!s}）がありません",
                        f"PaddleOCR model folder missing (setting {key} = {folder!s})",
                    ),
                    hint=tr(
                        "configs/dxrpa.toml の [ocr] にモデルのフォルダを指定してください",
                        "set the model folders under [ocr] in configs/dxrpa.toml (dxrpa never downloads)",
                    ),
                )
        try:
            from paddleocr import PaddleOCR, TextRecognition
        except ImportError:
            raise DependencyMissing(
                tr("paddleocr がインストールされていません", "paddleocr is not installed"),
                hint="pip install 'dxrpa[paddle]'",
            ) from None
        self._rec: Any = TextRecognition(model_dir=rec_dir)
        self._ocr: Any = PaddleOCR(
            text_detection_model_dir=det_dir,
            text_recognition_model_dir=rec_dir,
            use_doc_orientation_classify=False,
            use_doc_unwarping=False,
            use_textline_orientation=False,
        )

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        out: list[Recognized] = []
        for res in self._rec.predict(list(crops), batch_size=8):
            out.append(Recognized(str(res["rec_text"]), float(res["rec_score"])))
        return out

    def read_page(self, image: np.ndarray) -> list[PageLine]:
        out: list[PageLine] = []
        for res in self._ocr.predict(image):
            for t, s, b in zip(res["rec_texts"], res["rec_scores"], res["rec_boxes"], strict=False):
                out.append(PageLine(str(t), float(s), (int(b[0]), int(b[1]), int(b[2]), int(b[3]))))
        return out
