"""Issue 12: screenshots mask page *text*, not only inputs (real Chromium, OCR with the bundled model).

My Numbers, phone numbers and e-mail addresses in table cells (one number over three cells, or over
two ``<div>``), split spans, definition lists, an open
shadow root, a same-origin iframe, a fixed header and below the fold are unreadable in the PNG, for a
full-page and a viewport screenshot of a scrolled page; the rest of the page still reads; and nothing
is written into the page.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dxrpa.browser.masking import masked_screenshot, sensitive_spans
from dxrpa.browser.session import launch
from dxrpa.config import BrowserSettings, OcrSettings
from dxrpa.log import redact
from dxrpa.ocr.engines.base import Engine, get_engine
from tests.conftest import CHROMIUM, require_chromium, serve_folder

SECRET = "TopSecret-Value-77"
#: Personal data on the page, and the digit runs / words that must not survive OCR.
PII_DIGITS = [
    "12345678",
    "56789018",
    "87654321",
    "43210008",
    "09012345678",
    "0312345678",
    "23456789012",
    "0451234567",
    "0665432100",
    "0355550101",
    "34567890",
    "78901234",
    "456789",
    "012346",
]
PII_WORDS = ["yamada", "example", "hanako", "TopSecret"]
#: Text that is not personal and must stay readable.
READABLE = ["申請内容の確認", "山田", "000123", "受付番号", "ページ下部"]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; font: 26px 'Noto Sans CJK JP', sans-serif; background: #fff; color: #000; }
header { position: fixed; top: 0; left: 0; right: 0; height: 44px; background: #eee; }
main { padding: 60px 20px 20px; min-height: 100vh; }
td, th { padding: 6px 14px; text-align: left; }
iframe { width: 700px; height: 120px; border: 2px solid #888; }
</style></head><body>
<header>窓口 03-5555-0101</header>
<main>
<h1>申請内容の確認</h1>
<table>
<tr><th>受付番号</th><td>000123</td></tr>
<tr><th>氏名</th><td>山田 太郎</td></tr>
<tr><th>個人番号</th><td>1234 5678 9018</td></tr>
<tr><th>電話番号</th><td>090-1234-5678</td></tr>
<tr><th>メール</th><td>taro.yamada@example.lg.jp</td></tr>
<tr><th>世帯員</th><td>3456</td><td>7890</td><td>1234</td></tr>
</table>
<div>届出人</div><div>456789</div><div>012346</div>
<p>本人確認 <span>8765</span>-<span>4321</span>-<span>0008</span> 済み</p>
<dl><dt>連絡先</dt><dd>０３－１２３４－５６７８</dd></dl>
<div id="host"></div>
<p>合言葉 <b>TopSecret-Value-77</b></p>
<iframe src="/inner.html"></iframe>
</main>
<div style="height: 1400px"></div>
<p>ページ下部 お問い合わせ 06-6543-2100</p>
<script>
document.getElementById('host').attachShadow({mode: 'open'}).innerHTML =
  '<p>世帯主 <span>234567890121</span></p>';
</script>
</body></html>"""
INNER = """<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 4px; font: 26px 'Noto Sans CJK JP', sans-serif; }</style></head><body>
<table><tr><th>勤務先</th><td>045-123-4567</td><td>hanako@example.jp</td></tr></table>
</body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    (root / "page.html").write_text(PAGE, encoding="utf-8")
    (root / "inner.html").write_text(INNER, encoding="utf-8")
    with serve_folder(root) as base:
        yield f"{base}/page.html"


@pytest.fixture(scope="module")
def ocr() -> Engine:
    return get_engine(OcrSettings())


def ocr_lines(engine: Engine, png: Path) -> list[str]:
    """Every line the bundled RapidOCR model reads in the image, NFKC-normalized."""
    image = np.asarray(Image.open(png).convert("RGB"))[:, :, ::-1].copy()
    return [unicodedata.normalize("NFKC", line.text) for line in engine.read_page(image)]


def leaks(lines: list[str], digits: list[str], words: list[str]) -> list[str]:
    """Lines in which a personal digit run or word can still be read."""
    found = []
    for line in lines:
        only_digits = "".join(c for c in line if c.isdigit())
        if any(d in only_digits for d in digits) or any(w.lower() in line.lower() for w in words):
            found.append(line)
    return found


def shoot(url: str, folder: Path, *, full_page: bool, scroll: int) -> tuple[Path, str]:
    async def scenario() -> tuple[Path, str]:
        browser = await launch(BrowserSettings(executable=str(CHROMIUM)), headless=True)
        try:
            handle = await browser.new_context(allowed_domains=["127.0.0.1"], downloads_dir=folder)
            page = handle.page
            await page.goto(url)
            await page.frame_locator("iframe").locator("td").first.wait_for()
            await page.evaluate("y => window.scrollTo(0, y)", scroll)
            before = await page.content()
            path = await masked_screenshot(page, folder / "shot.png", [], full_page=full_page)
            after = await page.content()
            assert before == after, "masking must not write into the page"
            return path, after
        finally:
            await browser.close()

    return asyncio.run(scenario())


def test_sensitive_spans_rules() -> None:
    redact.add(SECRET)
    text = "個人番号 1234 5678 9018 電話 ０９０－１２３４－５６７８ mail a.b@example.jp 受付 000123"
    spans = [text[a:b] for a, b in sensitive_spans(text)]
    assert spans == ["1234 5678 9018", "０９０－１２３４－５６７８", "a.b@example.jp"]
    assert sensitive_spans("番号 123456789012 は検証桁が違う") == []  # not a valid My Number
    assert sensitive_spans("1234ー5678ー9018") == [(0, 14)]
    assert sensitive_spans(f"合言葉 {SECRET}") == [(0, 4 + len(SECRET))]  # a secret hides its whole text
    assert sensitive_spans("2026-11-26 〒100-0001") == []


@pytest.mark.parametrize(("full_page", "scroll"), [(True, 300), (False, 0)])
def test_screenshot_masks_text_everywhere(
    site: str, ocr: Engine, tmp_path: Path, full_page: bool, scroll: int
) -> None:
    require_chromium()
    redact.add(SECRET)
    png, _html = shoot(site, tmp_path, full_page=full_page, scroll=scroll)
    lines = ocr_lines(ocr, png)
    text = "\n".join(lines)
    assert leaks(lines, PII_DIGITS, PII_WORDS) == [], text
    visible = READABLE if full_page else READABLE[:4]  # the viewport shot stops above the page's foot
    missing = [w for w in visible if w not in text]
    assert missing == [], text
