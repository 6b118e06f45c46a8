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
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Undefined
from playwright.async_api import Dialog, FrameLocator, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator as PWLocator
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from playwright.async_api import expect as pw_expect

from dxrpa.browser.diagnose import absent_on_settled_page, closest_locators
from dxrpa.browser.locators import build_locator, resolve_locator
from dxrpa.browser.masking import masked_screenshot
from dxrpa.browser.session import ContextHandle, guard_for, host_of
from dxrpa.engine.definitions import SECRET_SINKS
from dxrpa.engine.paths import Folders, inside_run_folder
from dxrpa.engine.secrets import refuse_secret
from dxrpa.engine.templating import TemplateProblem, base_scope, evaluate, is_template, render
from dxrpa.errors import BusinessError, ItemError, ItemSystemError, RobotDefect
from dxrpa.i18n import tr
from dxrpa.log import logger, redact
from dxrpa.model.robot import (
    CheckArgs,
    ExpectArgs,
    GotoArgs,
    Locator,
    Robot,
    Step,
)

OcrReader = Callable[[bytes | Path, str | None], Any]  # (image bytes or file, OCR template) → value
_RESERVED = frozenset({"item", "vars", "env", "secret", "run", "today", "loop"})
_FALSY = frozenset(
    {"", "false", "0", "no", "off", "none", "null", "n", "f", "いいえ", "無", "なし", "否", "×", "✕"}
)
_ONE_EXPR = re.compile(r"^\s*\{\{((?:(?!\{\{|\}\}).)*)\}\}\s*$", re.DOTALL)
_STRICT_COUNT = re.compile(r"resolved to (\d+) elements")
_CLOSED = ("target closed", "has been closed", "crash", "browser closed", "connection closed")
_DEFECTS = (
    "is not a valid selector",
    "unexpected token",
    "malformed",
    "unknown key",
    "not an <input>",
    "not a <select>",
    "not a checkbox or radio",
    "cannot uncheck radio",
    "invalid url",
    "not an input element",
    "node is not an html",
    "unsupported token",
    "unknown engine",
)


def _evaluate(expr: str, scope: Mapping[str, Any]) -> Any:
    """templating.evaluate, but a missing name fails here instead of leaking an Undefined."""
    result = evaluate(expr, scope)
    if isinstance(result, Undefined):
        hint = result._undefined_message  # "'dict object' has no attribute 'x'"
        raise TemplateProblem(
            tr(f"'{expr}': 定義されていません ({hint})", f"'{expr}' is not defined ({hint})")
        )
    return result


