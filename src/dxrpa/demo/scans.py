"""Scan generator: filled application forms rendered with Japanese fonts, then "scanned".

Used by tests, the benchmark and ``dxrpa demo``. Each form gets plausible personal data (names
with readings, addresses, 和暦 dates, phone numbers, My Numbers with a valid check digit), printed
or handwriting-like (per-character jitter of size, angle, baseline and stroke), then the page is
rotated, shifted, scaled, blurred, noised and saved as PNG/JPEG/PDF/TIFF. The ground truth (the
normalized value every field should read as) is written next to the scans.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import phonenumbers
from PIL import Image, ImageDraw, ImageFilter

from dxrpa.demo.forms.layout import (
    GOTHIC,
    LAYOUTS,
    MINCHO,
    NOTO_SANS,
    NOTO_SERIF,
    Layout,
    LField,
    font,
    render_blank,
)

PRINT_FONTS = [MINCHO, GOTHIC, NOTO_SANS, NOTO_SERIF]
HAND_FONTS = [GOTHIC, NOTO_SANS]

# (written surname, normalized surname, katakana reading)
SURNAMES = [
    ("佐藤", "佐藤", "サトウ"),
    ("鈴木", "鈴木", "スズキ"),
    ("高橋", "高橋", "タカハシ"),
    ("田中", "田中", "タナカ"),
    ("伊藤", "伊藤", "イトウ"),
    ("渡辺", "渡辺", "ワタナベ"),
    ("山本", "山本", "ヤマモト"),
    ("中村", "中村", "ナカムラ"),
    ("小林", "小林", "コバヤシ"),
    ("加藤", "加藤", "カトウ"),
    ("吉田", "吉田", "ヨシダ"),
    ("山田", "山田", "ヤマダ"),
    ("佐々木", "佐々木", "ササキ"),
    ("山口", "山口", "ヤマグチ"),
    ("松本", "松本", "マツモト"),
    ("井上", "井上", "イノウエ"),
    ("木村", "木村", "キムラ"),
    ("林", "林", "ハヤシ"),
    ("清水", "清水", "シミズ"),
    ("山崎", "山崎", "ヤマザキ"),
    ("森", "森", "モリ"),
    ("池田", "池田", "イケダ"),
    ("橋本", "橋本", "ハシモト"),
    ("阿部", "阿部", "アベ"),
    ("石川", "石川", "イシカワ"),
    ("前田", "前田", "マエダ"),
    ("藤田", "藤田", "フジタ"),
    ("小川", "小川", "オガワ"),
    ("岡田", "岡田", "オカダ"),
    ("後藤", "後藤", "ゴトウ"),
    ("長谷川", "長谷川", "ハセガワ"),
    ("村上", "村上", "ムラカミ"),
    ("髙橋", "高橋", "タカハシ"),
    ("齋藤", "斎藤", "サイトウ"),
    ("渡邊", "渡辺", "ワタナベ"),
    ("大澤", "大沢", "オオサワ"),
]
GIVEN = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("一郎", "イチロウ"),
    ("美咲", "ミサキ"),
    ("健太", "ケンタ"),
    ("陽子", "ヨウコ"),
    ("大輔", "ダイスケ"),
    ("由美", "ユミ"),
    ("翔太", "ショウタ"),
    ("恵子", "ケイコ"),
    ("直樹", "ナオキ"),
    ("明美", "アケミ"),
    ("拓也", "タクヤ"),
    ("さくら", "サクラ"),
    ("浩二", "コウジ"),
    ("真理子", "マリコ"),
    ("誠", "マコト"),
    ("優子", "ユウコ"),
    ("和也", "カズヤ"),
    ("千尋", "チヒロ"),
    ("隆", "タカシ"),
    ("久美子", "クミコ"),
    ("大翔", "ヒロト"),
    ("結衣", "ユイ"),
    ("修", "オサム"),
]
#: (都道府県, 市区町村, 町字, 郵便番号, 市外局番): real places with their Japan Post code and area code,
#: so a generated applicant writes what a real one would (the OCR checks both against real data)
PLACES = [
    ("東京都", "千代田区", "霞が関", "100-0013", "03"),
    ("東京都", "新宿区", "西新宿", "160-0023", "03"),
    ("東京都", "世田谷区", "太子堂", "154-0004", "03"),
    ("神奈川県", "横浜市中区", "日本大通", "231-0021", "045"),
    ("大阪府", "大阪市北区", "中之島", "530-0005", "06"),
    ("愛知県", "名古屋市中区", "三の丸", "460-0001", "052"),
    ("北海道", "札幌市中央区", "北一条西", "060-0001", "011"),
    ("福岡県", "福岡市中央区", "天神", "810-0001", "092"),
    ("埼玉県", "さいたま市浦和区", "常盤", "330-0061", "048"),
    ("千葉県", "千葉市中央区", "中央", "260-0013", "043"),
    ("京都府", "京都市中京区", "恵比須町", "604-8005", "075"),
    ("兵庫県", "神戸市中央区", "加納町", "650-0001", "078"),
    ("静岡県", "静岡市葵区", "追手町", "420-0853", "054"),
    ("宮城県", "仙台市青葉区", "国分町", "980-0803", "022"),
    ("広島県", "広島市中区", "国泰寺町", "730-0042", "082"),
]
BUILDINGS = ["", "", "", "コーポ桜101", "グリーンハイツ203", "メゾン若葉305"]
ROMAJI = {"サトウ": "sato", "スズキ": "suzuki", "タカハシ": "takahashi", "タナカ": "tanaka", "イトウ": "ito"}
ERA_BASE = [
    ("令和", 2018, dt.date(2019, 5, 1), dt.date(2030, 12, 31)),
    ("平成", 1988, dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    ("昭和", 1925, dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
]

_HIRA = {chr(k): chr(k - 0x60) for k in range(0x30A1, 0x30F7)}

#: a real handwritten glyph for a character: (tile of 2s × 2s with ink 255 and the glyph in the
#: middle s × s square, advance in px), or None to draw the character with the font
GlyphSource = Callable[[str, int, random.Random], "tuple[Image.Image, float] | None"]
MARKS = ("mixed", "past", "cross", "fill", "circle")


@dataclass(frozen=True)
class Style:
    """How a form is filled in: fonts, the kind of mark, real glyphs. The default is the mix
    the tests and ``dxrpa demo`` use; the benchmark varies each on its own."""

    print_fonts: tuple[str, ...] = tuple(PRINT_FONTS)
    hand_fonts: tuple[str, ...] = tuple(HAND_FONTS)
    mark: str = "mixed"  # mixed (レ or ×) | past (✓ running far past the box) | cross | fill | circle
    glyphs: GlyphSource | None = None
    ink: tuple[int, int] | None = None  # the writing's grey, darkest to lightest (None: pen and printer)


DEFAULT_STYLE = Style()


@dataclass
class GroundTruth:
    """What one scanned form should read as (``expect_failure``: a deliberately unreadable scan)."""

    file: str
    page: int
    template: str
    style: str  # printed | handwriting
    values: dict[str, str] = field(default_factory=dict)
    expect_failure: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def to_hiragana(kata: str) -> str:
    return "".join(_HIRA.get(c, c) for c in kata)


def my_number_check(body11: str) -> str:
    digits = [int(c) for c in body11][::-1]
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(digits, start=1))
    rem = total % 11
    return str(0 if rem <= 1 else 11 - rem)


def _wareki(day: dt.date, rng: random.Random, *, allow_seireki: bool) -> str:
    if allow_seireki and rng.random() < 0.3:
        return f"{day.year}年{day.month}月{day.day}日"
    for era, base, start, end in ERA_BASE:
        if start <= day <= end:
            y = day.year - base
            ytxt = "元" if y == 1 else str(y)
            return f"{era}{ytxt}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def _random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _fixed_line(rng: random.Random, area: str) -> str:
    """A valid fixed-line number in the city's area, split the official way (0544-72-3748)."""
    while True:
        digits = area + "".join(str(rng.randint(0, 9)) for _ in range(10 - len(area)))
        number = phonenumbers.parse(digits, "JP")
        if phonenumbers.is_valid_number(number):
            return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def fake_values(layout: Layout, rng: random.Random, number: int) -> tuple[dict[str, str], dict[str, str]]:  # noqa: C901 — a branch per field
    """(text written on paper per field, normalized ground truth per field)."""
    sur_w, sur_n, sur_k = rng.choice(SURNAMES)
    giv, giv_k = rng.choice(GIVEN)
    pref, city, town, postal, area = rng.choice(PLACES)
    written: dict[str, str] = {}
    truth: dict[str, str] = {}
    for f in layout.fields:
        n = f.name
        if n == "受付番号":
            w = f"{number:06d}"
            t = w
        elif n == "登録番号":
            w = f"{rng.randrange(10**7, 10**8)}"
            t = w
        elif n == "申請日":
            day = _random_day(rng, dt.date(2019, 5, 1), dt.date(2026, 11, 30))
            if rng.random() < 0.1:
                day = _random_day(rng, dt.date(2019, 5, 1), dt.date(2019, 12, 28))  # 令和元年
            w, t = _wareki(day, rng, allow_seireki=False), day.isoformat()
        elif n == "生年月日":
            day = _random_day(rng, dt.date(1935, 1, 1), dt.date(2010, 12, 31))
            w, t = _wareki(day, rng, allow_seireki=True), day.isoformat()
        elif n == "氏名":
            w, t = f"{sur_w}　{giv}", f"{sur_n}{giv}"
        elif n == "フリガナ":
            w, t = f"{sur_k}　{giv_k}", f"{sur_k}{giv_k}"
        elif n == "ふりがな":
            w, t = f"{to_hiragana(sur_k)}　{to_hiragana(giv_k)}", to_hiragana(sur_k + giv_k)
        elif n == "郵便番号":
            w = t = postal
        elif n == "住所":
            bld = rng.choice(BUILDINGS)
            num = f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
            w = f"{pref}{city}{town}{num}" + (f"　{bld}" if bld else "")
            t = f"{pref}{city}{town}{num}{bld}"
        elif n == "電話番号":
            if rng.random() < 0.5:
                w = f"0{rng.choice('789')}0-{rng.randrange(1000, 10000)}-{rng.randrange(0, 10000):04d}"
            else:
                w = _fixed_line(rng, area)
            t = w
        elif n == "メールアドレス":
            user = ROMAJI.get(sur_k, "user") + str(rng.randint(1, 99))
            w = f"{user}@{rng.choice(['example.jp', 'mail.example.com', 'city.example.lg.jp'])}"
            t = w
        elif n == "個人番号":
            if rng.random() < 0.3:
                w, t = "", ""
            else:
                body = "".join(str(rng.randint(0, 9)) for _ in range(11))
                w = t = body + my_number_check(body)
        elif n == "必要部数":
            w = str(rng.choice([1, 1, 1, 2, 2, 3, 5, 10]))
            t = w
        elif f.type == "checkbox":
            t = "true" if rng.random() < 0.4 else "false"
            w = t
        elif f.type == "choice":
            t = rng.choice([o for o, _ in f.options])
            w = t
        else:
            w = t = ""
        written[n], truth[n] = w, t
    return written, truth


