"""Templates: the shipped ones are valid and match their layouts; errors point at file:line:col."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from dxrpa.cli import main
from dxrpa.demo.forms.layout import LAYOUTS, template_dict
from dxrpa.errors import DataError, DefinitionError, DefinitionErrors, ExitCode
from dxrpa.ocr.draft import draft_template, find_boxes
from dxrpa.ocr.template import load_template

from .conftest import TEMPLATES

JUMINHYO_FIELDS = {
    "受付番号": "number",
    "申請日": "date",
    "氏名": "text",
    "フリガナ": "katakana",
    "生年月日": "date",
    "郵便番号": "postal_code",
    "住所": "text",
    "電話番号": "phone",
    "請求の種類": "choice",
    "必要部数": "number",
    "本籍・筆頭者の記載": "checkbox",
}


def test_shipped_templates_load_and_match_layouts() -> None:
    for name, layout in LAYOUTS.items():
        t = load_template(TEMPLATES / f"{name}.yaml")
        assert t.blank.shape == (t.spec.page.height, t.spec.page.width)
        on_disk = yaml.safe_load((TEMPLATES / f"{name}.yaml").read_text(encoding="utf-8"))
        assert on_disk == template_dict(layout()), f"{name}.yaml drifted from dxrpa.demo.forms.layout"


def test_juminhyo_field_names_and_types_are_the_contract() -> None:
    t = load_template(TEMPLATES / "juminhyo.yaml")
    assert {f.name: f.type for f in t.spec.fields} == JUMINHYO_FIELDS
    assert t.spec.field("受付番号").digits == 6
    assert t.spec.field("申請日").era == "wareki"
    assert [o.value for o in t.spec.field("請求の種類").options] == ["住民票の写し", "住民票記載事項証明書"]
    copies = t.spec.field("必要部数")
    assert (copies.min, copies.max) == (1, 10)
    assert t.spec.department == "市民課"


def _copy(tmp_path: Path, edit: str, new: str) -> Path:
    shutil.copy(TEMPLATES / "juminhyo.png", tmp_path / "juminhyo.png")
    text = (TEMPLATES / "juminhyo.yaml").read_text(encoding="utf-8")
    assert edit in text
    path = tmp_path / "juminhyo.yaml"
    path.write_text(text.replace(edit, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


def test_box_outside_page_is_reported_at_its_line(tmp_path: Path) -> None:
    path = _copy(tmp_path, "box: [368, 780, 774, 68]", "box: [368, 780, 2774, 68]")
    with pytest.raises(DefinitionError) as err:
        load_template(path)
    assert f"juminhyo.yaml:{_line_of(path, '2774')}:" in str(err.value)
    assert "外" in str(err.value)


def test_unknown_key_has_did_you_mean(tmp_path: Path) -> None:
    path = _copy(tmp_path, "  required: true\n  digits: 6", "  requird: true\n  digits: 6")
    with pytest.raises(DefinitionErrors) as err:
        load_template(path)
    assert f"juminhyo.yaml:{_line_of(path, 'requird')}:" in str(err.value)
    assert "required" in str(err.value)


def test_bad_type_regex_and_missing_image(tmp_path: Path) -> None:
    path = _copy(tmp_path, "type: postal_code", "type: zipcode")
    with pytest.raises(DefinitionErrors) as err:
        load_template(path)
    assert f":{_line_of(path, 'zipcode')}:" in str(err.value)

    path = _copy(tmp_path, "  digits: 6", "  digits: 6\n  regex: '([0-9'")
    with pytest.raises(DefinitionErrors) as err:
        load_template(path)
    assert "regex" in str(err.value) or "正規表現" in str(err.value)

    path = _copy(tmp_path, "image: juminhyo.png", "image: nothere.png")
    with pytest.raises(DefinitionErrors) as err:
        load_template(path)
    assert f":{_line_of(path, 'nothere')}:" in str(err.value)

    from PIL import Image

    Image.new("L", (1240, 1754), 255).save(tmp_path / "white.png")  # a blank sheet, not the form
    path = _copy(tmp_path, "image: juminhyo.png", "image: white.png")
    with pytest.raises(DefinitionErrors) as err:
        load_template(path)
    assert f":{_line_of(path, 'white.png')}:" in str(err.value) and "印刷" in str(err.value)


def test_choice_needs_options_and_names_are_unique(tmp_path: Path) -> None:
    path = _copy(tmp_path, "- name: 氏名", "- name: 申請日")
    with pytest.raises(DefinitionErrors) as err:
        load_template(path)
    assert "申請日" in str(err.value)


def test_cli_validate_exit_code(tmp_path: Path, ocr_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ocr", "templates", "validate"]) == 0
    bad = _copy(tmp_path, "box: [368, 780, 774, 68]", "box: [368, 1780, 774, 68]")
    assert main(["ocr", "templates", "validate", str(bad)]) == ExitCode.DEFINITION
    out = capsys.readouterr()
    assert f"juminhyo.yaml:{_line_of(bad, '1780')}" in out.err


def test_template_init_drafts_boxes(tmp_path: Path, ocr_home: Path) -> None:
    import numpy as np
    from PIL import Image

    blank = np.asarray(Image.open(TEMPLATES / "juminhyo.png").convert("L"))
    boxes = find_boxes(blank)
    spec = load_template(TEMPLATES / "juminhyo.yaml").spec
    for f in spec.fields:
        for x, y, w, _h in f.boxes():
            assert any(
                abs(bx - x) <= 8 and abs(by - y) <= 8 and abs(bw - w) <= 12 for bx, by, bw, _ in boxes
            ), f.name
    shutil.copy(TEMPLATES / "juminhyo.png", tmp_path / "blank.png")
    assert main(["ocr", "template", "init", str(tmp_path / "blank.png")]) == 0
    draft = tmp_path / "blank.yaml"
    t = load_template(draft)
    assert len(t.spec.fields) >= 11
    with pytest.raises(DataError):
        draft_template(tmp_path / "missing.png")
