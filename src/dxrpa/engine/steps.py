"""Run a robot's steps against a page: one small async handler per action.

Every failure leaves here as an :class:`~dxrpa.errors.ItemError` whose message starts with
``<robot file>:<line> <section> step N (action)`` so staff can find the step:

* :class:`RobotDefect` — the file is wrong for this page (a locator matching 2+ elements, a
  navigation outside ``allowed_domains``, a template naming a missing value, a bad selector);
* :class:`ItemSystemError` — timeouts, network errors, HTTP 5xx main documents, crashes (retried);
* :class:`BusinessError` — an ``expect`` with ``business_error`` failed, or the data holds a
  value the page does not offer (never retried).

Framework overhead per step is kept to a few microseconds: locators are built without round
trips, strictness comes from Playwright's own strict mode, the template scope is only built for
steps that hold a template, and domain/5xx/crash problems are recorded by the
:class:`~dxrpa.browser.session.ContextHandle` and checked as plain attributes.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from playwright.async_api import Locator as PWLocator
from playwright.async_api import expect as pw_expect

from dxrpa.browser.diagnose import absent_on_settled_page, closest_locators
from dxrpa.browser.dialogs import Answer, Unexpected, desk_for
from dxrpa.browser.faults import BrowserError, BrowserTimeout, FaultKind, read_fault
from dxrpa.browser.locators import build_locator
from dxrpa.browser.masking import masked_screenshot
from dxrpa.browser.session import ContextHandle, guard_for, host_of
from dxrpa.browser.tables import table_records
from dxrpa.engine import page_steps
from dxrpa.engine.definitions import SECTIONS, iter_steps
from dxrpa.engine.step_call import (
    OcrReader,
    StepCall,
    StepContext,
    evaluate_defined,
    truthy,
    url_pattern,
    visible,
)
from dxrpa.engine.templating import TemplateProblem, is_template
from dxrpa.errors import BusinessError, ItemError, ItemSystemError, RobotDefect
from dxrpa.i18n import tr
from dxrpa.log import logger, redact
from dxrpa.model.robot import CheckArgs, ExpectArgs, GotoArgs, Locator, Robot, Step
from dxrpa.model.step_specs import STEPS

__all__ = ["OcrReader", "StepContext", "run_steps", "table_records", "truthy"]

_RESERVED = frozenset({"item", "vars", "env", "secret", "run", "today", "loop"})


async def run_steps(steps: list[Step], ctx: StepContext, section: str) -> None:
    """Run ``steps`` in order; raises an ItemError naming the failing step."""
    if ctx.guard is None:
        ctx.guard = guard_for(ctx.page)
    desk_for(ctx.page)  # from now on every dialog of the page is answered as declared, or reported
    await _run_list(steps, ctx, f"{section} " if section else "")


_Facts = tuple[str, bool, int | None]  # (action, is_submit, line)
_FACTS: dict[int, tuple[Step, _Facts]] = {}


def _facts(step: Step) -> _Facts:
    """``action``/``is_submit``/``line`` cost a scan of 20 fields and pydantic's private-attribute
    lookup; a loaded definition never changes, so remember them per step object."""
    hit = _FACTS.get(id(step))
    if hit is not None and hit[0] is step:
        return hit[1]
    if len(_FACTS) > 50_000:
        _FACTS.clear()
    facts = (step.action, step.is_submit, step.line)
    _FACTS[id(step)] = (step, facts)  # keeps the step alive, so its id is not reused
    return facts


async def _run_list(steps: list[Step], ctx: StepContext, prefix: str) -> None:
    word = tr("手順", "step")  # 「item 手順 3 (fill)」, as definition errors name it
    for index, step in enumerate(steps):
        await asyncio.sleep(0)  # let the item time limit and a stop fire between CPU-bound steps
        action, submit, line = _facts(step)
        label = f"{prefix}{word} {index + 1} ({action}" + (f": {step.name})" if step.name else ")")
        where = f"{ctx.source}:{line} {label}" if line is not None else f"{ctx.source} {label}"
        await _run_one(step, action, submit, ctx, label, where)


async def _run_one(
    step: Step, action: str, is_submit: bool, ctx: StepContext, label: str, where: str
) -> None:
    ctx.current_step = label
    if ctx.dry_run and is_submit:
        ctx.skipped_submits += 1
        logger.info(
            tr(
                f"{where}: ドライランのため送信ステップを省略しました",
                f"{where}: dry run, submit step skipped",
            )
        )
        return
    if is_submit:
        ctx.submit_started = True
    call = StepCall(ctx, step, action, where, label, _run_list)
    try:
        await _HANDLERS[action](call)
        surprise = desk_for(ctx.page).take_unexpected()
        if surprise is not None:
            raise _unexpected_dialog(surprise, call)
        guard = ctx.guard
        if guard is not None and guard.has_problem:
            if guard.http_error is not None and guard.http_error_status in _expected_statuses(ctx.robot):
                guard.http_error = None  # an `expect: {status: …}` step says what this status means
            else:
                raise _from_guard(guard, call) or ItemSystemError(where)
    except (ItemError, BrowserError, TemplateProblem, AssertionError) as exc:
        surprise = desk_for(ctx.page).take_unexpected()
        err = (
            _unexpected_dialog(surprise, call)
            if surprise is not None
            else await _missing_element(exc, call) or _classify(exc, call)
        )
        if step.optional and not isinstance(err, RobotDefect):
            logger.warning(tr(f"{err} (optional のため続行します)", f"{err} (optional: continuing)"))
            return
        if err is exc:
            raise
        raise err from exc


# --------------------------------------------------------------------------- error mapping


async def _missing_element(exc: Exception, call: StepCall) -> RobotDefect | None:
    """A timeout on a locator that matches nothing on a loaded, quiet page is a robot defect:
    retrying cannot help, so stop at once and name what the page does have."""
    loc = call.located
    if not isinstance(exc, BrowserTimeout) or loc is None or loc.any or call.step.optional:
        return None  # an optional step's element may well be absent (a notice that is not shown)
    guard = call.ctx.guard
    if guard is None or guard.has_problem or guard.in_flight:
        return None  # an HTTP error (5xx), a blocked request or a request still under way: retry
    target = build_locator(call.root, loc, call.render)
    if not await absent_on_settled_page(call.ctx.page, target):
        return None
    near = await closest_locators(call.root, loc)
    maybe = tr("もしかして: ", "did you mean: ") + ", ".join(near) if near else ""
    return RobotDefect(
        tr(
            f"{call.where}: {call.subject} に当たる要素がこのページにありません(読み込み完了後)"
            + (f" — {maybe}" if maybe else ""),
            f"{call.where}: nothing on this page matches {call.subject} (page fully loaded)"
            + (f" — {maybe}" if maybe else ""),
        ),
        step=call.label,
        hint=tr(
            f"`dxrpa inspect {call.ctx.page.url}` でこのページで指定できる要素を確認できます",
            f"`dxrpa inspect {call.ctx.page.url}` lists what this page offers",
        ),
    )


def _unexpected_dialog(surprise: Unexpected, call: StepCall) -> RobotDefect:
    """A dialog the robot did not declare: dismissed, and the robot must say what to answer."""
    if surprise.wanted is not None:
        return RobotDefect(
            tr(
                f"{call.where}: ダイアログ ({surprise.kind}) の文言が「{surprise.message}」で、"
                f"期待した「{surprise.wanted}」を含みません(キャンセルしました)",
                f"{call.where}: the {surprise.kind} dialog said '{surprise.message}', not containing"
                f" '{surprise.wanted}' (dismissed)",
            ),
            step=call.label,
        )
    return RobotDefect(
        tr(
            f"{call.where}: 予期しないダイアログ ({surprise.kind})「{surprise.message}」が出ました"
            "(キャンセルしました)",
            f"{call.where}: unexpected {surprise.kind} dialog '{surprise.message}' (dismissed)",
        ),
        step=call.label,
        hint=tr(
            "出ることが分かっているなら、その前に dialog: ステップ (または click の dialog:) で"
            "答えを書いてください",
            "if the page shows it on purpose, declare the answer before it with a dialog: step"
            " (or dialog: on the click)",
        ),
    )


def _from_guard(guard: ContextHandle, call: StepCall) -> ItemError | None:
    problem = guard.take_problem()
    if problem is None:
        return None
    kind, detail = problem
    declared = call.ctx.robot.http_errors.get(guard.http_error_status) if kind == "http" else None
    if declared is not None:
        return _declared_status(declared, guard.http_error_status, detail)
    allowed = ", ".join(guard.allowed_domains)
    if kind == "blocked":
        return RobotDefect(
            tr(
                f"{call.where}: {host_of(detail)} への移動を遮断しました: allowed_domains にありません",
                f"{call.where}: navigation to {host_of(detail)} blocked: not in allowed_domains",
            ),
            step=call.label,
            hint=tr(
                f"必要なら browser.allowed_domains に追加してください (現在: {allowed})",
                f"add it to browser.allowed_domains if intended (now: {allowed})",
            ),
        )
    if kind == "http":
        status = guard.http_error_status
        detail = tr(
            f"ページが HTTP {status} を返しました: {redact(detail)}", f"HTTP {status} on {redact(detail)}"
        )
    return ItemSystemError(f"{call.where}: {detail}", step=call.label)


def _classify(exc: Exception, call: StepCall) -> ItemError:
    where, label = call.where, call.label
    guard = call.ctx.guard
    if guard is not None and guard.has_problem and not (isinstance(exc, ItemError) and exc.step):
        found = _from_guard(guard, call)
        if found is not None:
            return found
    if isinstance(exc, ItemError):
        if exc.step is not None:  # already located by a nested step
            return exc
        return type(exc)(f"{where}: {exc.message}", step=label, hint=exc.hint)
    if isinstance(exc, TemplateProblem):
        return RobotDefect(f"{where}: {exc}", step=label)
    if isinstance(exc, AssertionError):
        return ItemSystemError(
            f"{where}: {str(exc).splitlines()[0] if str(exc) else 'assertion failed'}", step=label
        )
    fault = read_fault(exc)
    if fault is None:
        return ItemSystemError(
            f"{where}: {(str(exc).strip().splitlines() or [type(exc).__name__])[0]}", step=label
        )
    if fault.kind == FaultKind.AMBIGUOUS:
        return RobotDefect(
            tr(
                f"{where}: ロケーター {call.subject} が {fault.count} 個の要素に一致します"
                " — nth: を付けるか、より具体的なロケーターにしてください"
                " (add nth: or a more specific locator)",
                f"{where}: locator {call.subject} matches {fault.count} elements"
                " — add nth: or a more specific locator",
            ),
            step=label,
            hint=(
                tr("一致した要素それぞれのロケーター: ", "each match's own locator: ")
                + " / ".join(fault.each)
            )
            if fault.each
            else None,
        )
    if fault.kind == FaultKind.TIMEOUT:
        return ItemSystemError(
            tr(
                f"{where}: {call.subject} が {call.timeout} ms 以内に見つからないか操作できません (timeout)",
                f"{where}: {call.subject} not found or not actionable within {call.timeout} ms (timeout)",
            ),
            step=label,
        )
    if fault.kind == FaultKind.CLOSED:
        return ItemSystemError(
            tr(
                f"{where}: ブラウザまたはページが閉じました: {fault.first}",
                f"{where}: browser or page closed: {fault.first}",
            ),
            step=label,
        )
    if fault.kind == FaultKind.INVALID:
        return RobotDefect(f"{where}: {call.subject}: {fault.first}", step=label)
    return ItemSystemError(f"{where}: {fault.first}", step=label)


# --------------------------------------------------------------------------- per-step helper


# --------------------------------------------------------------------------- handlers


async def _goto(c: StepCall) -> None:
    raw = c.step.goto
    args = raw if isinstance(raw, GotoArgs) else GotoArgs(url=str(raw))
    url = c.render(args.url)
    c.subject = url
    try:
        response = await c.ctx.page.goto(url, wait_until=args.wait_until, timeout=c.timeout)
    except BrowserError as exc:
        if (f := read_fault(exc)) is not None and f.kind == FaultKind.AUTH:  # 401, no (right) credentials
            raise _auth_required(url) from exc
        raise
    status = response.status if response is not None else 0
    if status < 400 or status in _expected_statuses(c.ctx.robot):
        return  # fine, or an `expect: {status: …}` step decides what it means
    declared = args.http_errors.get(status)
    kind = c.ctx.robot.http_errors.get(status)
    if (declared is not None or kind is not None) and c.ctx.guard is not None:
        c.ctx.guard.take_problem()  # the robot says what this status means
    if declared is not None:
        raise BusinessError(c.render(declared) + f" (HTTP {status})")
    if kind is not None:
        raise _declared_status(kind, status, url)
    if status == 401:
        raise _auth_required(url)
    if status < 500:
        raise BusinessError(
            tr(
                f"ページが HTTP {status} を返しました: {redact(url)}",
                f"the page answered HTTP {status}: {redact(url)}",
            ),
            hint=tr(
                f"このステータスが業務上の結果なら goto の http_errors: {{{status}: …}} に書いてください",
                f"if this status is a business outcome, declare it: goto http_errors: {{{status}: …}}",
            ),
        )


_STATUSES: dict[int, tuple[Robot, frozenset[int]]] = {}


def _expected_statuses(robot: Robot) -> frozenset[int]:
    """HTTP statuses the robot checks with ``expect: {status: …}`` (its pages may answer them)."""
    hit = _STATUSES.get(id(robot))
    if hit is not None and hit[0] is robot:
        return hit[1]
    found = frozenset(
        step.expect.status
        for section in SECTIONS
        for step in iter_steps(getattr(robot, section))
        if step.expect is not None and step.expect.status is not None
    )
    if len(_STATUSES) > 1000:
        _STATUSES.clear()
    _STATUSES[id(robot)] = (robot, found)  # keeps the robot alive: its id is not reused
    return found


def _declared_status(kind: str, status: int, url: str) -> ItemError:
    """The robot's ``http_errors:`` says whether this status is a business or a system error."""
    text = tr(
        f"ページが HTTP {status} を返しました: {redact(url)}",
        f"the page answered HTTP {status}: {redact(url)}",
    )
    return BusinessError(text) if kind == "business" else ItemSystemError(text)


