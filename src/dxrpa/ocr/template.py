"""Load and check OCR form templates (``ocr/templates/NAME.yaml`` + the blank image beside it).

Templates are written by staff, so every problem is reported at ``file:line:col``: YAML and
schema errors by :func:`dxrpa.config.load_definition`, and here the checks that need the image
(boxes outside the page, a missing or differently sized blank image, a bad regex or dictionary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from dxrpa.config import Positions, load_definition
from dxrpa.errors import DefinitionError, DefinitionErrors, UsageError
from dxrpa.i18n import tr
from dxrpa.model.form import Box, FormTemplate
from dxrpa.ocr.address import AddressMaster
from dxrpa.ocr.load import blank_gray
from dxrpa.ocr.textfile import decode


@dataclass
class Template:
    """A validated template with its blank image loaded (grayscale) and dictionaries read."""

    spec: FormTemplate
    path: Path
    blank: np.ndarray
    dictionaries: dict[str, set[str]] = field(default_factory=dict)
    masters: dict[str, AddressMaster] = field(default_factory=dict)  # field name → its 町字 master

    @property
    def name(self) -> str:
        return self.spec.name


def _box_errors(
    box: Box, loc: tuple[str | int, ...], spec: FormTemplate, pos: Positions
) -> list[DefinitionError]:
    x, y, w, h = box
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > spec.page.width or y + h > spec.page.height:
        line, col = pos.find(loc)
        return [
            DefinitionError(
                tr(
                    f"枠 [{x}, {y}, {w}, {h}] がページ（{spec.page.width}×{spec.page.height}）の外にあります",
                    f"box [{x}, {y}, {w}, {h}] falls outside the page ({spec.page.width}×{spec.page.height})",
                ),
                path=pos.path,
                line=line,
                col=col,
                hint=tr(
                    "x, y, 幅, 高さ をテンプレート画像のピクセルで指定してください",
                    "give x, y, width, height in pixels of the blank image",
                ),
            )
        ]
    return []


def _load_master(path: Path, name: str, i: int, pos: Positions) -> AddressMaster | DefinitionError:
    """Field ``i``'s address master, which must lie beside the template."""
    folder = path.parent.resolve()
    beside = (path.parent / name).resolve().is_relative_to(folder)
    if not (beside and (path.parent / name).is_file()):
        line, col = pos.find(("fields", i, "master"))
        return DefinitionError(
            tr(
                f"町字マスター {path.parent / name} がテンプレートのフォルダにありません",
                f"address master {path.parent / name} not found beside the template",
            ),
            path=pos.path,
            line=line,
            col=col,
            hint=tr("テンプレートと同じフォルダに置いてください", "put it beside the template"),
        )
    try:
        return AddressMaster.load(path.parent / name)
    except DefinitionError as exc:
        return exc


def _regex_error(regex: str, i: int, pos: Positions) -> DefinitionError | None:
    try:
        re.compile(regex)
    except re.error as exc:
        line, col = pos.find(("fields", i, "regex"))
        return DefinitionError(
            tr(f"正規表現が不正です: {exc}", f"invalid regex: {exc}"), path=pos.path, line=line, col=col
        )
    return None


def _load_dictionary(path: Path, name: str, i: int, pos: Positions) -> set[str] | DefinitionError:
    """Field ``i``'s dictionary (one word a line), which must lie in the template's folder."""
    dpath = path.parent / name
    try:
        if not dpath.resolve().is_relative_to(path.parent.resolve()):  # only beside the template
            raise OSError(name)
        words = decode(dpath, dpath.read_bytes()).splitlines()
        return {w.strip() for w in words if w.strip()}
    except DefinitionError as exc:
        return exc
    except OSError:
        line, col = pos.find(("fields", i, "dictionary"))
        return DefinitionError(
            tr(f"辞書ファイル {dpath} を読めません", f"cannot read dictionary {dpath}"),
            path=pos.path,
            line=line,
            col=col,
            hint=tr(
                "辞書はテンプレートと同じフォルダー(またはその下)に置いてください",
                "keep the dictionary in the template's folder (or below it)",
            ),
        )


