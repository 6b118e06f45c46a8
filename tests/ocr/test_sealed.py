"""My Numbers read by OCR are sealed at rest: `dxrpa ocr run` on 印鑑登録 forms whose 個人番号 is filled
in leaves no trace of the number in the database file (nor its WAL), nor in the crop and page images
kept for review, while the store reads it back in clear for robots and review (the review screen and
workbook show the crop), and a store with another key stops with the reason."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import load_settings
from dxrpa.demo.scans import generate
from dxrpa.errors import ConfigError, ExitCode
from dxrpa.ocr import crops
from dxrpa.ocr.engines.base import Engine
from dxrpa.ocr.review import ReviewItem, write_review_workbook
from dxrpa.store import Store
from dxrpa.store.ocr_tables import OcrField
from dxrpa.store.sealed import must_seal


def test_which_text_is_sealed() -> None:
    assert must_seal("123456789018") and must_seal("１２３４ ５６７８ ９０１８")
    assert must_seal("12345678901")  # a My Number read with a digit dropped is still one
    assert must_seal("090-1234-5678")  # phone numbers too: sealing more costs nothing
    assert not must_seal("福岡市中央区天神5丁目30番18号") and not must_seal("令和6年4月1日")


def test_ocr_run_stores_my_numbers_sealed(
    ocr_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    truths = [
        t for t in generate(tmp_path / "in", "inkan", 4, 131, handwriting_share=0.0) if t.values["個人番号"]
    ]
    assert truths, "the seed gives forms with a 個人番号"
    for t in truths:  # only the forms that carry one
        (tmp_path / "scans").mkdir(exist_ok=True)
        (tmp_path / "scans" / t.file).write_bytes((tmp_path / "in" / t.file).read_bytes())
    out = tmp_path / "out.json"
    code = main(["ocr", "run", "--template", "inkan", str(tmp_path / "scans"), "-o", str(out)])
    assert code == ExitCode.OK
    numbers = [t.values["個人番号"] for t in truths]
    assert any(n in out.read_text(encoding="utf-8") for n in numbers), "the output file is the place for them"

    settings = load_settings()
    raw = b"".join(p.read_bytes() for p in settings.var_dir.glob("dxrpa.db*"))
    leaks = [n for n in numbers for form in (n, n[:8], n[4:]) if form.encode() in raw]
    assert leaks == []
    with sqlite3.connect(settings.var_dir / "dxrpa.db") as db:
        stored = [v for (v,) in db.execute("SELECT value FROM ocr_fields WHERE name = '個人番号'")]
    assert stored and all(v.startswith("enc:") for v in stored)

    store = Store(settings.db_url, key_dir=settings.var_dir)
    try:
        with store.session() as s:
            read = [f.value for f in s.scalars(select(OcrField).where(OcrField.name == "個人番号"))]
    finally:
        store.dispose()
    forms = json.loads(out.read_text(encoding="utf-8"))["forms"]
    written = [f["value"] for form in forms for f in form["fields"] if f["name"] == "個人番号"]
    assert sorted(read) == sorted(written)
    assert set(read) & set(numbers), "read back in clear"

    monkeypatch.setenv("DXRPA_SECRET_KEY", "another-key-entirely")  # a host that does not share the key
    other = Store(settings.db_url, key_dir=settings.var_dir)
    try:
        with other.session() as s, pytest.raises(ConfigError, match="DXRPA_SECRET_KEY"):
            list(s.scalars(select(OcrField).where(OcrField.name == "個人番号")))
    finally:
        other.dispose()


def test_crops_and_page_images_do_not_show_my_numbers(ocr_home: Path, tmp_path: Path, engine: Engine) -> None:
    truths = [
        t
        for t in generate(tmp_path / "scans", "inkan", 4, 131, handwriting_share=0.5)
        if t.values["個人番号"]
    ]
    assert truths, "the seed gives forms with a 個人番号"
    for t in generate(tmp_path / "scans", "inkan", 4, 131, handwriting_share=0.5):
        if not t.values["個人番号"]:
            (tmp_path / "scans" / t.file).unlink()
    out = tmp_path / "out.json"
    assert main(["ocr", "run", "--template", "inkan", str(tmp_path / "scans"), "-o", str(out)]) == ExitCode.OK
    folder = tmp_path / "out_crops"
    sealed = sorted(folder.glob("*.png.sealed"))
    assert len(sealed) >= len(truths), sorted(p.name for p in folder.iterdir())
    numbers = [t.values["個人番号"] for t in truths]

    def gray(path: Path) -> np.ndarray:
        return np.asarray(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), np.uint8)

    readings = [r.text for r in engine.recognize([gray(p) for p in folder.glob("*.png")])]
    for page in folder.glob("*_page.jpg"):
        readings += [line.text for line in engine.read_page(gray(page))]
    digits = ["".join(c for c in text if c.isdigit()) for text in readings]
    assert [n for n in numbers for d in digits if n[:8] in d or n[4:] in d] == []
    assert any("2" in d for d in digits), "the plain images were read (other numbers show)"

    settings = load_settings()
    store = Store(settings.db_url, key_dir=settings.var_dir)
    try:
        for path in sealed:
            assert not path.read_bytes().startswith(b"\x89PNG")
            png = crops.read(path, store.vault.open_bytes)
            assert (
                png is not None
                and cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE) is not None
            )
        assert crops.read(sealed[0], None) is None  # no key, no image
        book = write_review_workbook(
            tmp_path / "review.xlsx",
            token="t",
            batch_id="b",
            template="inkan",
            items=[ReviewItem(1, "a.png", 1, "個人番号", "my_number", "", "", 0.5, "", str(sealed[0]))],
            exported_at=datetime.now(),
            open_crop=store.vault.open_bytes,
        )
        assert len(load_workbook(book).active._images) == 1  # staff see the crop in the workbook
    finally:
        store.dispose()


def test_values_stored_before_sealing_are_sealed_by_the_upgrade(tmp_path: Path) -> None:
    from alembic import command

    from dxrpa.model.form import FieldResult, FormResult
    from dxrpa.store import migrate, ocr_repo

    store = Store(f"sqlite:///{tmp_path / 'old.db'}", key_dir=tmp_path)
    try:
        store.upgrade()
        fields = [FieldResult(name="個人番号", type="my_number", value="123456789018", text="1234 5678 9018")]
        fields.append(FieldResult(name="氏名", type="text", value="山田 太郎"))
        with store.session() as s:
            ocr_repo.save_batch(s, template="inkan", results=[FormResult(source_file="a.png", fields=fields)])
            s.commit()
        with store.engine.begin() as conn:  # back to the release before sealing: the values in clear
            command.downgrade(migrate._config(conn), "a1b2c3d40013")
        stored = {n: (v, t) for n, v, t in _raw(tmp_path / "old.db")}
        assert stored == {"個人番号": ("123456789018", "1234 5678 9018"), "氏名": ("山田 太郎", "")}
        store.upgrade()
        stored = {n: (v, t) for n, v, t in _raw(tmp_path / "old.db")}
        assert stored["個人番号"][0].startswith("enc:") and stored["個人番号"][1].startswith("enc:")
        assert stored["氏名"] == ("山田 太郎", "")
        with store.session() as s:
            assert {f.name: f.value for f in s.scalars(select(OcrField))}["個人番号"] == "123456789018"
    finally:
        store.dispose()


def _raw(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT name, value, ocr_text FROM ocr_fields"))


def test_text_that_looks_like_a_token_reads_back_as_written(tmp_path: Path) -> None:
    from dxrpa.model.form import FieldResult, FormResult
    from dxrpa.store import ocr_repo

    store = Store(f"sqlite:///{tmp_path / 'x.db'}", key_dir=tmp_path)
    try:
        store.upgrade()
        fields = [FieldResult(name="メール", type="email", value="enc:abc@example.jp")]
        with store.session() as s:
            ocr_repo.save_batch(s, template="inkan", results=[FormResult(source_file="a.png", fields=fields)])
            s.commit()
        with store.session() as s:
            assert [f.value for f in s.scalars(select(OcrField))] == ["enc:abc@example.jp"]
    finally:
        store.dispose()