# ---------------------------------------------------------------------------------- rendering


def _draw_printed(
    img: Image.Image, text: str, box: tuple[int, int, int, int], rng: random.Random, style: Style
) -> None:
    x, y, w, h = box
    path = rng.choice(style.print_fonts)
    size = int(h * rng.uniform(0.52, 0.62))
    while font(path, size).getlength(text) > w - 24 and size > 14:
        size -= 2
    left, top = x + rng.randint(8, 20), int(y + (h - size) / 2 + rng.randint(-4, 3) - 2)
    img.paste(rng.randint(*(style.ink or (0, 40))), (left, top), _printed_mask(text, path, size))


SUPERSAMPLE = 4  # printers print at 600 dpi and more; the scan is 150 dpi


def _printed_mask(text: str, path: str, size: int) -> Image.Image:
    """Coverage mask of ``text`` drawn at 4× and shrunk, like a fine print scanned at 150 dpi.

    Drawing small text directly lets the font's hinting drop thin strokes (IPAex Mincho at
    30–37 px turns 田 into 山 and 子 into 了), which no paper would show.
    """
    big = font(path, size * SUPERSAMPLE)
    right, bottom = (int(v) + SUPERSAMPLE for v in big.getbbox(text)[2:])
    tile = Image.new("L", (right, bottom), 0)
    ImageDraw.Draw(tile).text((0, 0), text, font=big, fill=255)
    width, height = -(-tile.width // SUPERSAMPLE), -(-tile.height // SUPERSAMPLE)
    return tile.resize((width, height), Image.Resampling.BOX)


def _draw_hand(
    img: Image.Image, text: str, box: tuple[int, int, int, int], rng: random.Random, style: Style
) -> None:
    """Handwriting-like: each character jittered in size, angle, baseline, spacing and stroke weight."""
    x, y, w, h = box
    path = rng.choice(style.hand_fonts)
    size = int(h * rng.uniform(0.55, 0.66))
    advance = 0.0
    glyphs: list[tuple[Image.Image, float]] = []
    weight = rng.choice([0, 0, 1])
    slant = rng.uniform(-0.12, 0.12)
    for ch in text:
        if ch in " 　":
            advance += size * rng.uniform(0.35, 0.6)
            continue
        s = max(12, int(size * rng.uniform(0.88, 1.1)))
        f = font(path, s)
        real = style.glyphs(ch, s, rng) if style.glyphs is not None else None
        if real is not None:
            tile, step = real
        else:
            tile = Image.new("L", (s * 2, s * 2), 0)
            ImageDraw.Draw(tile).text((s // 2, s // 2), ch, font=f, fill=255)
        if weight:
            tile = tile.filter(ImageFilter.MaxFilter(3))
        tile = tile.transform(
            tile.size,
            Image.Transform.AFFINE,
            (1, slant, -slant * s, 0, 1, 0),
            resample=Image.Resampling.BILINEAR,
        )
        tile = tile.rotate(rng.uniform(-6, 6), resample=Image.Resampling.BILINEAR)
        glyphs.append((tile, advance))
        if real is not None:
            advance += step * rng.uniform(0.95, 1.15)
        elif ord(ch) > 0x2E80:
            advance += s * rng.uniform(0.9, 1.08)
        else:  # Latin letters and digits by their own width: a hand does not write "@" over the next letter
            advance += max(f.getlength(ch), s * 0.3) * rng.uniform(0.95, 1.15)
    scale = min(1.0, (w - 24) / max(advance, 1))
    ink = rng.randint(*(style.ink or (20, 70)))
    x0 = x + rng.randint(8, 18)
    for tile, adv in glyphs:
        if scale < 1.0:
            tile = tile.resize((max(1, int(tile.width * scale)), max(1, int(tile.height * scale))))
        ty = int(y + h / 2 - tile.height / 2 + rng.uniform(-3, 3))
        tx = int(x0 + adv * scale - tile.width / 4)
        img.paste(ink, (tx, ty), tile)


def _tick(
    img: Image.Image, box: tuple[int, int, int, int], rng: random.Random, hand: bool, mark: str = "mixed"
) -> None:
    x, y, w, h = box
    d = ImageDraw.Draw(img)
    spread = 3.0 if hand else 0.0

    def j() -> float:
        return rng.uniform(-spread, spread)

    width = rng.randint(3, 5)
    if mark == "past":  # ✓ whose long stroke runs well past the box, most of it outside
        k = rng.uniform(1.0, 1.6)
        pts = [
            (x + w * 0.15 + j(), y + h * 0.55 + j()),
            (x + w * 0.45 + j(), y + h * (0.95 + 0.2 * rng.random()) + j()),
            (x + w * (1.0 + k) + j(), y - h * k + j()),
        ]
        d.line(pts, fill=20, width=width, joint="curve")
    elif mark == "fill":  # ■ filled in
        m = rng.randint(3, 6)
        d.rectangle((x + m + j(), y + m + j(), x + w - m + j(), y + h - m + j()), fill=rng.randint(15, 60))
    elif mark == "cross" or (mark == "mixed" and rng.random() >= 0.5):  # ×
        d.line((x + 5 + j(), y + 5 + j(), x + w - 5 + j(), y + h - 5 + j()), fill=20, width=width)
        d.line((x + w - 5 + j(), y + 5 + j(), x + 5 + j(), y + h - 5 + j()), fill=20, width=width)
    else:  # レ / ✓
        pts = [
            (x + 6 + j(), y + h * 0.5 + j()),
            (x + w * 0.42 + j(), y + h - 6 + j()),
            (x + w + 4 + j(), y - 6 + j()),
        ]
        d.line(pts, fill=20, width=width, joint="curve")


def render_filled(
    layout: Layout, written: dict[str, str], rng: random.Random, *, hand: bool, style: Style = DEFAULT_STYLE
) -> Image.Image:
    img = render_blank(layout)
    for f in layout.fields:
        value = written.get(f.name, "")
        _fill_field(img, f, value, rng, hand, style)
    return img


def _circle_label(img: Image.Image, box: tuple[int, int, int, int], label: str, rng: random.Random) -> None:
    """A ○ drawn round an option's printed label (「該当するものに○」), as the layout prints it."""
    x, y, w, h = box
    left, right = x + w + 14, x + w + 14 + font(GOTHIC, 26).getlength(label)
    pad_x, pad_y = rng.uniform(6, 16), rng.uniform(4, 12)
    ellipse = (
        left - pad_x,
        y - pad_y + rng.uniform(-3, 3),
        right + pad_x,
        y + h + pad_y + rng.uniform(-3, 3),
    )
    ImageDraw.Draw(img).ellipse(ellipse, outline=rng.randint(15, 60), width=rng.randint(3, 5))


def _fill_field(
    img: Image.Image, f: LField, value: str, rng: random.Random, hand: bool, style: Style
) -> None:
    mark = "past" if style.mark == "circle" else style.mark  # a lone checkbox has no label to circle
    if f.type == "checkbox":
        if value == "true" and f.box is not None:
            _tick(img, f.box, rng, hand, mark)
        return
    if f.type == "choice":
        for opt, box in f.options:
            if opt == value:
                if style.mark == "circle":
                    _circle_label(img, box, opt, rng)
                else:
                    _tick(img, box, rng, hand, mark)
        return
    if value and f.box is not None:
        (_draw_hand if hand else _draw_printed)(img, value, f.box, rng, style)


def scan(img: Image.Image, rng: random.Random, *, strength: float = 1.0) -> Image.Image:
    """Simulate a scanner: rotation, shift, scale, blur, noise, brightness (JPEG happens on save)."""
    w, h = img.size
    angle = rng.uniform(-2.0, 2.0) * strength
    scale = 1 + rng.uniform(-0.04, 0.04) * strength
    dx, dy = rng.uniform(-30, 30) * strength, rng.uniform(-30, 30) * strength
    a = math.radians(angle)
    cos, sin = math.cos(a) / scale, math.sin(a) / scale
    cx, cy = w / 2, h / 2
    coeffs = (cos, sin, cx - cos * cx - sin * cy - dx, -sin, cos, cy + sin * cx - cos * cy - dy)
    out = img.transform(
        (w, h), Image.Transform.AFFINE, coeffs, resample=Image.Resampling.BILINEAR, fillcolor=255
    )
    if rng.random() < 0.7:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9) * strength))
    arr = np.asarray(out, dtype=np.float32)
    arr = arr * rng.uniform(0.92, 1.0) + rng.uniform(0, 14)
    nrng = np.random.default_rng(rng.randrange(2**32))
    arr += nrng.normal(0, 6 * strength, arr.shape)
    specks = nrng.random(arr.shape) < 0.0003 * strength
    arr[specks] = 40
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")