def _auth_required(url: str) -> RobotDefect:
    return RobotDefect(
        tr(
            f"ページが HTTP 401 (認証が必要) を返しました: {redact(url)}",
            f"the page answered HTTP 401 (authentication required): {redact(url)}",
        ),
        hint=tr(
            "Basic 認証なら browser: http_credentials: {username: 秘密名, password: 秘密名} を書いてください",
            "for Basic authentication declare browser: http_credentials:"
            " {username: SECRET, password: SECRET}",
        ),
    )


async def _click(c: StepCall) -> None:
    args = c.step.click
    assert args is not None
    target = await c.locate(args)
    try:
        if args.dialog is None:
            await (target.dblclick(timeout=c.timeout) if args.double else target.click(timeout=c.timeout))
            return
        with desk_for(c.ctx.page).answering(Answer(accept=args.dialog == "accept", where=c.where)):
            await (target.dblclick(timeout=c.timeout) if args.double else target.click(timeout=c.timeout))
    except BrowserError:
        if await _closed_its_window(c):
            return  # 「反映して閉じる」: the click closed the popup it was in, as it should
        raise


async def _closed_its_window(c: StepCall) -> bool:
    """True when the page is a window the robot switched into (not the item's own page) and it
    closed itself during the step (its close event may follow the click's error by a moment)."""
    guard = c.ctx.guard
    if guard is None or c.ctx.page is guard.page:
        return False
    for _ in range(20):
        if c.ctx.page.is_closed():
            return True
        await asyncio.sleep(0.05)
    return False