def load_template(path: Path) -> Template:
    """Load ``path``; raise DefinitionError(s) with positions for every problem found."""
    spec, pos = load_definition(path, FormTemplate)
    errors: list[DefinitionError] = []
    dictionaries: dict[str, set[str]] = {}
    masters: dict[str, AddressMaster] = {}
    for i, f in enumerate(spec.fields):
        if f.master is not None:
            master = _load_master(path, f.master, i, pos)
            if isinstance(master, DefinitionError):
                errors.append(master)
            else:
                masters[f.name] = master
        if f.box is not None:
            errors += _box_errors(f.box, ("fields", i, "box"), spec, pos)
        for j, opt in enumerate(f.options):
            errors += _box_errors(opt.box, ("fields", i, "options", j, "box"), spec, pos)
        if f.regex is not None and (bad := _regex_error(f.regex, i, pos)) is not None:
            errors.append(bad)
        if f.dictionary is not None:
            words = _load_dictionary(path, f.dictionary, i, pos)
            if isinstance(words, DefinitionError):
                errors.append(words)
            else:
                dictionaries[f.name] = words
    blank = np.zeros((1, 1), dtype=np.uint8)
    img_path = path.parent / spec.image
    line, col = pos.find(("image",))
    try:
        with Image.open(img_path) as im:
            blank = blank_gray(im)
    except (OSError, ValueError):
        errors.append(
            DefinitionError(
                tr(f"白紙の様式画像 {img_path} を読めません", f"cannot read the blank form image {img_path}"),
                path=pos.path,
                line=line,
                col=col,
                hint=tr(
                    "`dxrpa ocr template init 白紙.png` で作成できます",
                    "create one with `dxrpa ocr template init blank.png`",
                ),
            )
        )
    else:
        h, w = blank.shape
        if (w, h) != (spec.page.width, spec.page.height):
            errors.append(
                DefinitionError(
                    tr(
                        f"様式画像の大きさ {w}×{h} が page（{spec.page.width}×{spec.page.height}）と違います",
                        f"blank image is {w}×{h} but page says {spec.page.width}×{spec.page.height}",
                    ),
                    path=pos.path,
                    line=line,
                    col=col,
                )
            )
        elif np.count_nonzero(blank < 220) < 0.001 * blank.size:  # nothing to align a page on
            errors.append(
                DefinitionError(
                    tr(
                        f"様式画像 {img_path.name} に印刷（罫線・文字）がありません",
                        f"the blank form image {img_path.name} shows no print (lines, labels)",
                    ),
                    path=pos.path,
                    line=line,
                    col=col,
                    hint=tr(
                        "記入前の様式をスキャンした画像を指定してください",
                        "give a scan of the form as printed, before it is filled in",
                    ),
                )
            )
    if errors:
        errors.sort(key=lambda e: (e.line or 0, e.col or 0))
        raise DefinitionErrors(errors)
    return Template(spec=spec, path=path, blank=blank, dictionaries=dictionaries, masters=masters)


def template_paths(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def find_template(name_or_path: str, folder: Path) -> Path:
    """A template by name (``juminhyo`` → ``folder/juminhyo.yaml``) or by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    path = folder / f"{name_or_path}.yaml"
    if path.is_file():
        return path
    known = ", ".join(p.stem for p in template_paths(folder)) or tr("なし", "none")
    raise UsageError(
        tr(
            f"様式テンプレート '{name_or_path}' が {folder} にありません（あるもの: {known}）",
            f"no template '{name_or_path}' in {folder} (available: {known})",
        ),
        hint=tr("`dxrpa ocr templates list` で確認してください", "see `dxrpa ocr templates list`"),
    )


_cache: dict[tuple[str, float], Template] = {}


def get_template(name_or_path: str, folder: Path) -> Template:
    """Load a template once per process (reloaded when the file changes)."""
    path = find_template(name_or_path, folder).resolve()
    key = (str(path), path.stat().st_mtime)
    if key not in _cache:
        _cache[key] = load_template(path)
    return _cache[key]
