"""Bad input: each file fails alone with a clear reason; the others are still read; exit code 11."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from dxrpa.cli import main
from dxrpa.demo.scans import GroundTruth
from dxrpa.errors import DataError, ExitCode
from dxrpa.ocr.load import load_pages
from dxrpa.ocr.pipeline import FormReader


def _pdf(encrypt: bool) -> bytes:
    """A one-page blank PDF; with ``encrypt`` it needs a (unknown) user password."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    if encrypt:
        objs.append(
            b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    trailer = f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R".encode()
    if encrypt:
        trailer += f" /Encrypt {len(objs)} 0 R /ID [<{'ab' * 16}> <{'ab' * 16}>]".encode()
    out += trailer + f" >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A tiny file whose header claims 50,000 × 50,000 pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def _bad_files(folder: Path) -> dict[str, str]:
    """File name → a word the error must contain."""
    (folder / "empty.png").write_bytes(b"")
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << garbage")
    (folder / "encrypted.pdf").write_bytes(_pdf(encrypt=True))
    (folder / "blank.pdf").write_bytes(_pdf(encrypt=False))
    (folder / "bomb.png").write_bytes(_bomb_png())
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    return {
        "empty.png": "0バイト",
        "corrupt.pdf": "壊れ",
        "encrypted.pdf": "暗号化",
        "blank.pdf": "白紙",
        "bomb.png": "大きすぎ",
        "broken.jpg": "画像として読み込めません",
    }


def test_each_bad_file_gets_its_reason(tmp_path: Path, reader: FormReader) -> None:
    expected = _bad_files(tmp_path)
    for name, word in expected.items():
        results = list(reader.read_file(tmp_path / name))
        assert len(results) == 1 and results[0].status == "failed", name
        assert name in results[0].error and word in results[0].error, (name, results[0].error)


def test_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    (tmp_path / "bomb.png").write_bytes(_bomb_png())
    with pytest.raises(DataError, match="2,500,000,000"):
        next(iter(load_pages(tmp_path / "bomb.png")))
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS <= 100_000_000


def test_refused_pages_say_why(scans: tuple[Path, list[GroundTruth]], reader: FormReader) -> None:
    folder, truths = scans
    words = {"blank": "白紙", "upside-down": "上下逆さま", "wrong form": "一致"}
    for gt in truths:
        if gt.expect_failure:
            result = next(iter(reader.read_file(folder / gt.file)))
            assert result.status == "failed"
            assert words[gt.expect_failure] in result.error, result.error


def test_multipage_tiff_reads_every_page(
    tmp_path: Path, scans: tuple[Path, list[GroundTruth]], reader: FormReader
) -> None:
    folder, truths = scans
    good = [t for t in truths if not t.expect_failure][:2]
    pages = [Image.open(folder / t.file).convert("L") for t in good]
    pages[0].save(tmp_path / "two.tif", save_all=True, append_images=pages[1:])
    results = list(reader.read_file(tmp_path / "two.tif"))
    assert [r.page for r in results] == [1, 2]
    assert all(r.status != "failed" for r in results)
    assert results[1].values()["受付番号"] == good[1].values["受付番号"]


def test_cli_mixed_batch_writes_outputs_then_exits_11(
    tmp_path: Path, ocr_home: Path, scans: tuple[Path, list[GroundTruth]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, truths = scans
    inbox = tmp_path / "in"
    inbox.mkdir()
    expected = _bad_files(inbox)
    good = next(t for t in truths if not t.expect_failure)
    (inbox / good.file).write_bytes((folder / good.file).read_bytes())
    out = tmp_path / "out.xlsx"
    code = main(["ocr", "run", "--template", "juminhyo", str(inbox), "-o", str(out)])
    assert code == ExitCode.FILES_FAILED
    err = capsys.readouterr().err
    assert "6 件のファイルを読み取れませんでした" in err
    ws = load_workbook(out)["読取結果"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[good.file][2] in ("OK", "要確認")
    for name in expected:
        assert rows[name][2] == "読取不可" and name in rows[name][3]
    # JSON and CSV too
    code = main(
        [
            "ocr",
            "run",
            "-t",
            "juminhyo",
            str(inbox / good.file),
            str(inbox / "empty.png"),
            "-o",
            str(tmp_path / "out.json"),
        ]
    )
    assert code == ExitCode.FILES_FAILED
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [f["status"] for f in data["forms"]][1] == "failed"
    # both batches are listed, newest first, with what could not be read
    capsys.readouterr()
    assert main(["ocr", "batches"]) == 0
    listing = capsys.readouterr().out
    lines = [ln for ln in listing.splitlines() if "juminhyo" in ln]
    assert len(lines) == 2
    assert lines[0].split("│")[-2].strip() == "1" and lines[1].split("│")[-2].strip() == "6"


def test_a_missing_recognition_model_is_named(tmp_path: Path) -> None:
    """`ocr.rec_model` naming a file that is not there stops at once, naming it (no download)."""
    from dxrpa.errors import DependencyMissing
    from dxrpa.ocr.engines.rapidocr import RapidOcrEngine

    missing = tmp_path / "PP-OCRv5_server_rec.onnx"
    with pytest.raises(DependencyMissing) as err:
        RapidOcrEngine(rec_model=str(missing))
    assert str(missing) in str(err.value)