async def _fill(c: StepCall) -> None:
    args = c.step.fill
    assert args is not None
    target = await c.locate(args)
    value = c.render(args.value)
    if "secret" in args.value and is_template(args.value):
        logger.debug(f"{c.where}: {c.subject} ← ***")
    else:
        logger.debug(f"{c.where}: {c.subject} ← ({len(value)} chars)")
    await target.fill(value, timeout=c.timeout)


async def _select(c: StepCall) -> None:
    args = c.step.select
    assert args is not None
    target = await c.locate(args)
    values = [c.render(v) for v in ([args.value] if isinstance(args.value, str) else args.value)]
    try:
        # a string matches an option's value or its label
        await target.select_option(values[0] if len(values) == 1 else values, timeout=c.timeout)
    except BrowserTimeout as exc:
        options = await _options_of(target)
        missing = [v for v in values if options is not None and not any(v in pair for pair in options)]
        if options is not None and missing:
            shown = ", ".join(label or v for v, label in options[:20])
            raise BusinessError(
                tr(
                    f"'{missing[0]}' は {c.subject} の選択肢にありません (選択肢: {shown})",
                    f"'{missing[0]}' is not an option of {c.subject} (options: {shown})",
                )
            ) from exc
        raise


async def _options_of(target: PWLocator) -> list[tuple[str, str]] | None:
    try:
        pairs = await target.evaluate(
            "el => el.options ? Array.from(el.options).map(o => [o.value, o.label.trim()]) : null",
            timeout=1000,
        )
    except BrowserError:
        return None
    return [(str(v), str(lbl)) for v, lbl in pairs] if pairs is not None else None