def truthy(value: Any) -> bool:
    """Staff-friendly truth: "false", "0", "いいえ", "" and friends are false."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSY
    return bool(value)


@dataclass
class StepContext:
    """Everything a step may read or write while one item (or setup/teardown) runs."""

    page: Page
    robot: Robot
    item: dict[str, Any]
    variables: dict[str, Any]  # set/extract write here; the runner copies robot.outputs from it
    env: Mapping[str, str]
    secrets: Mapping[str, str]  # declared secrets, resolved by the runner
    run: Mapping[str, Any]  # {"id": ..., "dry_run": bool}
    run_folder: Path  # downloads/screenshots only inside it
    dry_run: bool
    timeout_ms: int
    source: str  # robot file path for messages, e.g. "robots/juminhyo_entry.yaml"
    current_step: str | None = None  # "item step 3 (fill)" – updated as steps run (evidence)
    skipped_submits: int = 0
    submit_started: bool = False  # a submit step began: the entry may have gone through (verify first)
    ocr_reader: OcrReader | None = None
    guard: ContextHandle | None = None  # found from the page when the runner does not pass it
    frame_root: FrameLocator | None = None  # set while `frame:` steps run
    locals: dict[str, Any] = field(default_factory=dict)  # for_each bindings (`as`, loop)
    screenshots: list[Path] = field(default_factory=list)  # files written by screenshot steps
    folders: Folders | None = None  # the robot's folders: under home (uploads); None: run folder only


async def run_steps(steps: list[Step], ctx: StepContext, section: str) -> None:
    """Run ``steps`` in order; raises an ItemError naming the failing step."""
    if ctx.guard is None:
        ctx.guard = guard_for(ctx.page)
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
    for index, step in enumerate(steps):
        await asyncio.sleep(0)  # let the item time limit and a stop fire between CPU-bound steps
        action, submit, line = _facts(step)
        label = f"{prefix}step {index + 1} ({action}" + (f": {step.name})" if step.name else ")")
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
    call = _Call(ctx, step, action, where, label)
    try:
        await _HANDLERS[action](call)
        guard = ctx.guard
        if guard is not None and guard.has_problem:
            raise _from_guard(guard, call) or ItemSystemError(where)
    except (ItemError, PlaywrightError, TemplateProblem, AssertionError) as exc:
        err = await _missing_element(exc, call) or _classify(exc, call)
        if step.optional and not isinstance(err, RobotDefect):
            logger.warning(tr(f"{err} (optional のため続行します)", f"{err} (optional: continuing)"))
            return
        raise err from None


# --------------------------------------------------------------------------- error mapping


async def _missing_element(exc: Exception, call: _Call) -> RobotDefect | None:
    """A timeout on a locator that matches nothing on a loaded, quiet page is a robot defect:
    retrying cannot help, so stop at once and name what the page does have."""
    loc = call.located
    if not isinstance(exc, PlaywrightTimeoutError) or loc is None or loc.any or call.step.optional:
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


def _from_guard(guard: ContextHandle, call: _Call) -> ItemError | None:
    problem = guard.take_problem()
    if problem is None:
        return None
    kind, detail = problem
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
    return ItemSystemError(f"{call.where}: {detail}", step=call.label)


def _classify(exc: Exception, call: _Call) -> ItemError:
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
    message = str(exc.message if isinstance(exc, PlaywrightError) else exc)
    first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    lower = message.lower()
    if "strict mode violation" in lower:
        m = _STRICT_COUNT.search(message)
        count = m.group(1) if m else "2+"
        return RobotDefect(
            tr(
                f"{where}: ロケーター {call.subject} が {count} 個の要素に一致します — nth: を付けるか、"
                "より具体的なロケーターにしてください (add nth: or a more specific locator)",
                f"{where}: locator {call.subject} matches {count} elements"
                " — add nth: or a more specific locator",
            ),
            step=label,
        )
    if isinstance(exc, PlaywrightTimeoutError):
        return ItemSystemError(
            tr(
                f"{where}: {call.subject} が {call.timeout} ms 以内に見つからないか操作できません (timeout)",
                f"{where}: {call.subject} not found or not actionable within {call.timeout} ms (timeout)",
            ),
            step=label,
        )
    if any(word in lower for word in _CLOSED):
        return ItemSystemError(
            tr(
                f"{where}: ブラウザまたはページが閉じました: {first}",
                f"{where}: browser or page closed: {first}",
            ),
            step=label,
        )
    if any(word in lower for word in _DEFECTS):
        return RobotDefect(f"{where}: {call.subject}: {first}", step=label)
    return ItemSystemError(f"{where}: {first}", step=label)


# --------------------------------------------------------------------------- per-step helper


class _Call:
    """One step being run: its timeout, lazily built template scope and locator helpers."""

    __slots__ = ("_scope", "ctx", "label", "located", "step", "subject", "timeout", "where")

    def __init__(self, ctx: StepContext, step: Step, action: str, where: str, label: str) -> None:
        self.ctx = ctx
        self.step = step
        self.where = where
        self.label = label
        self.timeout = step.timeout_ms or ctx.timeout_ms
        self.subject = action
        self.located: Locator | None = None  # the last locator this step looked for
        self._scope: dict[str, Any] | None = None

    @property
    def scope(self) -> dict[str, Any]:
        if self._scope is None:
            c = self.ctx
            scope = base_scope(item=c.item, variables=c.variables, env=c.env, secrets=c.secrets, run=c.run)
            if c.locals:
                scope.update(c.locals)
            self._scope = scope
        return self._scope

    def render(self, text: str) -> str:
        if not is_template(text):
            return text
        rendered = render(text, self.scope)
        self.shown(rendered)
        return rendered

    def shown(self, value: Any) -> Any:
        """``value``, refused (RobotDefect) when this step shows or stores it and it holds a secret."""
        if self.step.action in SECRET_SINKS:
            refuse_secret(value, self.ctx.secrets, self.where)
        return value

    def value(self, raw: Any) -> Any:
        """Render a `set:` value; a lone ``{{ expr }}`` keeps its type (lists, numbers)."""
        if isinstance(raw, str):
            m = _ONE_EXPR.match(raw)
            if m:
                return self.shown(_evaluate(m.group(1), self.scope))
            return self.render(raw)
        if isinstance(raw, list):
            return [self.value(v) for v in raw]
        if isinstance(raw, dict):
            return {k: self.value(v) for k, v in raw.items()}
        return raw

    @property
    def root(self) -> Page | FrameLocator:
        return self.ctx.frame_root or self.ctx.page

    async def locate(self, loc: Locator) -> PWLocator:
        filled = _filled(loc, self.render)  # rendered once: errors name the value used, not {{ … }}
        self.subject = filled.describe()
        self.located = loc
        return await resolve_locator(self.root, filled, timeout_ms=self.timeout)

    def inside_run_folder(self, relative: str, what: str) -> Path:
        """``run_folder / relative`` with symlinks followed; outside the run folder: RobotDefect."""
        return inside_run_folder(self.ctx.run_folder, relative, what, RobotDefect)


def _filled(loc: Locator, render: Callable[[str], str]) -> Locator:
    """``loc`` with its templated strings rendered (``role`` and ``nth`` are never templates)."""
    update: dict[str, Any] = {
        key: render(value)
        for key in ("name", "label", "placeholder", "text", "test_id", "css", "xpath", "frame")
        if (value := getattr(loc, key))
    }
    if loc.any:
        update["any"] = [_filled(alt, render) for alt in loc.any]
    return loc.model_copy(update=update)


# --------------------------------------------------------------------------- handlers


async def _goto(c: _Call) -> None:
    raw = c.step.goto
    args = raw if isinstance(raw, GotoArgs) else GotoArgs(url=str(raw))
    url = c.render(args.url)
    c.subject = url
    await c.ctx.page.goto(url, wait_until=args.wait_until, timeout=c.timeout)


async def _click(c: _Call) -> None:
    args = c.step.click
    assert args is not None
    target = await c.locate(args)
    if args.dialog is None:
        await (target.dblclick(timeout=c.timeout) if args.double else target.click(timeout=c.timeout))
        return
    page = c.ctx.page
    answer = _dialog_answerer(args.dialog, None, c.where)
    page.on("dialog", answer)
    try:
        await (target.dblclick(timeout=c.timeout) if args.double else target.click(timeout=c.timeout))
    finally:
        page.remove_listener("dialog", answer)


def _dialog_answerer(action: str, prompt: str | None, where: str) -> Callable[[Dialog], Awaitable[None]]:
    async def answer(dialog: Dialog) -> None:
        logger.info(f"{where}: dialog ({dialog.type}) '{redact(dialog.message)}' → {action}")
        try:
            if action == "accept":
                await (dialog.accept(prompt) if prompt is not None else dialog.accept())
            else:
                await dialog.dismiss()
        except PlaywrightError:  # already answered or the page went away
            pass

    return answer


async def _fill(c: _Call) -> None:
    args = c.step.fill
    assert args is not None
    target = await c.locate(args)
    value = c.render(args.value)
    if "secret" in args.value and is_template(args.value):
        logger.debug(f"{c.where}: {c.subject} ← ***")
    else:
        logger.debug(f"{c.where}: {c.subject} ← ({len(value)} chars)")
    await target.fill(value, timeout=c.timeout)


async def _select(c: _Call) -> None:
    args = c.step.select
    assert args is not None
    target = await c.locate(args)
    value = c.render(args.value)
    try:
        await target.select_option(value, timeout=c.timeout)  # a string matches value or label
    except PlaywrightTimeoutError:
        options = await _options_of(target)
        if options is not None and not any(value in pair for pair in options):
            shown = ", ".join(label or v for v, label in options[:20])
            raise BusinessError(
                tr(
                    f"'{value}' は {c.subject} の選択肢にありません (選択肢: {shown})",
                    f"'{value}' is not an option of {c.subject} (options: {shown})",
                )
            ) from None
        raise


async def _options_of(target: PWLocator) -> list[tuple[str, str]] | None:
    try:
        pairs = await target.evaluate(
            "el => el.options ? Array.from(el.options).map(o => [o.value, o.label.trim()]) : null",
            timeout=1000,
        )
    except PlaywrightError:
        return None
    return [(str(v), str(lbl)) for v, lbl in pairs] if pairs is not None else None


async def _check(c: _Call) -> None:
    args: CheckArgs | None = c.step.check
    assert args is not None
    target = await c.locate(args)
    raw = args.value
    wanted = True if raw is None else raw if isinstance(raw, bool) else truthy(c.render(raw))
    await target.set_checked(wanted, timeout=c.timeout)


async def _uncheck(c: _Call) -> None:
    assert c.step.uncheck is not None
    target = await c.locate(c.step.uncheck)
    await target.uncheck(timeout=c.timeout)


async def _press(c: _Call) -> None:
    args = c.step.press
    assert args is not None
    target = await c.locate(args)
    await target.press(c.render(args.key), timeout=c.timeout)


async def _upload(c: _Call) -> None:
    args = c.step.upload
    assert args is not None
    names = [args.files] if isinstance(args.files, str) else list(args.files)
    paths = [_find_upload(c, c.render(n)) for n in names]
    target = await c.locate(args)
    await target.set_input_files(paths, timeout=c.timeout)


def _find_upload(c: _Call, name: str) -> Path:
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


async def _download(c: _Call) -> None:
    args = c.step.download
    assert args is not None
    target_path = c.inside_run_folder(c.render(args.save_as), "save_as")
    target = await c.locate(args)
    async with c.ctx.page.expect_download(timeout=c.timeout) as info:
        await target.click(timeout=c.timeout)
    download = await info.value
    target_path.parent.mkdir(parents=True, exist_ok=True)
    await download.save_as(target_path)
    if args.into:
        c.ctx.variables[args.into] = str(target_path)


async def _wait(c: _Call) -> None:
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
        await page.wait_for_url(_url_pattern(url), timeout=c.timeout)
    elif args.load_state is not None:
        c.subject = f"load_state {args.load_state}"
        await page.wait_for_load_state(args.load_state, timeout=c.timeout)
    elif args.text is not None:
        text = c.render(args.text)
        c.subject = f"text={text}"
        await _visible(c.root.get_by_text(text)).wait_for(state="visible", timeout=c.timeout)


def _url_pattern(pattern: str) -> str | re.Pattern[str]:
    """``re:...`` is a regular expression; a path like ``/done`` matches on any host; else a glob."""
    if pattern.startswith("re:"):
        try:
            return re.compile(pattern[3:])
        except re.error as exc:
            raise RobotDefect(f"invalid regular expression '{pattern[3:]}': {exc}") from None
    if pattern.startswith("/"):
        return "**" + pattern
    return pattern


async def _expect(c: _Call) -> None:
    args = c.step.expect
    assert args is not None
    try:
        if args.error_text is not None and args.business_error is not None:
            await _expect_or_page_error(c, args)
        else:
            await _check_expectation(c, args)
    except (PlaywrightTimeoutError, AssertionError, _Unmet) as exc:
        detail = exc.detail if isinstance(exc, _Unmet) else _expect_detail(c)
        if args.business_error is None:
            raise ItemSystemError(detail) from None
        message = c.render(args.business_error)
        page_text = await _read_error_text(c, args.error_text)
        raise BusinessError(message + (f": {page_text}" if page_text else "")) from None


class _Unmet(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


def _expect_detail(c: _Call) -> str:
    return tr(
        f"期待した状態になりません ({c.subject}, {c.timeout} ms)",
        f"expectation not met ({c.subject}, {c.timeout} ms)",
    )


def _visible(target: PWLocator) -> PWLocator:
    """The first *visible* match (a hidden duplicate earlier in the page must not pin the wait)."""
    return target.locator("visible=true").first


async def _expect_or_page_error(c: _Call, args: ExpectArgs) -> None:
    """Fail fast: race the expectation against the page's own error message appearing."""
    assert args.error_text is not None
    error = _visible(build_locator(c.root, args.error_text, c.render))
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


