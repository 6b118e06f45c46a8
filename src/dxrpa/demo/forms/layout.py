"""Layouts of the demo application forms: the blank form image and the OCR template YAML.

One layout is the single source of truth for both the printed blank form and the field boxes of
``ocr/templates/NAME.yaml``, so the shipped templates always match their images. Pixels are A4 at
150 dpi (1240 × 1754).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw, ImageFont

PAGE_W, PAGE_H = 1240, 1754
GOTHIC = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
MINCHO = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"
NOTO_SANS = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTO_SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
FONT_HINT = "apt-get install fonts-ipaexfont fonts-noto-cjk"


@cache
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A Japanese font; index 0 of a .ttc collection is the JP face for Noto CJK files we use."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"Japanese font missing: {path} ({FONT_HINT})")
    index = 0
    return ImageFont.truetype(path, size, index=index)


@dataclass
class LField:
    """A field row of a layout: the label printed on paper and the template spec."""

    label: str
    name: str
    type: str
    box: tuple[int, int, int, int] | None = None
    options: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    suffix: str = ""  # printed right of the box (e.g. 通)


@dataclass
class Layout:
    name: str
    title: str
    department: str
    addressee: str
    notes: list[str]
    fields: list[LField]


ROW_H = 88
LABEL_X, LABEL_W = 90, 270
BOX_X = LABEL_X + LABEL_W
RIGHT = PAGE_W - 90
CHECK = 34


def _rows(top: int, specs: list[tuple[str, str, str, int, dict[str, Any]]]) -> list[LField]:
    """Stack rows; width 0 means "to the right margin"."""
    out: list[LField] = []
    y = top
    for label, name, ftype, width, spec in specs:
        extra = dict(spec)
        suffix = str(extra.pop("_suffix", ""))
        opts_raw = extra.pop("_options", None)
        if ftype == "checkbox":
            out.append(
                LField(
                    label,
                    name,
                    ftype,
                    (BOX_X + 24, y + (ROW_H - CHECK) // 2, CHECK, CHECK),
                    spec=extra,
                    suffix=suffix,
                )
            )
        elif ftype == "choice":
            options: list[tuple[str, tuple[int, int, int, int]]] = []
            x = BOX_X + 24
            for opt in opts_raw or []:
                options.append((opt, (x, y + (ROW_H - CHECK) // 2, CHECK, CHECK)))
                x += CHECK + 30 + 26 * len(opt) + 40
            out.append(LField(label, name, ftype, None, options, spec=extra))
        else:
            w = (RIGHT - BOX_X - 16) if width == 0 else width
            out.append(
                LField(label, name, ftype, (BOX_X + 8, y + 10, w, ROW_H - 20), spec=extra, suffix=suffix)
            )
        y += ROW_H
    return out


def juminhyo_layout() -> Layout:
    """住民票の写し等交付申請書 (市民課)."""
    fields = _rows(
        330,
        [
            ("申請日", "申請日", "date", 420, {"era": "wareki", "required": True}),
            ("氏名", "氏名", "text", 560, {"required": True}),
            ("フリガナ", "フリガナ", "katakana", 560, {"required": True}),
            ("生年月日", "生年月日", "date", 420, {"required": True}),
            ("郵便番号", "郵便番号", "postal_code", 260, {"required": True}),
            ("住所", "住所", "text", 0, {"required": True, "master": "machiaza.csv"}),
            ("電話番号", "電話番号", "phone", 400, {"required": True}),
            (
                "請求の種類",
                "請求の種類",
                "choice",
                0,
                {"required": True, "_options": ["住民票の写し", "住民票記載事項証明書"]},
            ),
            ("必要部数", "必要部数", "number", 140, {"required": True, "min": 1, "max": 10, "_suffix": "通"}),
            ("本籍・筆頭者", "本籍・筆頭者の記載", "checkbox", 0, {"_suffix": "記載を希望する"}),
        ],
    )
    number = LField(
        "受付番号", "受付番号", "number", (RIGHT - 250, 200, 250, 70), spec={"required": True, "digits": 6}
    )
    return Layout(
        name="juminhyo",
        title="住民票の写し等交付申請書",
        department="市民課",
        addressee="（あて先）市長",
        notes=[
            "※ 太枠の中を黒のボールペンで記入してください。",
            "※ 本人確認書類（運転免許証・マイナンバーカード等）を窓口で提示してください。",
            "※ 代理人が請求する場合は委任状が必要です。",
            "手数料　１通　３００円",
        ],
        fields=[number, *fields],
    )


def inkan_layout() -> Layout:
    """印鑑登録証明書交付申請書 (市民課)."""
    fields = _rows(
        330,
        [
            ("申請日", "申請日", "date", 420, {"era": "wareki", "required": True}),
            ("登録番号", "登録番号", "number", 300, {"required": True, "digits": 8}),
            ("氏名", "氏名", "text", 560, {"required": True}),
            ("ふりがな", "ふりがな", "hiragana", 560, {"required": True}),
            ("生年月日", "生年月日", "date", 420, {"required": True}),
            ("住所", "住所", "text", 0, {"required": True, "master": "machiaza.csv"}),
            ("電話番号", "電話番号", "phone", 400, {}),
            ("メール", "メールアドレス", "email", 620, {}),
            ("個人番号", "個人番号", "my_number", 460, {}),
            ("必要部数", "必要部数", "number", 140, {"required": True, "min": 1, "max": 10, "_suffix": "通"}),
            ("代理人", "代理人による申請", "checkbox", 0, {"_suffix": "代理人が申請する"}),
        ],
    )
    number = LField(
        "受付番号", "受付番号", "number", (RIGHT - 250, 200, 250, 70), spec={"required": True, "digits": 6}
    )
    return Layout(
        name="inkan",
        title="印鑑登録証明書交付申請書",
        department="市民課",
        addressee="（あて先）市長",
        notes=[
            "※ 印鑑登録証（カード）を必ずお持ちください。",
            "※ 登録番号は印鑑登録証に記載されています。",
            "※ 個人番号の記入は任意です。",
            "手数料　１通　３００円",
        ],
        fields=[number, *fields],
    )


LAYOUTS = {"juminhyo": juminhyo_layout, "inkan": inkan_layout}


def _center_text(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str, size: int) -> None:
    f = font(GOTHIC, size)
    x, y, w, h = box
    tw = draw.textlength(text, font=f)
    draw.text((x + (w - tw) / 2, y + (h - size) / 2 - 2), text, font=f, fill=0)


def render_blank(layout: Layout) -> Image.Image:
    """The printed blank form (grayscale)."""
    img = Image.new("L", (PAGE_W, PAGE_H), 255)
    d = ImageDraw.Draw(img)
    title = font(MINCHO, 48)
    tw = d.textlength(layout.title, font=title)
    d.text(((PAGE_W - tw) / 2, 90), layout.title, font=title, fill=0)
    d.text((LABEL_X, 200), layout.addressee, font=font(MINCHO, 30), fill=0)
    d.text((LABEL_X, 250), f"{layout.department}　窓口用", font=font(GOTHIC, 22), fill=0)
    rows = [f for f in layout.fields if f.name != "受付番号"]
    top = 330
    bottom = top + ROW_H * len(rows)
    d.rectangle((LABEL_X, top, RIGHT, bottom), outline=0, width=4)
    for i, fld in enumerate(rows):
        y = top + i * ROW_H
        if i:
            d.line((LABEL_X, y, RIGHT, y), fill=0, width=2)
        d.rectangle((LABEL_X + 2, y + 2, BOX_X, y + ROW_H - 2), fill=225)
        _center_text(d, (LABEL_X, y, LABEL_W, ROW_H), fld.label, 28)
        _draw_field(d, fld)
    d.line((BOX_X, top, BOX_X, bottom), fill=0, width=2)
    num = layout.fields[0]
    assert num.box is not None
    x, y, w, h = num.box
    d.rectangle((x - 150, y - 8, x + w + 8, y + h + 8), outline=0, width=3)
    _center_text(d, (x - 150, y - 8, 140, h + 16), "受付番号", 26)
    d.line((x - 8, y - 8, x - 8, y + h + 8), fill=0, width=2)
    ny = bottom + 50
    for note in layout.notes:
        d.text((LABEL_X, ny), note, font=font(GOTHIC, 24), fill=0)
        ny += 44
    # office-use strip: stamps and a barcode-like pattern give alignment features everywhere
    sy = ny + 50
    d.text((LABEL_X, sy - 36), "【市役所使用欄】", font=font(GOTHIC, 24), fill=0)
    for j, label in enumerate(["受付", "審査", "交付", "入力", "照合"]):
        bx = LABEL_X + j * 170
        d.rectangle((bx, sy, bx + 150, sy + 130), outline=0, width=2)
        d.line((bx, sy + 40, bx + 150, sy + 40), fill=0, width=2)
        _center_text(d, (bx, sy, 150, 40), label, 24)
    for k in range(28):
        bx = LABEL_X + 880 + k * 9
        d.rectangle((bx, sy + 15, bx + (2 + (k * 7) % 5), sy + 115), fill=0)
    return img


def _draw_field(d: ImageDraw.ImageDraw, fld: LField) -> None:
    small = font(GOTHIC, 26)
    if fld.type == "choice":
        for value, (x, y, w, h) in fld.options:
            d.rectangle((x, y, x + w, y + h), outline=0, width=2)
            d.text((x + w + 14, y + 2), value, font=small, fill=0)
        return
    assert fld.box is not None
    x, y, w, h = fld.box
    if fld.type == "checkbox":
        d.rectangle((x, y, x + w, y + h), outline=0, width=2)
        d.text((x + w + 14, y + 2), fld.suffix, font=small, fill=0)
        return
    d.rectangle((x, y, x + w, y + h), outline=150, width=1)
    if fld.suffix:
        d.text((x + w + 14, y + h / 2 - 14), fld.suffix, font=small, fill=0)
    if fld.type == "date" and fld.spec.get("era") == "wareki":
        d.text((x + w + 14, y + h / 2 - 12), "（令和・平成・昭和）", font=font(GOTHIC, 20), fill=0)
    if fld.type == "postal_code":
        d.text((x - 2, y - 2), "〒", font=font(GOTHIC, 18), fill=0)


def template_dict(layout: Layout) -> dict[str, Any]:
    """The template YAML content for a layout."""
    fields: list[dict[str, Any]] = []
    for fld in layout.fields:
        entry: dict[str, Any] = {"name": fld.name, "type": fld.type}
        if fld.type == "choice":
            entry["options"] = [{"value": v, "box": list(b)} for v, b in fld.options]
        else:
            assert fld.box is not None
            entry["box"] = list(fld.box)
        entry.update(fld.spec)
        fields.append(entry)
    return {
        "name": layout.name,
        "title": layout.title,
        "department": layout.department,
        "image": f"{layout.name}.png",
        "page": {"width": PAGE_W, "height": PAGE_H},
        "review_minutes_per_field": 0.5,
        "fields": fields,
    }


class _FlowBoxes(yaml.SafeDumper):
    pass


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(x, int) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_FlowBoxes.add_representer(list, _represent_list)


def write_template(layout: Layout, folder: Path) -> Path:
    """Write ``NAME.yaml`` and ``NAME.png`` (blank form) into ``folder``; returns the YAML path."""
    folder.mkdir(parents=True, exist_ok=True)
    render_blank(layout).save(folder / f"{layout.name}.png", optimize=True)
    header = (
        f"# {layout.title} — OCR template (generated from dxrpa.demo.forms.layout; boxes: [x, y, w, h])\n"
    )
    body = yaml.dump(template_dict(layout), Dumper=_FlowBoxes, allow_unicode=True, sort_keys=False, width=120)
    path = folder / f"{layout.name}.yaml"
    path.write_text(header + body, encoding="utf-8")
    return path
