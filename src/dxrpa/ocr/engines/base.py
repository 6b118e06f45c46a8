"""The engine interface: recognize a batch of single-line field crops → (text, confidence).

Engines are heavy (ONNX sessions, model files), so :func:`get_engine` builds each one once per
process and hands the same instance to every caller.
"""

from __future__ import annotations

import threading
from typing import NamedTuple, Protocol

import numpy as np

from dxrpa.config import OcrSettings

#: labels whose per-step probabilities an engine keeps (:class:`Lattice`): what the grammars of
#: formatted fields are made of (dxrpa.ocr.grammar), besides every single ASCII character
LATTICE_CHARS = frozenset("年月日元令平昭大明和成正治〒・ー一－−‐―—–〜～（）＠〇０１２３４５６７８９｜")


class Lattice(NamedTuple):
    """A line's per-step label probabilities (CTC), for the labels of :data:`LATTICE_CHARS`."""

    labels: tuple[str, ...]  # column 0 is the CTC blank
    probs: np.ndarray  # steps × labels
    best: np.ndarray  # each step's highest probability over all the recognizer's labels
    px: float  # crop pixels per step


def keeps(label: str) -> bool:
    """Whether a recognizer label is one a :class:`Lattice` keeps."""
    return label in LATTICE_CHARS or (len(label) == 1 and 32 <= ord(label) < 127)


class Recognized(NamedTuple):
    text: str
    confidence: float  # mean character probability
    weakest: float = 1.0  # probability of the least certain character
    centers: tuple[float, ...] = ()  # x of each character's centre in crop pixels (when the engine knows)
    chars: tuple[float, ...] = ()  # probability of each character of ``text`` (when the engine knows)
    lattice: Lattice | None = None  # the per-step probabilities behind ``text`` (when the engine has them)
    #: the most the field's confidence may be (dxrpa.ocr.ctc): how likely the recognizer found this
    #: reading against its own first choice when the field's grammar forced it, and how unlikely a
    #: digit it dropped is
    cap: float = 1.0


class PageLine(NamedTuple):
    text: str
    confidence: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels


class Engine(Protocol):
    name: str

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        """Read one line of text from each grayscale crop (recognition only, no detection)."""
        ...

    def read_page(self, image: np.ndarray) -> list[PageLine]:
        """Detect and read every text line of a whole page (used by the naive baseline and `ocr:` steps)."""
        ...


_engines: dict[tuple[str, str | None, str | None, str | None, str | None], Engine] = {}
_lock = threading.Lock()


def get_engine(settings: OcrSettings) -> Engine:
    """The engine named in settings (``rapidocr`` by default), built once per process."""
    key = (
        settings.engine,
        settings.paddle_det_model_dir,
        settings.paddle_rec_model_dir,
        settings.tesseract_cmd,
        settings.rec_model,
    )
    with _lock:
        if key not in _engines:
            engine: Engine
            if settings.engine == "paddle":
                from dxrpa.ocr.engines.paddle import PaddleEngine

                engine = PaddleEngine(settings.paddle_det_model_dir, settings.paddle_rec_model_dir)
            elif settings.engine == "tesseract":
                from dxrpa.ocr.engines.tesseract import TesseractEngine

                engine = TesseractEngine(settings.tesseract_cmd)
            else:
                from dxrpa.ocr.engines.rapidocr import RapidOcrEngine

                engine = RapidOcrEngine(rec_model=settings.rec_model)
            _engines[key] = engine
        return _engines[key]