async def _check_expectation(c: _Call, args: ExpectArgs) -> None:
    if args.text is not None:
        text = c.render(args.text)
        c.subject = f"text={text}"
        await _visible(c.root.get_by_text(text)).wait_for(state="visible", timeout=c.timeout)
    elif args.visible is not None:
        target = await c.locate(args.visible)
        await target.wait_for(state="visible", timeout=c.timeout)
    elif args.hidden is not None:
        hidden = await c.locate(args.hidden)
        await hidden.wait_for(state="hidden", timeout=c.timeout)
    elif args.url is not None:
        pattern = c.render(args.url)
        c.subject = f"url {pattern}"
        await c.ctx.page.wait_for_url(_url_pattern(pattern), timeout=c.timeout)
    elif args.count is not None:
        counted = await c.locate(args.count)
        await pw_expect(counted).to_have_count(args.count.equals, timeout=c.timeout)


async def _read_error_text(c: _Call, loc: Locator | None) -> str:
    if loc is None:
        return ""
    target = build_locator(c.root, loc, c.render)
    for candidate in (_visible(target), target.first):
        try:
            text = (await candidate.inner_text(timeout=500)).strip()
        except PlaywrightError:
            continue
        if text:
            return text
    return ""


_TABLE_JS = r"""el => {
  const t = el.tagName === 'TABLE' ? el : el.querySelector('table');
  if (!t) return null;
  const text = c => (c.innerText || c.textContent || '').replace(/\s+/g, ' ').trim();
  const rows = Array.from(t.rows);
  let head = t.tHead && t.tHead.rows.length ? t.tHead.rows[t.tHead.rows.length - 1] : null;
  if (!head && rows.length && rows[0].querySelector('th') && !rows[0].querySelector('td')) head = rows[0];
  const headers = head ? Array.from(head.cells).map(text) : [];
  const body = rows.filter(r => r !== head && !(t.tHead && r.parentElement === t.tHead));
  return {headers, rows: body.map(r => Array.from(r.cells).map(text)).filter(r => r.length)};
}"""