def save_scan(img: Image.Image, path: Path, rng: random.Random) -> None:
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        img.save(path, quality=rng.randint(55, 85))
    elif suffix == ".pdf":
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=rng.randint(65, 90))
        Image.open(io.BytesIO(buf.getvalue())).save(path, "PDF", resolution=150)
    else:
        img.save(path)


def generate(
    out_dir: Path,
    form: str,
    n: int,
    seed: int,
    *,
    handwriting_share: float = 0.3,
    unreadable: int = 0,
    formats: tuple[str, ...] = (".png", ".jpg", ".pdf"),
    first_number: int | None = None,
    strength: float = 1.0,
) -> list[GroundTruth]:
    """Write ``n`` scans of form ``form`` (+ ``unreadable`` refused ones) and ``ground_truth.json``."""
    layout = LAYOUTS[form]()
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = first_number if first_number is not None else rng.randrange(100000, 900000 - n)
    numbers = list(range(start, start + n))
    truths: list[GroundTruth] = []
    hands = [rng.random() < handwriting_share for _ in range(n)]  # styles do not shift with the values drawn
    for i, hand in enumerate(hands):
        written, truth = fake_values(layout, rng, numbers[i])
        page = scan(render_filled(layout, written, rng, hand=hand), rng, strength=strength)
        name = f"{form}_{seed}_{i:04d}{formats[i % len(formats)]}"
        save_scan(page, out_dir / name, rng)
        truths.append(
            GroundTruth(
                file=name, page=1, template=form, style="handwriting" if hand else "printed", values=truth
            )
        )
    for k in range(unreadable):
        name = f"{form}_{seed}_bad{k}.png"
        kind = k % 3
        if kind == 0:
            img = scan(Image.new("L", render_blank(layout).size, 255), rng)
            reason = "blank"
        elif kind == 1:
            filled = render_filled(layout, fake_values(layout, rng, 0)[0], rng, hand=False)
            img = scan(filled.rotate(180), rng)
            reason = "upside-down"
        else:
            other = next(v for k2, v in LAYOUTS.items() if k2 != form)()
            img = scan(render_blank(other), rng)
            reason = "wrong form"
        save_scan(img, out_dir / name, rng)
        truths.append(GroundTruth(file=name, page=1, template=form, style="printed", expect_failure=reason))
    (out_dir / "ground_truth.json").write_text(
        json.dumps([t.to_dict() for t in truths], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return truths


def generate_juminhyo_batch(
    out_dir: Path, n: int, seed: int, *, unreadable: int = 1, handwriting_share: float = 0.3
) -> list[GroundTruth]:
    """Demo batch of 住民票の写し等交付申請書 scans (PNG/JPEG/PDF mix), 受付番号 unique per form."""
    return generate(out_dir, "juminhyo", n, seed, handwriting_share=handwriting_share, unreadable=unreadable)


def load_ground_truth(folder: Path) -> list[GroundTruth]:
    data = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    return [GroundTruth(**d) for d in data]
