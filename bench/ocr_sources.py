"""Sources for bench/ocr_accuracy.py: each varies one thing the project's own generator holds fixed.

A source is a way of filling and scanning the two demo forms: one font at a time (printed and
handwriting-like families from Debian), one kind of mark (✓ past the box, ✗, ■, ○ round the
label), one degradation (fax 1-bit, 100, 200, 300 and 600 dpi, a phone photo with perspective and
shadow, coloured paper, a red 印鑑 over the name, a light scan, the back showing through thin paper,
writing too big or small for its box, a document feeder's streak), writing in pencil, real human
glyphs (MNIST digits composed into the digit fields), one layout printed or filled another way (comb
boxes, a cell per digit; dates printed 年 月 日 in the box; eras to circle in the date box; input
boxes tinted grey; an address on two lines; the form printed in red, orange, green or light blue),
and real forms filled in by third parties
(bench/data/forms/*, each with its provenance and hand-transcribed truth). Pages are written as
files with their truth; nothing here reads them.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from dxrpa.demo.forms.layout import GOTHIC, LAYOUTS, Layout, LField, font, render_blank, write_template
from dxrpa.demo.scans import (
    DEFAULT_STYLE,
    Style,
    _draw_hand,
    _draw_printed,
    _fill_field,
    fake_values,
    render_filled,
    save_scan,
    scan,
)

DATA = Path(__file__).resolve().parent / "data"
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "ocr" / "templates"
TT = "/usr/share/fonts/truetype"
#: (name, file, handwriting-like?) — Debian packages listed in scripts/setup.sh
FONTS = [
    ("IPAex明朝 (own)", "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf", False),
    ("Takao明朝", f"{TT}/takao-mincho/TakaoMincho.ttf", False),
    ("さわらび明朝", f"{TT}/sawarabi-mincho/sawarabi-mincho-medium.ttf", False),
    ("梅明朝", f"{TT}/horai-umefont/ume-tmo3.ttf", False),
    ("VLゴシック", f"{TT}/vlgothic/VL-Gothic-Regular.ttf", False),
    ("さわらびゴシック", f"{TT}/sawarabi-gothic/sawarabi-gothic-medium.ttf", False),
    ("モトヤLシーダ", f"{TT}/motoya-l-cedar/MTLc3m.ttf", False),
    ("MigMix 1P", f"{TT}/migmix/migmix-1p-regular.ttf", False),
    ("瀬戸フォント (hand)", f"{TT}/seto/setofont.ttf", True),
    ("きろ字 (hand)", f"{TT}/kiloji/kiloji.ttf", True),
    ("YOzフォント (hand)", f"{TT}/yozvox-yozfont/YOzBA_.ttf", True),
]
#: fonts added later, read after every other source so that the others keep their seeded pages:
#: heavy writing (its corners crowded the form's out of alignment: 3 of 10 pages were refused) and
#: a proportional 明朝 whose narrow kana the recognizer drops
LATER_FONTS = [
    ("Migu 1C bold", f"{TT}/migmix/migu-1c-bold.ttf"),
    ("梅P明朝S3 (proportional)", f"{TT}/horai-umefont/ume-pms3.ttf"),
]
PAPERS = [(250, 240, 200), (250, 218, 222), (212, 230, 250), (218, 240, 214), (245, 228, 190)]
STAMP_RED = np.array([215, 35, 45], dtype=np.float32)


@dataclass
class Page:
    form: str
    file: str
    style: str  # printed | handwriting
    values: dict[str, str]
    templates: Path | None = None  # the template's folder when it is not one of the shipped forms


@dataclass
class Source:
    name: str
    group: str  # font | marks | degradation | real glyphs | layout | ink | real form
    style: Style = DEFAULT_STYLE
    hand_share: float = 0.3
    degrade: (
        Callable[[Image.Image, random.Random, dict[str, tuple[int, int, int, int]]], Image.Image] | None
    ) = None
    suffixes: tuple[str, ...] = (".png", ".jpg", ".pdf")
    notes: list[str] = field(default_factory=list)
    real: Path | None = None  # a third party's filled form: its folder (template, filled page, truth)
    #: the demo forms printed or filled another way (see variant_blank, _render): "comb" (a cell per
    #: digit in the number fields), "dates" (年 月 日 printed in the date boxes), "eras" (an era list
    #: to circle printed before them), "tinted" (input boxes printed grey), "two lines" (the address
    #: written over two lines of its box) or "print (r, g, b)" (the form printed in that colour)
    variant: str = ""


# ------------------------------------------------------------------------------- real glyphs


#: the MNIST test set's last 5,000 digits (NIST SD-1, high-school students); the digit reader of
#: dxrpa.ocr.digits was trained on the first 5,000 (SD-3, other writers), never on these
BENCH_WRITERS = slice(5000, 10000)


@cache
def _mnist() -> tuple[np.ndarray, dict[str, list[int]]]:
    with gzip.open(DATA / "mnist" / "t10k-images-idx3-ubyte.gz") as fh:
        images = np.frombuffer(fh.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(DATA / "mnist" / "t10k-labels-idx1-ubyte.gz") as fh:
        labels = np.frombuffer(fh.read(), dtype=np.uint8, offset=8)
    by_digit: dict[str, list[int]] = {str(d): [] for d in range(10)}
    for i, d in enumerate(labels[BENCH_WRITERS], start=BENCH_WRITERS.start):
        by_digit[str(int(d))].append(i)
    return images, by_digit


def mnist_glyph(ch: str, s: int, rng: random.Random) -> tuple[Image.Image, float] | None:
    """A digit written by a real person (MNIST test set, SD-1 writers), sized as in a box."""
    if not ("0" <= ch <= "9"):
        return None
    return _real_digit(*_mnist(), ch, s, rng)


@cache
def _usps() -> tuple[np.ndarray, dict[str, list[int]]]:
    """The USPS test digits (bench/data/usps; the digit reader trained on the other file)."""
    with gzip.open(DATA / "usps" / "zip.test.gz", "rt") as fh:
        rows = [line.split() for line in fh]
    values = np.array([[float(v) for v in r[1:257]] for r in rows], np.float32).reshape(-1, 16, 16)
    images = ((values + 1) * 127.5).astype(np.uint8)
    by_digit: dict[str, list[int]] = {str(d): [] for d in range(10)}
    for i, r in enumerate(rows):
        by_digit[str(int(float(r[0])))].append(i)
    return images, by_digit


def _real_digit(
    images: np.ndarray, by_digit: dict[str, list[int]], ch: str, s: int, rng: random.Random
) -> tuple[Image.Image, float]:
    img = images[rng.choice(by_digit[ch])]
    ys, xs = np.nonzero(img > 40)
    glyph = Image.fromarray(img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    height = s * rng.uniform(0.72, 0.9)
    scale = height / glyph.height
    glyph = glyph.resize(
        (max(2, round(glyph.width * scale)), max(2, round(height))), Image.Resampling.BICUBIC
    )
    tile = Image.new("L", (s * 2, s * 2), 0)
    tile.paste(glyph, (s // 2, s - glyph.height // 2))
    return tile, glyph.width + s * 0.18


def usps_glyph(ch: str, s: int, rng: random.Random) -> tuple[Image.Image, float] | None:
    """A digit from a U.S. envelope (USPS test set), sized like a hand writes it in a box."""
    if not ("0" <= ch <= "9"):
        return None
    return _real_digit(*_usps(), ch, s, rng)


# ------------------------------------------------------------------------------- degradations


def _rgb_scan(img: Image.Image, rng: random.Random) -> Image.Image:
    """The scanner of dxrpa.demo.scans (rotation, shift, scale, blur, noise) on a colour page."""
    seed = rng.randrange(2**32)
    return Image.merge("RGB", [scan(ch, random.Random(seed)) for ch in img.split()])


def colour_paper(
    img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]
) -> Image.Image:
    paper = np.array(rng.choice(PAPERS), dtype=np.float32)
    gray = np.asarray(img, dtype=np.float32)[..., None] / 255
    return _rgb_scan(Image.fromarray((gray * paper).astype(np.uint8), "RGB"), rng)


def red_stamp(
    img: Image.Image, rng: random.Random, boxes: dict[str, tuple[int, int, int, int]]
) -> Image.Image:
    """A red 印鑑 pressed over the name (where people put it), partly over the writing."""
    x, y, w, h = boxes["氏名"]
    r = int(h * rng.uniform(0.5, 0.62))
    cx, cy = int(x + w * rng.uniform(0.25, 0.6)), int(y + h / 2 + rng.uniform(-8, 8))
    mask = Image.new("L", img.size, 0)
    d = ImageDraw.Draw(mask)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=max(3, r // 9))
    name = rng.choice(["佐藤", "鈴木", "田中", "山本", "中村", "高橋"])
    size = int(r * 0.8)
    for k, ch in enumerate(name):
        d.text((cx - size / 2, cy - r * 0.82 + k * size * 0.98), ch, font=font(FONTS[0][1], size), fill=255)
    mask = mask.rotate(rng.uniform(-20, 20), center=(cx, cy)).filter(ImageFilter.GaussianBlur(0.8))
    strength = np.asarray(mask, dtype=np.float32)[..., None] / 255 * rng.uniform(0.7, 0.95)
    gray = np.asarray(img, dtype=np.float32)[..., None]
    tint = STAMP_RED / 255
    rgb = gray * (1 - strength + strength * tint)  # ink over paper multiplies, as a stamp does
    return _rgb_scan(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB"), rng)


def fax(img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]) -> Image.Image:
    """Fax fine mode: 204 × 196 dpi, 1 bit per pixel, thresholded without dithering."""
    page = scan(img, rng, strength=0.6)
    size = (round(page.width * 204 / 150), round(page.height * 196 / 150))
    page = page.resize(size, Image.Resampling.BILINEAR)
    level = rng.randint(140, 175)
    return page.point(lambda v: 255 if v > level else 0).convert("1")


def resolution(
    dpi: int,
) -> Callable[[Image.Image, random.Random, dict[str, tuple[int, int, int, int]]], Image.Image]:
    def degrade(
        img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]
    ) -> Image.Image:
        page = img.resize(
            (round(img.width * dpi / 150), round(img.height * dpi / 150)), Image.Resampling.LANCZOS
        )
        return scan(page, rng)

    return degrade


def phone_photo(
    img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]
) -> Image.Image:
    """A phone photo: perspective, the desk around the sheet, a shadow across it, warm light, JPEG."""
    w, h = img.size
    out_w, out_h = int(w * 1.25), int(h * 1.2)
    j = 0.045
    corners = [
        (out_w * 0.1 + rng.uniform(-j, j) * w, out_h * 0.08 + rng.uniform(-j, j) * h),
        (out_w * 0.9 + rng.uniform(-j, j) * w, out_h * 0.08 + rng.uniform(-j, j) * h),
        (out_w * 0.9 + rng.uniform(-j, j) * w, out_h * 0.92 + rng.uniform(-j, j) * h),
        (out_w * 0.1 + rng.uniform(-j, j) * w, out_h * 0.92 + rng.uniform(-j, j) * h),
    ]
    coeffs = _perspective_coeffs(corners, [(0, 0), (w, 0), (w, h), (0, h)])
    sheet = img.transform(
        (out_w, out_h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=0
    )
    inside = Image.new("L", img.size, 255).transform(
        (out_w, out_h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=0
    )
    desk = Image.new("L", (out_w, out_h), rng.randint(70, 120))
    page = np.asarray(Image.composite(sheet, desk, inside), dtype=np.float32)
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    t = (xx * math.cos(angle) + yy * math.sin(angle)) / (out_w + out_h)
    t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    edge = rng.uniform(0.35, 0.65)
    shadow = 1 - rng.uniform(0.3, 0.45) * (1 / (1 + np.exp(-(t - edge) * 25)))  # a soft-edged shadow
    light = shadow * (1 - 0.15 * (((xx / out_w) - 0.5) ** 2 + ((yy / out_h) - 0.5) ** 2))  # vignette
    warm = np.array([1.0, 0.95, 0.86], dtype=np.float32)
    rgb = page[..., None] * light[..., None] * warm
    nrng = np.random.default_rng(rng.randrange(2**32))
    rgb += nrng.normal(0, 4, rgb.shape)
    photo = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    return photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.9)))


def light(img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]) -> Image.Image:
    """A light scan (the scanner's density set light, toner running out): 45–60 % of the contrast."""
    page = np.asarray(scan(img, rng), dtype=np.float32)
    return Image.fromarray(np.clip(255 - (255 - page) * rng.uniform(0.45, 0.6), 0, 255).astype(np.uint8))


def show_through(
    img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]
) -> Image.Image:
    """Thin paper: the back of the sheet, filled in by hand, shows through mirrored at 15–30 %."""
    form = rng.choice(sorted(LAYOUTS))
    layout = LAYOUTS[form]()
    back = render_filled(layout, fake_values(layout, rng, 1)[0], rng, hand=True)
    back = back.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize(img.size)
    dark = (255 - np.asarray(back, dtype=np.float32)) / 255 * rng.uniform(0.15, 0.3)
    page = np.asarray(img, dtype=np.float32) * (1 - dark)
    return scan(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), rng)


