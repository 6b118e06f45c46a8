"""Evidence screenshots mask declared ``pii:`` locators and inputs holding personal data (real Chromium)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.async_api import async_playwright
from playwright.sync_api import Page, sync_playwright

from dxrpa.browser.masking import (
    mask_locators_for_page,
    mask_locators_for_page_async,
    pii_kinds,
    sensitive_indexes,
    value_is_sensitive,
)
from dxrpa.log import redact
from tests.conftest import serve_folder

CHROMIUM = Path("/usr/bin/chromium")
MAGENTA = (255, 0, 255)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #fff; font: 20px sans-serif; }
input, textarea, div.box { position: absolute; left: 10px; width: 320px; height: 40px; color: #000;
  border: 1px solid #888; font: 20px sans-serif; padding: 4px; box-sizing: border-box; }
</style></head><body>
<input id="name" value="山田 太郎 YAMADA" style="top: 10px">
<input id="mynum" value="1234 5678 9018" style="top: 60px">
<input id="receipt" value="123456789012" style="top: 110px">
<input id="phone" value="090-1234-5678" style="top: 160px">
<textarea id="mail" style="top: 210px">taro.yamada@example.lg.jp</textarea>
<div class="box" id="addr" style="top: 260px">東京都千代田区霞が関1-1</div>
<input id="typed" value="" style="top: 310px">
<input id="pw" type="password" value="hunter2-pw" style="top: 360px">
<input type="hidden" value="123456789018">
<input type="checkbox" value="123456789018" style="position: absolute; top: 410px; left: 10px">
</body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    (root / "form.html").write_text(PAGE, encoding="utf-8")
    with serve_folder(root) as base:
        yield f"{base}/form.html"


@pytest.fixture(scope="module")
def page(site: str) -> Iterator[Page]:
    if not CHROMIUM.is_file():
        pytest.fail("Chromium not found at /usr/bin/chromium: install it with `apt-get install chromium`")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
        )
        try:
            context = browser.new_context(viewport={"width": 400, "height": 460}, device_scale_factor=1)
            pg = context.new_page()
            pg.goto(site)
            pg.fill("#typed", "03-1234-5678")  # the *current* value counts, not the HTML attribute
            yield pg
        finally:
            browser.close()


@pytest.mark.parametrize(
    ("value", "kinds"),
    [
        ("123456789018", ["my_number"]),
        ("1234-5678-9018", ["my_number"]),
        ("１２３４５６７８９０１８", ["my_number"]),
        ("123456789012", []),
        ("090-1234-5678", ["phone"]),
        ("03(1234)5678", ["phone"]),
        ("+81 90 1234 5678", ["phone"]),
        ("0120-123-456", ["phone"]),
        ("taro@example.lg.jp", ["email"]),
        ("山田 太郎", []),
        ("2026-11-26", []),
        ("100-0001", []),
    ],
)
def test_pii_kinds(value: str, kinds: list[str]) -> None:
    assert pii_kinds(value) == kinds
    assert value_is_sensitive(value) is bool(kinds)


def test_resolved_secret_values_are_sensitive() -> None:
    redact.add("mask-me-secret-991")
    assert value_is_sensitive("mask-me-secret-991")
    assert not value_is_sensitive("   ")


def _box(page: Page, selector: str) -> tuple[int, int, int, int]:
    box = page.locator(selector).bounding_box()
    assert box is not None
    inset = 3  # stay clear of anti-aliased edges
    return (
        int(box["x"]) + inset,
        int(box["y"]) + inset,
        int(box["x"] + box["width"]) - inset,
        int(box["y"] + box["height"]) - inset,
    )


def _pixels(img: Image.Image, box: tuple[int, int, int, int]) -> list[tuple[int, int, int]]:
    rgb = np.asarray(img.crop(box).convert("RGB")).reshape(-1, 3)
    return [(int(r), int(g), int(b)) for r, g, b in rgb]


def test_masked_screenshot(page: Page, tmp_path: Path) -> None:
    declared = [page.locator("#addr")]
    masks = mask_locators_for_page(page, declared)
    masked_ids = {m.evaluate("e => e.id") for m in masks}
    assert masked_ids == {"addr", "mynum", "phone", "mail", "typed", "pw"}

    png = page.screenshot(
        path=str(tmp_path / "evidence.png"), full_page=True, mask=masks, mask_color="#FF00FF"
    )
    img = Image.open(io.BytesIO(png))
    for selector in ("#addr", "#mynum", "#phone", "#mail", "#typed", "#pw"):
        pixels = _pixels(img, _box(page, selector))
        assert set(pixels) == {MAGENTA}, f"{selector} is not fully masked"
    for selector in ("#name", "#receipt"):
        pixels = _pixels(img, _box(page, selector))
        assert MAGENTA not in pixels, f"{selector} must not be masked"
        assert any(sum(p) < 200 for p in pixels), f"{selector} text should be visible"

    # the declared locators alone, on a page without any sensitive input value
    page.fill("#mynum", "")
    page.fill("#phone", "")
    page.fill("#typed", "")
    page.fill("#mail", "")
    page.fill("#pw", "")
    masks = mask_locators_for_page(page, declared)
    assert [m.evaluate("e => e.id") for m in masks] == ["addr", "pw"]


def test_masked_screenshot_async_api(site: str) -> None:
    """The engine drives Playwright's async API; the async helper masks the same fields."""

    async def scenario() -> tuple[set[str], bytes, dict[str, tuple[int, int, int, int]]]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            try:
                page = await browser.new_page(viewport={"width": 400, "height": 460}, device_scale_factor=1)
                await page.goto(site)
                masks = await mask_locators_for_page_async(page, [page.locator("#addr")])
                ids = {await m.evaluate("e => e.id") for m in masks}
                png = await page.screenshot(full_page=True, mask=masks, mask_color="#FF00FF")
                boxes = {}
                for sel in ("#mynum", "#addr", "#name"):
                    b = await page.locator(sel).bounding_box()
                    assert b is not None
                    boxes[sel] = (
                        int(b["x"]) + 3,
                        int(b["y"]) + 3,
                        int(b["x"] + b["width"]) - 3,
                        int(b["y"] + b["height"]) - 3,
                    )
                return ids, png, boxes
            finally:
                await browser.close()

    # its own thread: the module's sync Playwright keeps an event loop running in this one
    with ThreadPoolExecutor(1) as pool:
        ids, png, boxes = pool.submit(asyncio.run, scenario()).result(timeout=120)
    assert ids == {"addr", "mynum", "phone", "mail", "pw"}
    img = Image.open(io.BytesIO(png))
    assert set(_pixels(img, boxes["#mynum"])) == {MAGENTA}
    assert set(_pixels(img, boxes["#addr"])) == {MAGENTA}
    assert MAGENTA not in _pixels(img, boxes["#name"])


SPLIT_BOXES = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<p>個人番号 <input id="a" value="1234" size="4">-<input id="b" value="5678" size="4">-<input id="c"
value="9018" size="4"></p>
<p>受付番号 <input id="d" value="1234" size="4">-<input id="e" value="5678" size="4">-<input id="f"
value="9012" size="4"></p>
</body></html>"""


def test_a_my_number_typed_into_several_boxes_is_masked(page: Page) -> None:
    """Forms often split 個人番号 into boxes of 4 digits: no box alone is a My Number, together they
    are. Twelve digits that fail the check digit (a receipt number) stay visible."""
    page.set_content(SPLIT_BOXES)
    ids = {m.evaluate("e => e.id") for m in mask_locators_for_page(page, [])}
    assert ids == {"a", "b", "c"}
    assert sensitive_indexes([["text", "123456"], ["tel", "７８９０１８"]]) == [0, 1]
    assert sensitive_indexes([["text", "1234"], ["text", "山田"], ["text", "56789018"]]) == []
