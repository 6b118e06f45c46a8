"""Load scanned input into grayscale page images: PDF (pypdfium2), multi-page TIFF, JPEG, PNG.

Every way a file can be unusable becomes a :class:`~dxrpa.errors.DataError` naming the file, so
the caller records it for that file and goes on with the others. Decompression bombs are refused
before decoding: Pillow's ``MAX_IMAGE_PIXELS`` plus an explicit size check on the header.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from dxrpa.errors import DataError
from dxrpa.i18n import tr

MAX_PIXELS = 80_000_000  # ~ A3 at 600 dpi; anything larger is refused unread
MAX_PAGES = 500
PDF_DPI = 150
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
SUFFIXES = IMAGE_SUFFIXES | {".pdf"}

Image.MAX_IMAGE_PIXELS = MAX_PIXELS
Page = np.ndarray


def expand_inputs(inputs: list[Path]) -> list[Path]:
    """Files given directly, plus the scan files inside given folders (sorted)."""
    out: list[Path] = []
    for item in inputs:
        if item.is_dir():
            out.extend(sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            out.append(item)
    return out


def _bad(path: Path, ja: str, en: str, hint_ja: str = "", hint_en: str = "") -> DataError:
    hint = tr(hint_ja, hint_en) if hint_ja else None
    return DataError(f"{path.name}: {tr(ja, en)}", hint=hint)


def load_pages(path: Path) -> Iterator[Page]:
    """Yield each page of ``path`` as a uint8 grayscale array, red ink dropped out; raise DataError
    if unusable."""
    return (scan.gray() for scan in load_scans(path))


def load_scans(path: Path) -> Iterator[Scan]:
    """Yield each page of ``path`` as a :class:`Scan`; raise DataError if unusable."""
    if not path.is_file():
        raise _bad(path, "ファイルが見つかりません", "file not found")
    if path.stat().st_size == 0:
        raise _bad(
            path,
            "ファイルが空です（0バイト）",
            "the file is empty (0 bytes)",
            "スキャンし直してください",
            "scan it again",
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF"):
        yield from _pdf_pages(path)
    else:
        yield from _image_pages(path)


def _check_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS or width <= 0 or height <= 0:
        raise _bad(
            path,
            f"画像が大きすぎます（{width}×{height} ピクセル）。解凍爆弾の可能性があるため読み込みません",
            f"image too large ({width}×{height} pixels); refused as a possible decompression bomb",
            "300 dpi 以下でスキャンしてください",
            "scan at 300 dpi or less",
        )


RED_MARGIN, RED_FULL = 20.0, 60.0  # red above green and blue by this much: partly, fully seal ink
#: a page whose ink is red for more than this share is printed in red or orange (many city forms
#: are, and forms made for OCR print in a drop-out colour): its red is the form, not a seal. A 印鑑 and
#: a 受付印 are a few per cent of a black form's ink; a red form's print is most of it
RED_PRINT, INKED, REDDER = 0.25, 25.0, 30.0


@dataclass(frozen=True)
class Scan:
    """A page as loaded, with what dropping its red ink out would add to it.

    Forms are written in black or blue; a red seal pressed over a field is not part of the writing
    but as luminance it is as dark as a pen stroke. Where a pixel is red, its red channel is used
    instead (red ink is bright there, black ink under the seal stays dark), blending in over the
    seal's soft edge; other colours (blue ink, coloured paper) keep their luminance.

    A form printed in red or orange (``red_print``) is kept as its darkest channel instead: its print
    is as dark as on a black form there (orange is as light as 160 in luminance, hardly ink), and the
    page is aligned on it before its red is dropped out.
    """

    image: Page  # luminance, or the darkest channel of a form printed in red
    lift: Page | None  # what dropping the red out adds to ``image``; None: nothing on the page is red
    red_print: bool = False

    def gray(self) -> Page:
        """The page with red ink dropped out."""
        if self.lift is None:
            return self.image
        return np.asarray(cv2.add(self.image, self.lift))


def to_gray(image: Image.Image) -> Page:
    """A page as grayscale, with red seal ink (印鑑, 受付印) dropped out (see :class:`Scan`)."""
    return split_red(image).gray()


def blank_gray(image: Image.Image) -> Page:
    """A blank form as its filled pages are read: luminance, or a form printed in red its darkest
    channel (red is not dropped out of a blank: it has no seal, and its print is the form)."""
    scan = split_red(image)
    return scan.image if scan.red_print else np.asarray(image.convert("L"), dtype=np.uint8).copy()


def split_red(image: Image.Image) -> Scan:
    """``image`` as grayscale and, when anything on it is red, what dropping the red out adds."""
    if image.mode in ("L", "1", "I", "I;16", "F") or (image.mode == "P" and not _has_colour(image)):
        return Scan(np.asarray(image.convert("L"), dtype=np.uint8).copy(), None)
    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"), dtype=np.uint8)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    red, green, blue = cv2.split(rgb)
    excess = cv2.subtract(red, cv2.max(green, blue))  # how much redder than it is anything else
    seal = excess > RED_MARGIN
    if not seal.any():
        return Scan(gray, None)
    # ink: darker than the paper (most of the page) by INKED; red ink: redder than the paper by REDDER
    # (pink paper is as red as 30, and darker where the scan is; a pale orange print, 60)
    paper = np.median(rgb[::8, ::8].reshape(-1, 3), axis=0)
    paper_luma = float(paper @ (0.299, 0.587, 0.114))
    inked = gray < paper_luma - INKED
    reddish = excess > float(paper[0] - max(paper[1], paper[2])) + REDDER
    red_print = int(np.count_nonzero(inked & reddish)) > RED_PRINT * max(int(np.count_nonzero(inked)), 1)
    if red_print:
        gray = cv2.min(red, cv2.min(green, blue))
    # share of seal ink (0 at RED_MARGIN, 1 from RED_FULL) times how much lighter the red channel is
    share = np.clip(excess, int(RED_MARGIN), int(RED_FULL)) - np.uint8(RED_MARGIN)
    lift = cv2.multiply(share, cv2.subtract(red, gray), scale=1 / (RED_FULL - RED_MARGIN), dtype=cv2.CV_8U)
    return Scan(gray, np.asarray(lift), red_print)


def _has_colour(image: Image.Image) -> bool:
    palette = image.getpalette() or []
    return any(
        palette[i] != palette[i + 1] or palette[i] != palette[i + 2] for i in range(0, len(palette) - 2, 3)
    )


def _image_pages(path: Path) -> Iterator[Scan]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            _check_size(path, *img.size)
            for count, frame in enumerate(ImageSequence.Iterator(img), start=1):
                if count > MAX_PAGES:
                    raise _bad(path, f"ページが多すぎます（>{MAX_PAGES}）", f"too many pages (>{MAX_PAGES})")
                _check_size(path, *frame.size)
                yield split_red(frame)
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(found.group(1)):,}" if found else "?"
        raise _bad(
            path,
            f"画像が大きすぎます（{pixels} ピクセル）。解凍爆弾の可能性があるため読み込みません",
            f"image too large ({pixels} pixels); refused as a possible decompression bomb",
            "300 dpi 以下でスキャンしてください",
            "scan at 300 dpi or less",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _bad(
            path,
            f"画像として読み込めません（{type(exc).__name__}）",
            f"cannot read the file as an image ({type(exc).__name__})",
            "PDF・TIFF・JPEG・PNG のいずれかで保存してください",
            "save it as PDF, TIFF, JPEG or PNG",
        ) from exc


def _pdf_pages(path: Path) -> Iterator[Scan]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise _bad(
                path,
                "PDF が暗号化（パスワード保護）されています",
                "the PDF is encrypted (password protected)",
                "パスワードを外して保存し直してください",
                "save it again without a password",
            ) from exc
        raise _bad(
            path,
            f"PDF が壊れています（{exc}）",
            f"the PDF is corrupt ({exc})",
            "スキャンし直してください",
            "scan it again",
        ) from exc
    try:
        n = len(pdf)
        if n == 0:
            raise _bad(path, "PDF にページがありません", "the PDF has no pages")
        if n > MAX_PAGES:
            raise _bad(path, f"ページが多すぎます（{n}）", f"too many pages ({n})")
        for i in range(n):
            page = pdf[i]
            try:
                w, h = page.get_size()
                scale = PDF_DPI / 72
                _check_size(path, int(w * scale), int(h * scale))
                arr = split_red(page.render(scale=scale).to_pil())
            except pdfium.PdfiumError as exc:
                raise _bad(
                    path, f"{i + 1} ページ目を描画できません（{exc}）", f"cannot render page {i + 1} ({exc})"
                ) from exc
            finally:
                page.close()
            yield arr
    finally:
        pdf.close()
