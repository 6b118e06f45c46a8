"""The whole-page view of the OCR review screen: the aligned page kept beside a field's crop
(``KEY_page.jpg``) and the field's place on it (``KEY_page.json``, shares of the page)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from dxrpa.console.web import NO_STORE, ConsoleState, db, require, state
from dxrpa.store.ocr_tables import OcrField

_CROP = re.compile(r"^(?P<key>.+)_f(?P<index>\d{2})\.png(\.sealed)?$")


def page_of(crop: str | None) -> tuple[Path, list[float] | None] | None:
    """The page image of a field's crop and the field's box on it (left, top, width, height as
    shares of the page), or ``None`` when the page was not kept (batches read before this)."""
    if not crop:
        return None
    path = Path(crop)
    found = _CROP.match(path.name)
    if found is None:
        return None
    image = path.with_name(f"{found['key']}_page.jpg")
    if not image.is_file():
        return None
    box: list[float] | None = None
    try:
        boxes = json.loads(image.with_suffix(".json").read_text(encoding="utf-8")).get("boxes", {})
        raw = boxes.get(found["index"])
        if isinstance(raw, list) and len(raw) == 4:
            box = [round(float(v), 5) for v in raw]
    except (OSError, ValueError, AttributeError):
        box = None
    return image, box


def _page_path(st: ConsoleState, field_id: int) -> Path:
    with st.reader.session() as s:
        field = s.get(OcrField, field_id)
        crop = field.crop if field else None
    found = page_of(crop)
    if found is None:
        raise HTTPException(404)
    path = found[0].resolve()
    if not path.is_relative_to((st.settings.var_dir / "ocr").resolve()):
        raise HTTPException(404)
    return path


async def ocr_page(request: Request) -> Response:
    await require(request, "operator")
    path = await db(request, _page_path, state(request), int(request.path_params["field_id"]))
    return FileResponse(path, media_type="image/jpeg", headers=NO_STORE)