def feeder_streak(
    img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]
) -> Image.Image:
    """Dust on a document feeder's glass: one or two dark lines, 1–3 px, from the top to the bottom."""
    page = np.asarray(scan(img, rng)).copy()
    for _ in range(rng.randint(1, 2)):
        x, width = rng.randint(380, 1100), rng.randint(1, 3)
        page[:, x : x + width] = np.minimum(page[:, x : x + width], rng.randint(30, 110))
    return Image.fromarray(page)


#: the struck-out values of :func:`corrected` (what was first written, then crossed out)
STRUCK = {"氏名": ["佐藤花子", "鈴木一郎", "高橋次郎", "田中"], "住所": ["東区1丁目", "西町3番", "南町"]}


def corrected(
    img: Image.Image, rng: random.Random, boxes: dict[str, tuple[int, int, int, int]]
) -> Image.Image:
    """「訂正は二重線で」: in the name and address boxes, a first value crossed out by hand (two lines or
    one, a little slanted and wavy) and the value written after it, then scanned."""
    d = ImageDraw.Draw(img)
    for name, olds in STRUCK.items():
        x, y, w, h = boxes[name]
        inner = (x + 5, y + 5, x + w - 5, y + h - 5)
        region = img.crop(inner)
        bbox = Image.eval(region, lambda v: 255 - v).getbbox()
        if bbox is None:
            continue
        writing = region.crop(bbox)
        d.rectangle(inner, fill=255)
        old = rng.choice(olds)
        size = int(h * rng.uniform(0.45, 0.6))
        f = font(rng.choice([p for _, p, _ in FONTS]), size)
        ink = rng.randint(20, 70)
        d.text((x + 12, y + (h - size) // 2 - 2), old, font=f, fill=ink)
        end = x + 16 + int(d.textlength(old, font=f))
        for dy in (-4, 4) if rng.random() < 0.7 else (0,):
            y0, slant = y + h // 2 + dy + rng.randint(-3, 3), rng.randint(-6, 6)
            xs = np.linspace(x + 8, end, 4)
            ys = [y0 + slant * k / 3 + rng.uniform(-1.5, 1.5) for k in range(4)]
            d.line(list(zip(xs.tolist(), ys, strict=True)), fill=ink, width=rng.randint(2, 3))
        room = w - 10 - (end + 14 - x)
        if writing.width > room:
            writing = writing.resize((room, writing.height))
        img.paste(writing, (end + 14, y + 5 + bbox[1]))
    return scan(img, rng)


def _rescaled(
    img: Image.Image,
    rng: random.Random,
    boxes: dict[str, tuple[int, int, int, int]],
    names: list[str],
    big: bool,
) -> Image.Image:
    """The writing in the boxes ``names`` drawn again 1.3–1.5 times bigger (over the box's lines and
    past its end) or 0.5–0.7 times smaller (at the box's top, middle or foot), then scanned."""
    blank = np.asarray(render_blank(LAYOUTS["juminhyo" if "郵便番号" in boxes else "inkan"]()))
    page = np.asarray(img.convert("L")).copy()
    for name in names:
        x, y, w, h = boxes[name]
        region = page[y : y + h, x : x + w]
        printless = blank[y : y + h, x : x + w] > 200
        ink = np.where((region < 250) & printless, region, 255).astype(np.uint8)
        k = rng.uniform(1.3, 1.5) if big else rng.uniform(0.5, 0.7)
        glyphs = np.asarray(Image.fromarray(ink).resize((int(w * k), int(h * k)), Image.Resampling.LANCZOS))
        region[printless] = 255
        if big:
            top = y + h // 2 - glyphs.shape[0] // 2 + rng.randint(-6, 6)
        else:
            top = y + rng.choice([3, (h - glyphs.shape[0]) // 2, h - glyphs.shape[0] - 3])
        left = x + (0 if big else 4)
        under = page[top : top + glyphs.shape[0], left : left + glyphs.shape[1]]
        under[:] = np.minimum(under, glyphs[: under.shape[0], : under.shape[1]])
    return scan(Image.fromarray(page), rng)


def too_big(img: Image.Image, rng: random.Random, boxes: dict[str, tuple[int, int, int, int]]) -> Image.Image:
    """Writing too big for its box: the name and the phone number 1.3–1.5 times the size."""
    return _rescaled(img, rng, boxes, ["氏名", "電話番号"], big=True)


def small(img: Image.Image, rng: random.Random, boxes: dict[str, tuple[int, int, int, int]]) -> Image.Image:
    """Small writing: every field 0.5–0.7 times the size, at the top, the middle or the foot of its box."""
    return _rescaled(img, rng, boxes, [n for n, (_x, _y, _w, h) in boxes.items() if h >= 50], big=False)


def _perspective_coeffs(
    dst: list[tuple[float, float]], src: list[tuple[float, float]]
) -> tuple[float, float, float, float, float, float, float, float]:
    """PIL's perspective coefficients mapping output points ``dst`` back to input points ``src``."""
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    sol = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))
    return tuple(float(c) for c in sol)  # type: ignore[return-value]


# ------------------------------------------------------------------------------- the sources


def sources() -> list[Source]:
    out = []
    for name, path, hand in FONTS:
        style = Style(print_fonts=(path,), hand_fonts=(path,))
        out.append(Source(f"font {name}", "font", style, hand_share=1.0 if hand else 0.0))
    for mark, label in [
        ("past", "✓ past the box"),
        ("cross", "✗"),
        ("fill", "■ filled"),
        ("circle", "○ round label"),
    ]:
        out.append(Source(f"marks {label}", "marks", Style(mark=mark)))
    out += [
        Source("fax 1-bit (204×196 dpi)", "degradation", degrade=fax, suffixes=(".tif",)),
        Source("200 dpi scan", "degradation", degrade=resolution(200)),
        Source("100 dpi scan", "degradation", degrade=resolution(100)),
        Source("phone photo", "degradation", degrade=phone_photo, suffixes=(".jpg",)),
        Source("coloured paper", "degradation", degrade=colour_paper, suffixes=(".jpg", ".png")),
        Source("red 印鑑 over 氏名", "degradation", degrade=red_stamp, suffixes=(".jpg", ".png")),
        Source("MNIST digits (real hands)", "real glyphs", Style(glyphs=mnist_glyph), hand_share=1.0),
        Source("USPS digits (real hands)", "real glyphs", Style(glyphs=usps_glyph), hand_share=1.0),
    ]
    for folder in sorted((DATA / "forms").glob("*/truth.json")):
        out.append(Source(f"real form {folder.parent.name}", "real form", real=folder.parent))
    for name, path in LATER_FONTS:
        style = Style(print_fonts=(path,), hand_fonts=(path,))
        out.append(Source(f"font {name}", "font", style))
    out += [
        Source("comb boxes (a cell per digit)", "layout", variant="comb", hand_share=0.5),
        Source(
            "comb boxes, MNIST digits", "layout", Style(glyphs=mnist_glyph), hand_share=1.0, variant="comb"
        ),
        Source("dates printed 年 月 日 in the box", "layout", variant="dates", hand_share=0.5),
        Source("address on two lines", "layout", variant="two lines", hand_share=0.5),
        Source("dates, era circled in a list", "layout", variant="eras", hand_share=0.5),
        Source("input boxes tinted grey", "layout", variant="tinted", hand_share=0.5),
        Source("pencil (grey 115-160)", "ink", Style(ink=(115, 160)), hand_share=0.5),
        Source("300 dpi scan", "degradation", degrade=resolution(300)),
        Source("600 dpi scan", "degradation", degrade=resolution(600), suffixes=(".png", ".jpg")),
        Source("light scan (half the contrast)", "degradation", degrade=light),
        Source("back showing through thin paper", "degradation", degrade=show_through),
        Source("writing too big for its box", "degradation", degrade=too_big),
        Source("feeder streak (dust on the glass)", "degradation", degrade=feeder_streak),
        Source("small writing (half its box)", "degradation", degrade=small),
    ]
    for colour, rgb in PRINT_COLOURS.items():
        out.append(
            Source(
                f"form printed in {colour}",
                "layout",
                hand_share=0.5,
                variant=f"print {rgb}",
                degrade=colour_scan,
                suffixes=(".jpg", ".png", ".pdf"),
            )
        )
    out.append(Source("a value struck out and written again", "degradation", degrade=corrected))
    return out


# ------------------------------------------------------------------------------- other layouts

#: number fields of the demo forms printed as a row of cells, one digit per cell, as many Japanese
#: forms print 郵便番号, 個人番号 and office numbers
COMB = {"受付番号": 6, "郵便番号": 7, "登録番号": 8, "個人番号": 12}
#: date boxes printed 「　　年　　月　　日」: where 年, 月 and 日 stand (px from the box's left) and
#: the gaps in which the writer puts the era and year, the month and the day
DATE_MARKS = [(150, "年"), (240, "月"), (330, "日")]
DATE_GAPS = [(8, 150), (180, 240), (270, 330)]
_DATE = re.compile(r"(.+?)年(\d+)月(\d+)日")
#: date boxes printed with the eras to circle (「該当する元号に○」) before 「　年　月　日」: per form and
#: field, how the list is set (in a row, or one era under the other), its labels and their size
ERA_LISTS = {
    ("juminhyo", "申請日"): ("row", ("平成", "令和"), 22),
    ("inkan", "申請日"): ("row", ("平成", "令和"), 22),
    ("juminhyo", "生年月日"): ("column", ("昭和", "平成", "令和"), 17),
    ("inkan", "生年月日"): ("row", ("明", "大", "昭", "平", "令"), 18),
}
#: the grey of input boxes printed tinted (網掛けの記入欄), as many forms mark where to write
TINT = 200
#: forms printed in one colour, as many city forms are (and forms made for OCR, in a drop-out red):
#: the blank is registered as scanned, in colour, and the writing on it is black or blue
PRINT_COLOURS = {
    "red": (220, 40, 50),
    "orange": (240, 130, 40),
    "green": (30, 140, 80),
    "light blue": (120, 170, 220),
}
#: after the era list (px from its right end): the gaps for the year, month and day, and 年 月 日
ERA_GAPS = [(8, 60), (88, 134), (162, 208)]
ERA_MARKS = [(62, "年"), (136, "月"), (210, "日")]


def _era_labels(layout: Layout, f: LField) -> list[tuple[str, tuple[float, float, float, float], int]]:
    """Each era label of a date box's list with where it is printed (x, y, width, height) and its size."""
    assert f.box is not None
    how, labels, size = ERA_LISTS[(layout.name, f.name)]
    x, y, _w, h = f.box
    fnt = font(GOTHIC, size)
    out = []
    if how == "column":
        top = y + (h - 3 * size - 6) / 2
        for i, label in enumerate(labels):
            out.append((label, (x + 10, top + i * (size + 3), fnt.getlength(label), size), size))
        return out
    left = x + 10
    for i, label in enumerate(labels):
        width = fnt.getlength(label)
        out.append((label, (left, y + (h - size) / 2, width, size), size))
        left += width + (fnt.getlength("・") if i < len(labels) - 1 else 0)
    return out


def _era_list_end(layout: Layout, f: LField) -> float:
    return max(b[0] + b[2] for _, b, _ in _era_labels(layout, f))


def _cells(f: LField) -> list[tuple[int, int, int, int]]:
    assert f.box is not None
    x, y, w, h = f.box
    k = COMB[f.name]
    return [(int(x + i * w / k), y, int(w / k), h) for i in range(k)]


def variant_blank(layout: Layout, variant: str) -> Image.Image:
    """The demo form with its number fields as black-ruled cells, or 年 月 日 printed in its date boxes."""
    img = render_blank(layout)
    if variant.startswith("print "):
        return Image.fromarray(_printed_in(img, variant).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for f in layout.fields:
        if f.box is None:
            continue
        x, y, w, h = f.box
        if variant == "comb" and f.name in COMB:
            d.rectangle((x, y, x + w, y + h), fill=255, outline=0, width=2)
            for cx, _, _, _ in _cells(f)[1:]:
                d.line((cx, y, cx, y + h), fill=0, width=1)
        elif variant == "dates" and f.type == "date":
            for dx, ch in DATE_MARKS:
                d.text((x + dx + 2, y + h / 2 - 14), ch, font=font(GOTHIC, 26), fill=0)
        elif variant == "tinted" and f.type not in ("checkbox", "choice"):
            d.rectangle((x + 2, y + 2, x + w - 2, y + h - 2), fill=TINT)
        elif variant == "eras" and f.type == "date":
            labels = _era_labels(layout, f)
            for i, (label, (lx, ly, lw, _lh), size) in enumerate(labels):
                d.text((lx, ly), label, font=font(GOTHIC, size), fill=0)
                if ERA_LISTS[(layout.name, f.name)][0] == "row" and i < len(labels) - 1:
                    d.text((lx + lw, ly), "・", font=font(GOTHIC, size), fill=0)
            end = _era_list_end(layout, f)
            for dx, ch in ERA_MARKS:
                d.text((end + dx, y + h / 2 - 11), ch, font=font(GOTHIC, 22), fill=0)
    return img


def _printed_in(gray: Image.Image, variant: str) -> np.ndarray:
    """``gray`` (the blank) printed in the variant's colour: black print becomes it, white stays white."""
    colour = np.array([int(v) for v in variant.split(" ", 1)[1].strip("()").split(",")], np.float32)
    dark = 1 - np.asarray(gray, np.float32)[..., None] / 255
    return 255 - dark * (255 - colour)


def _in_colour(blank: Image.Image, filled: Image.Image, variant: str) -> Image.Image:
    """The filled form with its print in the variant's colour and the writing (what filling added)
    as it was written, over it as ink is."""
    b, f = np.asarray(blank, np.float32), np.asarray(filled, np.float32)
    writing = np.where(f < b - 8, f, 255.0)[..., None] / 255
    return Image.fromarray(np.clip(_printed_in(blank, variant) * writing, 0, 255).astype(np.uint8), "RGB")


def colour_scan(
    img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]
) -> Image.Image:
    return _rgb_scan(img, rng)


def _variant_templates(out_dir: Path, variant: str) -> Path:
    """The two demo templates with the variant's blanks, written once into ``out_dir``."""
    folder = out_dir / "templates"
    if not folder.is_dir():
        for form, make in LAYOUTS.items():
            write_template(make(), folder)
            variant_blank(make(), variant).save(folder / f"{form}.png")
        (folder / "machiaza.csv").write_bytes((TEMPLATES_DIR / "machiaza.csv").read_bytes())
    return folder


def _fill_comb(img: Image.Image, f: LField, value: str, rng: random.Random, hand: bool, style: Style) -> None:
    """One digit centred in each cell, jittered a little; by hand, a real person's glyph if the
    style has them."""
    digits = [c for c in value if c.isdigit()]
    path = rng.choice(style.hand_fonts if hand else style.print_fonts)
    for (x, y, w, h), ch in zip(_cells(f), digits, strict=False):
        s = int(h * rng.uniform(0.55, 0.7))
        real = style.glyphs(ch, s, rng) if hand and style.glyphs is not None else None
        if real is not None:
            tile = real[0].crop(real[0].getbbox())
        else:
            tile = Image.new("L", (s * 2, s * 2), 0)
            ImageDraw.Draw(tile).text((s // 2, s // 2), ch, font=font(path, s), fill=255)
            tile = tile.crop(tile.getbbox())
        k = min(1.0, s / tile.height, 0.8 * w / tile.width)
        tile = tile.resize((max(1, int(tile.width * k)), max(1, int(tile.height * k))))
        if hand:
            tile = tile.rotate(rng.uniform(-6, 6), expand=True, resample=Image.Resampling.BILINEAR)
        j = 3 if hand else 1
        tx = int(x + w / 2 - tile.width / 2 + rng.uniform(-j, j))
        ty = int(y + h / 2 - tile.height / 2 + rng.uniform(-j, j))
        img.paste(rng.randint(20, 70), (tx, ty), tile)


def _fill_date(img: Image.Image, f: LField, value: str, rng: random.Random, hand: bool, style: Style) -> None:
    """The era and year, the month and the day, each in its gap between the printed 年 月 日."""
    found = _DATE.fullmatch(value)
    assert found is not None and f.box is not None, value
    x, y, _, h = f.box
    for (a, b), part in zip(DATE_GAPS, found.groups(), strict=True):
        (_draw_hand if hand else _draw_printed)(img, part, (x + a, y, b - a, h), rng, style)


ERA_OF = {"明": "明治", "大": "大正", "昭": "昭和", "平": "平成", "令": "令和"}


def _fill_eras(
    img: Image.Image, layout: Layout, f: LField, value: str, rng: random.Random, hand: bool, style: Style
) -> None:
    """The era circled in the printed list (a 西暦 year written in full), then the year, month and day
    in their gaps between the printed 年 月 日."""
    found = _DATE.fullmatch(value)
    assert found is not None and f.box is not None, value
    era_year, month, day = found.groups()
    year = era_year
    for label, (lx, ly, lw, lh), _size in _era_labels(layout, f):
        era = ERA_OF.get(label, label)
        if era_year.startswith(era):
            year = era_year[len(era) :]
            pad_x, pad_y = rng.uniform(3, 9), rng.uniform(2, 7)
            ellipse = (lx - pad_x, ly - pad_y + rng.uniform(-2, 2), lx + lw + pad_x, ly + lh + pad_y)
            ImageDraw.Draw(img).ellipse(ellipse, outline=rng.randint(15, 60), width=rng.randint(2, 4))
    _, y, _, h = f.box
    end = _era_list_end(layout, f)
    for (a, b), part in zip(ERA_GAPS, (year, month, day), strict=True):
        (_draw_hand if hand else _draw_printed)(img, part, (int(end + a - 8), y, b - a + 8, h), rng, style)


def _render(
    source: Source, layout: Layout, written: dict[str, str], rng: random.Random, hand: bool
) -> Image.Image:
    if not source.variant:
        return render_filled(layout, written, rng, hand=hand, style=source.style)
    if source.variant.startswith("print "):
        filled = render_filled(layout, written, rng, hand=hand, style=source.style)
        return _in_colour(render_blank(layout), filled, source.variant)
    img = variant_blank(layout, source.variant)
    for f in layout.fields:
        value = written.get(f.name, "")
        if source.variant == "comb" and f.name in COMB:
            _fill_comb(img, f, value, rng, hand, source.style)
        elif source.variant == "dates" and f.type == "date":
            _fill_date(img, f, value, rng, hand, source.style)
        elif source.variant == "eras" and f.type == "date":
            _fill_eras(img, layout, f, value, rng, hand, source.style)
        elif source.variant == "two lines" and f.name == "住所" and f.box is not None:
            x, y, w, h = f.box  # the city on the first line, the rest on the second
            cut = max(value.find("区"), value.find("市")) + 1 or len(value) // 2
            for k, part in enumerate((value[:cut], value[cut:])):
                (_draw_hand if hand else _draw_printed)(
                    img, part, (x, y + k * h // 2, w, h // 2), rng, source.style
                )
        else:
            _fill_field(img, f, value, rng, hand, source.style)
    return img


#: how the copies of a real filled form are passed on: as it is, scanned, faxed, photographed
def scanned(
    img: Image.Image, rng: random.Random, _boxes: dict[str, tuple[int, int, int, int]]
) -> Image.Image:
    return scan(img, rng)


REAL_PASSES: list[tuple[str, Callable[..., Image.Image] | None]] = [
    (".png", None),
    (".jpg", scanned),
    (".tif", fax),
    (".jpg", phone_photo),
    (".pdf", scanned),
]


def _save(page: Image.Image, path: Path, rng: random.Random) -> None:
    """A page as its suffix says: 1-bit fax TIFFs in Group 4 at fax resolution, the rest as scans."""
    if path.suffix == ".tif" and page.mode == "1":
        page.save(path, compression="group4", dpi=(204, 196))
    else:
        save_scan(page, path, rng)


def _real_pages(source: Source, out_dir: Path, n: int, rng: random.Random) -> list[Page]:
    """The third party's page itself first, then copies through the scanner, fax and phone camera."""
    assert source.real is not None
    truths = list(json.loads((source.real / "truth.json").read_text(encoding="utf-8")).items())
    form = next(source.real.glob("*.yaml")).stem
    pages = []
    for i in range(n):
        name, values = truths[i % len(truths)]
        img = Image.open(source.real / name).convert("L")
        suffix, degrade = REAL_PASSES[i % len(REAL_PASSES)]
        page = degrade(img, rng, {}) if degrade else img
        file = f"{form}_{i:03d}{suffix}"
        _save(page, out_dir / file, rng)
        pages.append(Page(form, file, "printed", values, templates=source.real))
    return pages


def make_pages(source: Source, out_dir: Path, n: int, seed: int) -> list[Page]:
    """``n`` filled and degraded pages, alternating the two demo forms."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    if source.real is not None:
        return _real_pages(source, out_dir, n, rng)
    pages = []
    for i in range(n):
        form = ("juminhyo", "inkan")[i % 2]
        layout = LAYOUTS[form]()
        hand = rng.random() < source.hand_share
        written, truth = fake_values(layout, rng, rng.randrange(100000, 999999))
        img = _render(source, layout, written, rng, hand)
        boxes = {f.name: f.box for f in layout.fields if f.box is not None}
        page = source.degrade(img, rng, boxes) if source.degrade else scan(img, rng)
        suffix = source.suffixes[i % len(source.suffixes)]
        name = f"{form}_{i:03d}{suffix}"
        _save(page, out_dir / name, rng)
        templates = _variant_templates(out_dir, source.variant) if source.variant else None
        pages.append(Page(form, name, "handwriting" if hand else "printed", truth, templates))
    return pages