async def _check(c: StepCall) -> None:
    args: CheckArgs | None = c.step.check
    assert args is not None
    target = await c.locate(args)
    raw = args.value
    wanted = True if raw is None else raw if isinstance(raw, bool) else truthy(c.render(raw))
    await target.set_checked(wanted, timeout=c.timeout)


async def _uncheck(c: StepCall) -> None:
    assert c.step.uncheck is not None
    target = await c.locate(c.step.uncheck)
    await target.uncheck(timeout=c.timeout)


async def _press(c: StepCall) -> None:
    args = c.step.press
    assert args is not None
    target = await c.locate(args)
    await target.press(c.render(args.key), timeout=c.timeout)


async def _upload(c: StepCall) -> None:
    args = c.step.upload
    assert args is not None
    names = [args.files] if isinstance(args.files, str) else list(args.files)
    paths = [_find_upload(c, c.render(n)) for n in names]
    target = await c.locate(args)
    await target.set_input_files(paths, timeout=c.timeout)


def _find_upload(c: StepCall, name: str) -> Path:
    """In the run folder (a download), else relative to home inside the robot's ``folders:``;
    a path allowed in neither is a RobotDefect, an allowed but missing file a BusinessError."""
    candidates: list[Path] = []
    refused: RobotDefect | None = None
    try:
        candidates.append(c.inside_run_folder(name, "upload"))
    except RobotDefect as exc:
        refused = exc
    if c.ctx.folders is not None:
        try:
            candidates.append(c.ctx.folders.resolve(name, "upload", RobotDefect))
        except RobotDefect as exc:
            refused = exc
    if not candidates and refused is not None:
        raise refused
    for cand in candidates:
        if cand.is_file():
            return cand
    raise BusinessError(
        tr(f"アップロードするファイル '{name}' が見つかりません", f"file to upload '{name}' not found")
    )


