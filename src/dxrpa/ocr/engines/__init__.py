"""Text recognition engines behind one small interface; each is loaded once per process."""

from dxrpa.ocr.engines.base import Engine, Recognized, get_engine

__all__ = ["Engine", "Recognized", "get_engine"]
