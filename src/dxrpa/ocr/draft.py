"""Draft a template from a blank form image: find the empty boxes (OpenCV contours) to fill in.

Staff then rename ``field_01``… and set types; boxes smaller than ~50 px square become checkboxes.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import yaml
from PIL import Image

from dxrpa.errors import DataError
from dxrpa.i18n import tr
from dxrpa.ocr.load import blank_gray

Rect = tuple[int, int, int, int]


def _as_black(gray: np.ndarray) -> np.ndarray:
    """A blank printed in a light colour (its print lighter than 60) stretched until its print is
    black, so that its boxes and its labels are found as on a black form."""
    marked = gray < 230
    level = float(np.percentile(gray[marked], 10)) if marked.any() else 0.0
    if level < 60:
        return gray
    return np.asarray(np.clip((gray.astype(np.float32) - level) * 255 / (255 - level), 0, 255), np.uint8)


def find_boxes(gray: np.ndarray) -> list[Rect]:
    """Rectangles that are empty inside (writing areas and checkboxes), top-to-bottom, left-to-right."""
    gray = _as_black(gray)
    ink = (gray < 200).astype(np.uint8) * 255
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    h_img, w_img = gray.shape
    found: list[Rect] = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if w < 20 or h < 20 or w > 0.9 * w_img or h > 0.3 * h_img:
            continue
        approx = cv2.approxPolyDP(c, 0.02 * cv2.arcLength(c, True), True)
        if len(approx) != 4 or cv2.contourArea(c) < 0.8 * w * h:
            continue
        inset = 6
        inner = gray[y + inset : y + h - inset, x + inset : x + w - inset]
        if inner.size == 0 or float(np.mean(inner < 200)) > 0.01:
            continue  # something printed inside: a label cell, not a writing area
        found.append((x + 2, y + 2, w - 4, h - 4))
    unique: list[Rect] = []
    for r in sorted(found, key=lambda b: (b[1] // 20, b[0])):
        if not any(abs(r[0] - u[0]) < 8 and abs(r[1] - u[1]) < 8 and abs(r[2] - u[2]) < 16 for u in unique):
            unique.append(r)
    return unique


def draft_template(image: Path, out: Path | None = None) -> Path:
    """Write ``NAME.yaml`` beside ``image`` (or at ``out``) listing the boxes found."""
    try:
        with Image.open(image) as im:
            gray = blank_gray(im)
    except (OSError, ValueError):
        raise DataError(
            tr(f"{image.name}: 画像として読めません", f"{image.name}: cannot read the image")
        ) from None
    boxes = find_boxes(gray)
    if not boxes:
        raise DataError(
            tr(f"{image.name}: 記入枠が見つかりません", f"{image.name}: no writing boxes found"),
            hint=tr(
                "罫線のはっきりした白紙の様式を 150〜300 dpi で用意してください",
                "use a clean blank form at 150-300 dpi",
            ),
        )
    name = re.sub(r"[^a-z0-9_\-]", "_", image.stem.lower()) or "form"
    fields = []
    for i, (x, y, w, h) in enumerate(boxes, start=1):
        ftype = "checkbox" if max(w, h) < 50 else "text"
        fields.append({"name": f"field_{i:02d}", "type": ftype, "box": [x, y, w, h]})
    data = {
        "name": name,
        "title": "",
        "department": "",
        "image": image.name,
        "page": {"width": int(gray.shape[1]), "height": int(gray.shape[0])},
        "fields": fields,
    }
    target = out or image.with_suffix(".yaml")
    header = tr(
        "# dxrpa ocr template init が作った下書きです。項目名(name)と型(type)を直してください。\n",
        "# Draft written by `dxrpa ocr template init`: rename the fields and set their types.\n",
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)
    target.write_text(header + body, encoding="utf-8")
    return target