async def _download(c: StepCall) -> None:
    args = c.step.download
    assert args is not None
    target_path = c.inside_run_folder(c.render(args.save_as), "save_as")
    target = await c.locate(args)
    download = await page_steps.click_for_download(c, target)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    await download.save_as(target_path)
    if args.into:
        c.ctx.variables[args.into] = str(target_path)


async def _wait(c: StepCall) -> None:
    args = c.step.wait
    assert args is not None
    page = c.ctx.page
    if args.seconds is not None:
        await asyncio.sleep(args.seconds)
    elif args.selector is not None:
        target = await c.locate(args.selector)
        await target.wait_for(state=args.state, timeout=c.timeout)
    elif args.url is not None:
        url = c.render(args.url)
        c.subject = f"url {url}"
        await page.wait_for_url(url_pattern(url), timeout=c.timeout)
    elif args.load_state is not None:
        c.subject = f"load_state {args.load_state}"
        await page.wait_for_load_state(args.load_state, timeout=c.timeout)
    elif args.text is not None:
        text = c.render(args.text)
        c.subject = f"text={text}"
        await visible(c.root.get_by_text(text)).wait_for(state="visible", timeout=c.timeout)


async def _expect(c: StepCall) -> None:
    args = c.step.expect
    assert args is not None
    try:
        if args.error_text is not None and args.business_error is not None:
            await _expect_or_page_error(c, args)
        else:
            await _check_expectation(c, args)
    except (BrowserTimeout, AssertionError, _Unmet) as exc:
        detail = exc.detail if isinstance(exc, _Unmet) else _expect_detail(c)
        if args.business_error is None:
            raise ItemSystemError(detail) from exc
        message = c.render(args.business_error)
        page_text = await _read_error_text(c, args.error_text)
        raise BusinessError(message + (f": {page_text}" if page_text else "")) from exc


