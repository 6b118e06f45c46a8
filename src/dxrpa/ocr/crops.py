"""Field crop images kept for review, sealed when they show a My Number.

The crop of a field whose reading may hold a My Number (a ``my_number`` field, or ten digits and
more in what was read: :func:`dxrpa.vault.must_seal`, the rule the database's OCR columns follow)
is written as a Fernet token (``KEY_fNN.png.sealed``) under the key of :class:`dxrpa.vault.PiiVault`:
the review screen and the review workbook show it, a copy of ``var/ocr/`` does not. On the page
image kept beside the crops, such fields are painted over.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from cryptography.fernet import InvalidToken

from dxrpa.errors import DataError
from dxrpa.i18n import tr

SEALED = ".sealed"  # the suffix a sealed crop's name ends with (after .png)
COVER = 160  # the grey a sealed field is painted with on the page image

Seal = Callable[[bytes], bytes]
Open = Callable[[bytes], bytes]


def write(path: Path, image: np.ndarray, seal: Seal | None) -> Path:
    """``image`` as PNG at ``path``, or sealed beside it (``path`` + ``.sealed``) when ``seal`` is given."""
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise DataError(
            tr(f"{path.name}: 切り出し画像を保存できません", f"{path.name}: cannot encode the crop")
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if seal is None:
        path.write_bytes(png.tobytes())
        return path
    target = path.with_name(path.name + SEALED)
    target.write_bytes(seal(png.tobytes()))
    return target


def is_sealed(path: str | Path) -> bool:
    return str(path).endswith(SEALED)


def read(path: str | Path, open_: Open | None) -> bytes | None:
    """A crop's PNG bytes (opened with ``open_`` when sealed); None when the file is gone, or sealed
    and no key (or another one) is given."""
    file = Path(path)
    if not file.is_file():
        return None
    data = file.read_bytes()
    if not is_sealed(file):
        return data
    try:
        return open_(data) if open_ is not None else None
    except InvalidToken:
        return None
