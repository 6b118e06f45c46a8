"""The hand-written Playwright script the RPA-Challenge bench compares dxrpa with (run as a child
process by bench/rpa_challenge.py, so its imports and browser launch are timed like ``dxrpa run``'s).

Usage: python bench/_raw_challenge.py URL XLSX CHROMIUM
"""

from __future__ import annotations

import asyncio
import os
import sys

import openpyxl
from playwright.async_api import async_playwright

FIELDS = ["First Name", "Last Name", "Company Name", "Role in Company", "Address", "Email", "Phone Number"]
ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


async def main(url: str, xlsx: str, chromium: str) -> int:
    rows = list(openpyxl.load_workbook(xlsx, read_only=True).active.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    data = [{h: "" if v is None else str(v) for h, v in zip(header, r, strict=False)} for r in rows[1:]]
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium or None, headless=True, args=[*ARGS, *(["--no-sandbox"] if root else [])]
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        page = await context.new_page()
        await page.goto(url + "/")
        for row in data:
            for field in FIELDS:
                await page.get_by_label(field, exact=True).fill(row[field])
            await page.get_by_role("button", name="Submit").click()
        ok = await page.locator("#result").get_attribute("data-correct")
        await browser.close()
    return 0 if ok and int(ok) == len(data) * len(FIELDS) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3])))