class _Unmet(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


def _expect_detail(c: StepCall) -> str:
    return tr(
        f"期待した状態になりません ({c.subject}, {c.timeout} ms)",
        f"expectation not met ({c.subject}, {c.timeout} ms)",
    )


async def _expect_or_page_error(c: StepCall, args: ExpectArgs) -> None:
    """Fail fast: race the expectation against the page's own error message appearing."""
    assert args.error_text is not None
    error = visible(build_locator(c.root, args.error_text, c.render))
    ok = asyncio.ensure_future(_check_expectation(c, args))
    bad = asyncio.ensure_future(error.wait_for(state="visible", timeout=c.timeout))
    try:
        await asyncio.wait({ok, bad}, return_when=asyncio.FIRST_COMPLETED)
        if not ok.done() and (bad.cancelled() or bad.exception() is not None):
            await asyncio.wait({ok})  # no error message showed up: the expectation decides
    finally:
        for task in (ok, bad):
            if not task.done():
                task.cancel()  # Playwright aborts the pending call in the driver
        await asyncio.gather(ok, bad, return_exceptions=True)
    if ok.cancelled():
        raise _Unmet(_expect_detail(c))  # the page showed its error first
    ok.result()  # re-raises the expectation's own failure


async def _check_expectation(c: StepCall, args: ExpectArgs) -> None:
    if args.text is not None:
        text = c.render(args.text)
        c.subject = f"text={text}"
        await visible(c.root.get_by_text(text)).wait_for(state="visible", timeout=c.timeout)
    elif args.visible is not None:
        target = await c.locate(args.visible)
        await target.wait_for(state="visible", timeout=c.timeout)
    elif args.hidden is not None:
        hidden = await c.locate(args.hidden)
        await hidden.wait_for(state="hidden", timeout=c.timeout)
    elif args.url is not None:
        pattern = c.render(args.url)
        c.subject = f"url {pattern}"
        await c.ctx.page.wait_for_url(url_pattern(pattern), timeout=c.timeout)
    elif args.count is not None:
        counted = await c.locate(args.count)
        await pw_expect(counted).to_have_count(args.count.equals, timeout=c.timeout)
    elif args.status is not None:
        c.subject = f"HTTP {args.status}"
        answered = c.ctx.guard.last_status if c.ctx.guard is not None else None
        if answered == args.status:
            if c.ctx.guard is not None:
                c.ctx.guard.take_problem()  # a declared 5xx is this business outcome, not a retry
            raise _Unmet(tr(f"ページが HTTP {answered} を返しました", f"the page answered HTTP {answered}"))


async def _read_error_text(c: StepCall, loc: Locator | None) -> str:
    if loc is None:
        return ""
    target = build_locator(c.root, loc, c.render)
    for candidate in (visible(target), target.first):
        try:
            text = (await candidate.inner_text(timeout=500)).strip()
        except BrowserError:
            continue
        if text:
            return text
    return ""


async def _extract(c: StepCall) -> None:
    args = c.step.extract
    assert args is not None
    if args.what == "table":
        c.ctx.variables[args.into] = c.shown(await page_steps.extract_table(c))
        return
    target = await c.locate(args)
    value: Any
    if args.what == "text":
        value = (await target.inner_text(timeout=c.timeout)).strip()
    elif args.what == "value":
        value = await target.input_value(timeout=c.timeout)
    elif args.what == "html":
        value = await target.inner_html(timeout=c.timeout)
    elif args.what == "attribute":
        if not args.attribute:
            raise RobotDefect(
                tr("what: attribute には attribute: が必要です", "what: attribute needs attribute:")
            )
        value = await target.get_attribute(c.render(args.attribute), timeout=c.timeout)
    else:
        raise AssertionError(args.what)  # the model allows no other value
    c.ctx.variables[args.into] = c.shown(value)


async def _screenshot(c: StepCall) -> None:
    args = c.step.screenshot
    assert args is not None
    name = c.render(args.name)
    path = c.inside_run_folder(f"screenshots/{name}.png", "screenshot name")
    n = 2
    while path.exists():
        path = path.with_name(f"{name}-{n}.png")
        n += 1
    masks = [build_locator(c.ctx.page, loc, c.render) for loc in c.ctx.robot.pii]
    await masked_screenshot(c.ctx.page, path, masks, full_page=args.full_page)
    c.ctx.screenshots.append(path)


async def _set(c: StepCall) -> None:
    assert c.step.set is not None
    for key, raw in c.step.set.items():
        c.ctx.variables[key] = c.value(raw)


async def _if(c: StepCall) -> None:
    args = c.step.if_
    assert args is not None
    branch = args.then if truthy(evaluate_defined(args.condition, c.scope)) else args.else_
    await c.nested(branch, c.ctx, f"{c.label} › ")


async def _for_each(c: StepCall) -> None:
    args = c.step.for_each
    assert args is not None
    name = args.as_
    if name in _RESERVED:
        raise RobotDefect(
            tr(
                f"as: '{name}' は予約語です。別の名前にしてください",
                f"as: '{name}' is reserved; pick another name",
            )
        )
    values = evaluate_defined(args.in_, c.scope)
    if isinstance(values, Mapping):
        values = [{"key": k, "value": v} for k, v in values.items()]
    if values is None or isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
        raise RobotDefect(
            tr(
                f"for_each の in: '{args.in_}' がリストではありません",
                f"for_each in: '{args.in_}' is not a list",
            )
        )
    values = list(values)
    saved = c.ctx.locals
    total = len(values)
    try:
        for i, value in enumerate(values):
            loop = {"index": i + 1, "index0": i, "first": i == 0, "last": i == total - 1, "length": total}
            c.ctx.locals = {**saved, name: value, "loop": loop}
            await c.nested(args.steps, c.ctx, f"{c.label} [{i + 1}/{total}] › ")
    finally:
        c.ctx.locals = saved


async def _frame(c: StepCall) -> None:
    args = c.step.frame
    assert args is not None
    saved = c.ctx.frame_root
    c.ctx.frame_root = c.root.frame_locator(c.render(args.selector))
    try:
        await c.nested(args.steps, c.ctx, f"{c.label} › ")
    finally:
        c.ctx.frame_root = saved


async def _ocr(c: StepCall) -> None:
    args = c.step.ocr
    assert args is not None
    reader = c.ctx.ocr_reader
    if reader is None:
        raise RobotDefect(
            tr("ocr ステップはまだ使えません (ocr step not available yet)", "ocr step not available yet")
        )
    source: bytes | Path
    if args.locator is not None:
        source = await (await c.locate(args.locator)).screenshot(timeout=c.timeout)
    elif args.file is not None:
        source = c.inside_run_folder(c.render(args.file), "file")
    else:
        raise RobotDefect(tr("ocr には locator: か file: が必要です", "ocr needs locator: or file:"))
    if inspect.iscoroutinefunction(reader):
        result = await reader(source, args.template)
    else:
        result = await asyncio.to_thread(reader, source, args.template)  # OCR is CPU-bound
        if inspect.isawaitable(result):
            result = await result
    c.ctx.variables[args.into] = result


async def _log(c: StepCall) -> None:
    assert c.step.log is not None
    logger.info(f"{c.label}: {redact(c.render(c.step.log))}")


_HANDLERS: dict[str, Callable[[StepCall], Awaitable[None]]] = {
    "goto": _goto,
    "click": _click,
    "fill": _fill,
    "select": _select,
    "check": _check,
    "uncheck": _uncheck,
    "press": _press,
    "upload": _upload,
    "download": _download,
    "wait": _wait,
    "expect": _expect,
    "extract": _extract,
    "screenshot": _screenshot,
    "set": _set,
    "if": _if,
    "for_each": _for_each,
    "frame": _frame,
    "dialog": page_steps.dialog,
    "ocr": _ocr,
    "log": _log,
    "hover": page_steps.hover,
    "count": page_steps.count,
    "assert": page_steps.assert_,
    "evaluate": page_steps.evaluate_js,
    "popup": page_steps.popup,
    "window": page_steps.window,
    "read_csv": page_steps.read_csv,
}


def _check_handlers() -> None:
    """One handler per registered action (:mod:`dxrpa.model.step_specs`), checked at import."""
    differ = sorted({spec.key for spec in STEPS} ^ set(_HANDLERS))
    if differ:
        raise RuntimeError(f"step handlers and dxrpa.model.step_specs disagree: {differ}")


_check_handlers()
