"""Default engine: RapidOCR (ONNX Runtime) with the PP-OCRv6 small models bundled in its wheel.

``rapidocr>=3.10`` ships ``PP-OCRv6_det_small.onnx`` and ``PP-OCRv6_rec_small.onnx`` (one
multilingual recognizer whose supported languages include ``japan``: kana and kanji) plus a
text-direction classifier. We pass those files by path so RapidOCR never tries to download.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from dxrpa.errors import DependencyMissing
from dxrpa.i18n import tr
from dxrpa.ocr.engines.base import Lattice, PageLine, Recognized, keeps

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
INPUT_HEIGHT, STRIDE = 48, 8  # the recognizer's input height and its CTC step in input pixels
#: the least width of the recognizer's input, in heights: RapidOCR pads every line to 320 × 48 (6.7),
#: which made a two-digit field cost as much as a name; half of that read the benchmark's sources
#: about as well (bench/ocr_accuracy.py: exact shares equal or within a field) in three quarters of the time
MIN_RATIO = 160 / INPUT_HEIGHT


def bundled_models_dir() -> Path:
    try:
        import rapidocr
    except ImportError:
        raise DependencyMissing(
            tr(
                "OCR エンジン rapidocr がインストールされていません",
                "the OCR engine rapidocr is not installed",
            ),
            hint="pip install 'rapidocr>=3.10' onnxruntime",
        ) from None
    return Path(rapidocr.__file__).parent / "models"


def _details(text: str, score: float, info: Any, height: int) -> Recognized:
    """Mean and weakest character probability, and where each character was decoded.

    RapidOCR's line score is the mean over characters, which hides one bad character in a long
    address; and CTC gives no probability at all to a character it dropped, but the decoded
    positions (one CTC step per ``STRIDE`` pixels of the 48-pixel-high input) show the hole.
    """
    confs = [float(c) for c in (getattr(info, "confs", None) or [])]
    if not confs:
        return Recognized(text, float(score), 0.0 if not text else float(score))
    cols = [float(c) for word in (getattr(info, "word_cols", None) or []) for c in word]
    px = STRIDE * height / INPUT_HEIGHT
    chars = tuple(confs) if len(confs) == len(text) else ()
    return Recognized(
        text, float(score), min(confs), tuple((c + 0.5) * px for c in _with_spaces(text, cols)), chars
    )


def _with_spaces(text: str, cols: list[float]) -> list[float]:
    """One decoded step per character of ``text``: RapidOCR gives none for a space, which is put
    midway between its neighbours (so that positions line up with the text)."""
    if len(cols) != sum(not ch.isspace() for ch in text) or len(cols) == len(text) or not cols:
        return cols
    out, k = [], 0
    for ch in text:
        if ch.isspace():
            out.append((cols[max(k - 1, 0)] + cols[min(k, len(cols) - 1)]) / 2)
        else:
            out.append(cols[k])
            k += 1
    return out


class RapidOcrEngine:
    """Recognition on field crops; detection only for whole-page reading."""

    name = "rapidocr"

    def __init__(self, threads: int | None = None, rec_model: str | None = None) -> None:
        from rapidocr import RapidOCR

        models = bundled_models_dir()
        rec = Path(rec_model).expanduser() if rec_model else models / REC_MODEL
        if rec_model and not rec.is_file():
            raise DependencyMissing(
                tr(
                    f"設定 ocr.rec_model の認識モデル {rec} がありません",
                    f"the recognition model {rec} named by ocr.rec_model does not exist",
                ),
                hint=tr(
                    "ONNX の認識モデルのパスを指定するか、設定を消して同梱のモデルを使ってください",
                    "name a local .onnx recognition model, or remove the setting to use the bundled one",
                ),
            )
        missing = [p.name for p in (models / DET_MODEL, rec) if not p.is_file()]
        if missing:
            raise DependencyMissing(
                tr(
                    f"RapidOCR のモデル {', '.join(missing)} が {models} にありません",
                    f"RapidOCR model(s) {', '.join(missing)} missing in {models}",
                ),
                hint="pip install --force-reinstall 'rapidocr>=3.10'",
            )
        # One ONNX thread per run and one run per field, fields in parallel: a field's result does
        # not depend on its neighbours (no batch padding), and two cores are used with no
        # intra-operator overhead on these small inputs (bench/ocr_accuracy.py).
        self._pool = ThreadPoolExecutor(
            threads or min(2, os.cpu_count() or 1), thread_name_prefix="dxrpa-ocr"
        )
        params: dict[str, Any] = {
            "Global.use_cls": False,
            "Global.log_level": "error",
            "Det.model_path": str(models / DET_MODEL),
            "Rec.model_path": str(rec),
            "Rec.lang_type": "japan",
            "Rec.rec_batch_num": 1,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        self._ocr = RapidOCR(params=params)
        self.model = rec.name if rec_model else "PP-OCRv6 small, bundled"
        self._rec: Any = self._ocr._load_rec_model()  # type: ignore[no-untyped-call]
        labels = list(self._rec.postprocess_op.character)
        self._columns = np.array([0] + [j for j, c in enumerate(labels) if j > 0 and keeps(c)])
        self._labels = tuple(labels[j] for j in self._columns)

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        imgs = [cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) if c.ndim == 2 else c for c in crops]
        longest_first = sorted(range(len(imgs)), key=lambda i: -imgs[i].shape[1] / imgs[i].shape[0])
        results = [Recognized("", 0.0, 0.0)] * len(imgs)
        for i, rec in zip(
            longest_first, self._pool.map(lambda i: self._one(imgs[i]), longest_first), strict=True
        ):
            results[i] = rec
        return results

    def _one(self, img: np.ndarray) -> Recognized:
        """RapidOCR's recognition of one crop (its resize, session and CTC decoding), keeping the
        per-step probabilities of the labels formatted fields are made of."""
        h, w = img.shape[:2]
        ratio = max(MIN_RATIO, w / h)
        batch = self._rec.resize_norm_img(img, ratio)[np.newaxis].astype(np.float32)
        preds = self._rec.session(batch)
        best, best_prob = preds.argmax(axis=2), preds.max(axis=2)  # what its CTCLabelDecode computes
        lines, words = self._rec.postprocess_op.decode(
            best, best_prob, True, [w / h], ratio, remove_duplicate=True
        )
        text, score = lines[0]
        if not text:
            return Recognized("", 0.0, 0.0)
        lattice = Lattice(self._labels, preds[0][:, self._columns], best_prob[0], STRIDE * h / INPUT_HEIGHT)
        return _details(str(text), score, words[0] if words else None, h)._replace(lattice=lattice)

    def read_page(self, image: np.ndarray) -> list[PageLine]:
        img = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        out = self._ocr(img, use_det=True, use_cls=False, use_rec=True)
        txts = list(getattr(out, "txts", None) or [])
        scores = list(getattr(out, "scores", None) or [])
        boxes = getattr(out, "boxes", None)
        lines: list[PageLine] = []
        for i, (t, s) in enumerate(zip(txts, scores, strict=False)):
            pts = np.asarray(boxes[i]) if boxes is not None else np.zeros((4, 2))
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            lines.append(PageLine(str(t), float(s), (int(x0), int(y0), int(x1), int(y1))))
        return lines
