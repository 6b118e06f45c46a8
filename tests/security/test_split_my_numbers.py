"""A My Number that the page keeps in pieces (three table cells, ``<br>``-split lines, one ``<div>`` per
group) is still one My Number: masked in logs, in a kept trace's page HTML and DOM snapshots (real
Chromium), as it is in screenshots (test_screenshot_text_masking) and in split input boxes."""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dxrpa.browser.session import launch
from dxrpa.config import BrowserSettings
from dxrpa.engine.evidence import scrub_trace
from dxrpa.log import is_my_number, redact, split_my_numbers
from tests.conftest import CHROMIUM, require_chromium, serve_folder

PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<table>
<tr><th>受付番号</th><td>000123</td></tr>
<tr><th>個人番号</th><td>3456</td>
  <td>7890</td><td>1234</td></tr>
</table>
<p>届出人 <span id="who">山田 太郎</span></p>
<p>4567<br>8901<br>2346</p>
<div>567801</div><div>234569</div>
</body></html>"""
#: digit groups of the three My Numbers above: none may survive anywhere in the trace
GROUPS = ["3456", "7890", "4567", "8901", "2346", "567801", "234569"]


def test_pieces_that_together_hold_a_my_number() -> None:
    assert all(is_my_number(n) for n in ("345678901234", "456789012346", "567801234569"))
    assert split_my_numbers(["3456", "7890", "1234"]) == {0, 1, 2}
    assert split_my_numbers(["個人番号", "3456", "\n  ", "7890", "", "1234", "済"]) == {1, 3, 5}
    assert split_my_numbers(["３４５６－７８９０", "１２３４"]) == {0, 1}  # full width, a hyphen inside
    assert split_my_numbers(["3456", "山田", "7890", "1234"]) == set()  # a word breaks it
    assert split_my_numbers(["1234", "5678", "9012"]) == set()  # fails the check digit: a receipt number
    assert split_my_numbers(["3456", "7890", "12345"]) == set()  # thirteen digits: not a My Number
    assert split_my_numbers(["345678901234"]) == set()  # one piece is the plain rule's job
    assert split_my_numbers(["9", "3456", "7890", "1234"]) == {1, 2, 3}  # starts inside a run


def test_the_redactor_masks_a_my_number_kept_apart_by_markup() -> None:
    cells = "<tr><td>3456</td>\n<td>7890</td><td>1234</td></tr>"
    assert redact(cells) == "<tr><td>***</td>\n<td>***</td><td>***</td></tr>"
    assert redact("<p>4567<br>8901<br/>2346</p>") == "<p>***<br>***<br/>***</p>"
    assert redact("<td>3456&nbsp;7890&NBSP;1234</td>") == "<td>***&nbsp;***&NBSP;***</td>"
    kept = "<td>1234</td><td>5678</td><td>9012</td> <td class='n1234'>2026</td>"
    assert redact(kept) == kept  # no valid My Number; digits in attributes are not text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    (root / "page.html").write_text(PAGE, encoding="utf-8")
    with serve_folder(root) as base:
        yield f"{base}/page.html"


def test_a_kept_trace_holds_no_piece_of_a_split_my_number(site: str, tmp_path: Path) -> None:
    require_chromium()
    path = tmp_path / "trace.zip"

    async def scenario() -> None:
        browser = await launch(BrowserSettings(executable=str(CHROMIUM)), headless=True)
        try:
            handle = await browser.new_context(
                allowed_domains=["127.0.0.1"], downloads_dir=tmp_path, trace=True, trace_snapshots=True
            )
            await handle.page.goto(site)
            await handle.page.click("#who")
            await handle.stop_trace(path)
        finally:
            await browser.close()

    asyncio.run(scenario())
    with zipfile.ZipFile(path) as z:
        raw = {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}
    assert any('"frame-snapshot"' in t and "山田 太郎" in t for t in raw.values()), "a DOM snapshot was kept"
    assert any(all(g in t for g in GROUPS) for t in raw.values()), "the unscrubbed trace holds the numbers"
    scrub_trace(path)
    with zipfile.ZipFile(path) as z:
        texts = {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}
    leaks = [(n, g) for n, t in texts.items() for g in GROUPS if g in t]
    assert leaks == []
    assert any("山田 太郎" in t and "000123" in t for t in texts.values()), "the rest of the page stays"