def table_records(headers: list[str], rows: list[list[str]]) -> list[dict[str, str]]:
    """Rows keyed by header text; blank or repeated headers become 列N / 名前_2."""
    names: list[str] = []
    for i, h in enumerate(headers):
        name = h or f"列{i + 1}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    width = max([len(names), *(len(r) for r in rows)]) if rows else len(names)
    names += [f"列{i + 1}" for i in range(len(names), width)]
    return [{names[i]: cell for i, cell in enumerate(row)} for row in rows]


async def _extract(c: _Call) -> None:
    args = c.step.extract
    assert args is not None
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
        data = await target.evaluate(_TABLE_JS, timeout=c.timeout)
        if data is None:
            raise RobotDefect(tr(f"{c.subject} は表 (table) ではありません", f"{c.subject} is not a table"))
        value = table_records(data["headers"], data["rows"])
    c.ctx.variables[args.into] = c.shown(value)


async def _screenshot(c: _Call) -> None:
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


async def _set(c: _Call) -> None:
    assert c.step.set is not None
    for key, raw in c.step.set.items():
        c.ctx.variables[key] = c.value(raw)


async def _if(c: _Call) -> None:
    args = c.step.if_
    assert args is not None
    branch = args.then if truthy(_evaluate(args.condition, c.scope)) else args.else_
    await _run_list(branch, c.ctx, f"{c.label} › ")


async def _for_each(c: _Call) -> None:
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
    values = _evaluate(args.in_, c.scope)
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
            await _run_list(args.steps, c.ctx, f"{c.label} [{i + 1}/{total}] › ")
    finally:
        c.ctx.locals = saved


async def _frame(c: _Call) -> None:
    args = c.step.frame
    assert args is not None
    saved = c.ctx.frame_root
    c.ctx.frame_root = c.root.frame_locator(c.render(args.selector))
    try:
        await _run_list(args.steps, c.ctx, f"{c.label} › ")
    finally:
        c.ctx.frame_root = saved


async def _dialog(c: _Call) -> None:
    args = c.step.dialog
    assert args is not None
    prompt = c.render(args.prompt_text) if args.prompt_text is not None else None
    c.ctx.page.once("dialog", _dialog_answerer(args.action, prompt, c.where))


async def _ocr(c: _Call) -> None:
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


async def _log(c: _Call) -> None:
    assert c.step.log is not None
    logger.info(f"{c.label}: {redact(c.render(c.step.log))}")


_HANDLERS: dict[str, Callable[[_Call], Awaitable[None]]] = {
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
    "dialog": _dialog,
    "ocr": _ocr,
    "log": _log,
}
