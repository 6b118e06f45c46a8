"""Step handlers for what real web systems add to a form: windows and tabs, dialogs, tables
(ARIA, spans, pages), hovering, counting, checks and the robot's own guarded JavaScript.

Each handler receives a :class:`~dxrpa.engine.step_call.StepCall`; failures are raised as
:class:`~dxrpa.errors.ItemError` (or Playwright errors) and classified by
:mod:`dxrpa.engine.steps`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import re
from typing import Any

from playwright.async_api import Download, Page
from playwright.async_api import Locator as PWLocator

from dxrpa.browser.dialogs import Answer, desk_for
from dxrpa.browser.faults import BrowserError, BrowserTimeout
from dxrpa.browser.locators import build_locator
from dxrpa.browser.tables import read_table, table_records, table_signature
from dxrpa.engine.data import read_csv_file
from dxrpa.engine.step_call import StepCall, evaluate_defined, filled, truthy, url_pattern
from dxrpa.errors import BusinessError, DataError, ItemSystemError, RobotDefect
from dxrpa.i18n import tr
from dxrpa.log import logger, redact
from dxrpa.model.robot import DialogAnswer, Step


async def hover(c: StepCall) -> None:
    assert c.step.hover is not None
    target = await c.locate(c.step.hover)
    await target.hover(timeout=c.timeout)


async def dialog(c: StepCall) -> None:
    args = c.step.dialog
    assert args is not None
    desk_for(c.ctx.page).expect([_answer(c, a) for a in args.answers()])


def _answer(c: StepCall, declared: DialogAnswer) -> Answer:
    return Answer(
        accept=declared.accept,
        text=c.render(declared.text) if declared.text is not None else None,
        keep_default=declared.default,
        contains=c.render(declared.contains) if declared.contains is not None else None,
        where=c.where,
    )


async def click_for_download(c: StepCall, target: PWLocator) -> Download:
    """Click and wait for the download, also when the click opens a new tab that downloads
    (the tab is closed afterwards)."""
    page = c.ctx.page
    arrived: asyncio.Future[Download] = asyncio.get_running_loop().create_future()
    opened: list[Page] = []

    def on_download(download: Download) -> None:
        if not arrived.done():
            arrived.set_result(download)

    def on_page(new: Page) -> None:
        opened.append(new)
        new.on("download", on_download)

    page.on("download", on_download)
    page.context.on("page", on_page)
    try:
        await target.click(timeout=c.timeout)
        async with asyncio.timeout(c.timeout / 1000):
            return await arrived
    except TimeoutError:
        raise BrowserTimeout(f"no download within {c.timeout} ms") from None
    finally:
        page.remove_listener("download", on_download)
        page.context.remove_listener("page", on_page)
        for new in opened:
            if new is not page:
                with contextlib.suppress(BrowserError):
                    await new.close()


async def extract_table(c: StepCall) -> list[dict[str, str]]:
    """Rows of the table, page after page while ``next:`` is there and enabled."""
    args = c.step.extract
    assert args is not None
    records: list[dict[str, str]] = []
    for page_no in range(1, args.max_pages + 1):
        target = await c.locate(args)
        data = await read_table(target, timeout_ms=c.timeout)
        if data is None:
            raise RobotDefect(
                tr(
                    f"{c.subject} は表 (table / role=table・grid) ではなく、中にも表がありません",
                    f"{c.subject} is not a table (table / role=table or grid) and holds none",
                )
            )
        headers, rows = data
        records += table_records(args.headers or headers, rows)
        if args.next is None:
            return records
        subject = c.subject
        button = build_locator(c.root, filled(args.next, c.render), c.render)
        if await button.count() == 0 or not await button.first.is_enabled():
            return records
        if page_no == args.max_pages:
            logger.warning(
                tr(
                    f"{c.where}: max_pages ({args.max_pages}) ページで読み取りを止めました"
                    "(次のページがまだあります)",
                    f"{c.where}: stopped after max_pages ({args.max_pages}); more pages remain",
                )
            )
            return records
        before = await table_signature(target, timeout_ms=c.timeout)
        c.subject = args.next.describe()
        await button.first.click(timeout=c.timeout)
        await _table_changed(c, args, before)
        c.subject = subject
    return records


async def _table_changed(c: StepCall, args: Any, before: str) -> None:
    """Wait until the table shows another page (its text differs from ``before``)."""
    deadline = asyncio.get_running_loop().time() + c.timeout / 1000
    while True:
        target = await c.locate(args)
        if await table_signature(target, timeout_ms=c.timeout) != before:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise ItemSystemError(
                tr(
                    f"次のページ ({args.next.describe()}) を押しても表が変わりません ({c.timeout} ms)",
                    f"the table did not change after clicking next ({args.next.describe()}, {c.timeout} ms)",
                )
            )
        await asyncio.sleep(0.05)


async def count(c: StepCall) -> None:
    args = c.step.count
    assert args is not None
    rendered = filled(args, c.render)
    c.subject = rendered.describe()
    c.ctx.variables[args.into] = await build_locator(c.root, rendered, c.render).count()


async def assert_(c: StepCall) -> None:
    args = c.step.assert_
    assert args is not None
    if args.that is not None:
        ok = truthy(evaluate_defined(args.that, c.scope))
        detail = tr(f"条件 '{args.that}' が成り立ちません", f"'{args.that}' does not hold")
    else:
        assert args.text is not None
        target = await c.locate(args.text)
        text = " ".join((await target.inner_text(timeout=c.timeout)).split())
        if args.equals is not None:
            wanted = c.render(args.equals)
            ok, how = text == wanted, tr(f"「{wanted}」と一致", f"equal '{wanted}'")
        elif args.contains is not None:
            wanted = c.render(args.contains)
            ok, how = wanted in text, tr(f"「{wanted}」を含む", f"contain '{wanted}'")
        else:
            assert args.matches is not None
            ok, how = re.search(args.matches, text) is not None, f"/{args.matches}/"
        detail = tr(
            f"{c.subject} の文字「{redact(text)}」が {how} になっていません",
            f"{c.subject} text '{redact(text)}' does not {how}",
        )
    if ok:
        return
    if args.business_error is not None:
        raise BusinessError(f"{c.render(args.business_error)}: {detail}")
    raise ItemSystemError(detail)


async def evaluate_js(c: StepCall) -> None:
    args = c.step.evaluate
    assert args is not None
    if not c.ctx.robot.browser.allow_javascript:  # also refused when the robot is loaded
        raise RobotDefect(
            tr(
                "evaluate: には browser: allow_javascript: true が必要です",
                "evaluate: needs browser: allow_javascript: true",
            )
        )
    c.subject = "evaluate"
    result = await c.ctx.page.evaluate(args.script, c.value(args.arg))  # the main document
    if args.into:
        c.ctx.variables[args.into] = c.shown(result)


async def popup(c: StepCall) -> None:
    args = c.step.popup
    assert args is not None
    target = await c.locate(args.click)
    async with c.ctx.page.expect_popup(timeout=c.timeout) as info:
        await target.click(timeout=c.timeout)
    window = await info.value
    await window.wait_for_load_state("domcontentloaded", timeout=c.timeout)
    await _in_window(c, window, args.steps, args.close)


async def window(c: StepCall) -> None:
    args = c.step.window
    assert args is not None
    wanted = c.render(args.title if args.title is not None else args.url or "")
    c.subject = f"title={wanted}" if args.title is not None else f"url {wanted}"
    deadline = asyncio.get_running_loop().time() + c.timeout / 1000
    while True:
        for page in c.ctx.page.context.pages:
            if page is c.ctx.page or page.is_closed():
                continue
            if args.title is not None:
                with contextlib.suppress(BrowserError):
                    if wanted in await page.title():
                        return await _in_window(c, page, args.steps, args.close)
            elif _url_matches(wanted, page.url):
                return await _in_window(c, page, args.steps, args.close)
        if asyncio.get_running_loop().time() > deadline:
            titles = []
            for page in c.ctx.page.context.pages:
                with contextlib.suppress(BrowserError):
                    titles.append(f"{await page.title() or '-'} ({redact(page.url)})")
            raise ItemSystemError(
                tr(
                    f"{c.subject} のウィンドウが {c.timeout} ms 以内に見つかりません"
                    f" (開いているもの: {', '.join(titles)})",
                    f"no window with {c.subject} within {c.timeout} ms (open: {', '.join(titles)})",
                )
            )
        await asyncio.sleep(0.1)


def _url_matches(pattern: str, url: str) -> bool:
    compiled = url_pattern(pattern)
    if isinstance(compiled, re.Pattern):
        return compiled.search(url) is not None
    return fnmatch.fnmatchcase(url, compiled)


async def _in_window(c: StepCall, window: Page, steps: list[Step], close: bool) -> None:
    """Run ``steps`` with ``window`` as the page, then come back (closing it if asked)."""
    ctx = c.ctx
    saved_page, saved_frame = ctx.page, ctx.frame_root
    ctx.page, ctx.frame_root = window, None
    desk_for(window)
    try:
        await c.nested(steps, ctx, f"{c.label} › ")
    finally:
        ctx.page, ctx.frame_root = saved_page, saved_frame
        if close and not window.is_closed():
            with contextlib.suppress(BrowserError):
                await window.close()
    with contextlib.suppress(BrowserError):
        await saved_page.bring_to_front()


async def read_csv(c: StepCall) -> None:
    """A CSV the run downloaded, as rows for ``for_each`` (read off the event loop)."""
    args = c.step.read_csv
    assert args is not None
    path = c.inside_run_folder(c.render(args.file), "file")
    c.subject = path.name
    if not path.is_file():
        raise BusinessError(
            tr(f"CSV ファイル '{path.name}' がありません", f"CSV file '{path.name}' not found")
        )
    try:
        rows = await asyncio.to_thread(read_csv_file, path, args.encoding)
    except DataError as exc:
        raise ItemSystemError(exc.message) from exc
    c.ctx.variables[args.into] = rows
