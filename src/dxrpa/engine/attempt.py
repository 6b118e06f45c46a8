"""One attempt at an item: the browser, a worker's slot, the steps, the evidence of a failure,
its classification, and ``verify:``.

Nothing here touches the store: an attempt returns the item's outputs or raises a classified
:class:`~dxrpa.errors.ItemError` carrying its :class:`~dxrpa.errors.Evidence`, and the runner
decides what to record (:mod:`dxrpa.engine.journal`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dxrpa.browser.faults import BrowserError
from dxrpa.browser.locators import build_locator
from dxrpa.browser.session import BrowserHandle, launch
from dxrpa.config import Settings
from dxrpa.engine import evidence
from dxrpa.engine.data import DataItem
from dxrpa.engine.definitions import LoadedRobot
from dxrpa.engine.paths import Folders
from dxrpa.engine.pii import PiiVault, protect_outputs
from dxrpa.engine.secrets import refuse_secret
from dxrpa.engine.steps import StepContext, run_steps
from dxrpa.errors import (
    BusinessError,
    DxrpaError,
    Evidence,
    ItemError,
    ItemSystemError,
    RobotDefect,
)
from dxrpa.i18n import tr
from dxrpa.log import logger, redact, redact_url
from dxrpa.model.robot import Step

OPEN_SECONDS = 90.0  # launch (30 s) + context + first page; a killed browser may never answer
EVIDENCE_SECONDS = 30.0  # screenshot + trace of a failed attempt


def _expire(limit: asyncio.Timeout) -> Callable[[], None]:
    """A callback that makes ``limit`` expire now (the attempt ends with TimeoutError)."""
    return lambda: limit.reschedule(asyncio.get_running_loop().time())


@dataclass
class Work:
    """One item of the plan."""

    item: DataItem
    item_id: int | None  # None in dry runs: dry runs never touch work items
    recheck: bool = False  # abandoned by a dead runner: verify before redoing
    after_submit: bool = False  # interrupted past its submit step: verify before redoing


@dataclass
class Slot:
    """One worker's browser state (a shared context lives here between items)."""

    handle: Any = None
    page: Any = None
    skipped_submits: int = 0
    rechunk: asyncio.Task[None] | None = None  # the next trace chunk, opened while the store finishes

    async def settled(self) -> None:
        """Wait for the trace chunk being reopened in the background (its errors: see _rechunk)."""
        if self.rechunk is not None:
            await asyncio.gather(self.rechunk, return_exceptions=True)
            self.rechunk = None


async def _rechunk(handle: Any) -> None:
    """Discard a passed attempt's trace chunk and open the next attempt's, off the item's path."""
    try:
        await handle.context.tracing.stop_chunk()
        await handle.context.tracing.start_chunk()
        handle.tracing = True
    except Exception:  # noqa: BLE001 — the next attempt opens it again, or finds the browser gone
        handle.tracing = False


@dataclass(frozen=True)
class Verified:
    """What ``verify:`` found: True (the entry is there), False (it is not), None (cannot tell)."""

    found: bool | None
    outputs: dict[str, Any] = field(default_factory=dict)
    defect: RobotDefect | None = None


@dataclass
class RunContext:
    """What every attempt of one run shares (resolved before the first item)."""

    settings: Settings
    loaded: LoadedRobot
    run_id: str
    folder: Path
    folders: Folders
    env: dict[str, str]
    secrets: dict[str, str]
    pii: PiiVault
    item_steps: list[Step]
    dry_run: bool = False
    unit: str | None = None
    headed: bool = False
    assets: dict[str, Path] = field(default_factory=dict)
    ocr_reader: Any = None


class Attempts:
    """The run's browser and the attempts made in it."""

    def __init__(self, ctx: RunContext, *, aborted: Callable[[], bool]) -> None:
        self.ctx = ctx
        self.robot = ctx.loaded.robot
        self.browser: BrowserHandle | None = None
        self._lock = asyncio.Lock()
        self._aborted = aborted  # the cancel grace ran out: a cancelled step is the run stopping
        self.log = logger.bind(run_id=ctx.run_id)

    # ------------------------------------------------------------------ browser

    async def ensure_browser(self) -> BrowserHandle:
        """The run's browser, launched (again, when it crashed) on demand."""
        async with self._lock:
            if self.browser is None or not self.browser.is_connected:
                if self.browser is not None:
                    self.log.warning(tr("ブラウザを再起動します", "relaunching the browser"))
                    with contextlib.suppress(Exception):
                        await self.browser.close()
                headless = False if self.ctx.headed else self.robot.browser.headless
                self.browser = await launch(self.ctx.settings.browser, headless=headless)
            return self.browser

    async def drop_browser(self) -> None:
        """Forget a browser that failed, so the next context comes from a fresh launch."""
        async with self._lock:
            if self.browser is not None:
                with contextlib.suppress(Exception):
                    await self.browser.close()
                self.browser = None

    async def close(self) -> None:
        if self.browser is not None:
            with contextlib.suppress(Exception):
                await self.browser.close()

    def _crashed(self) -> bool:
        return self.browser is not None and self.browser.crashed

    async def _new_context(self, browser: BrowserHandle) -> Any:
        spec, settings = self.robot.browser, self.ctx.settings
        creds = spec.http_credentials
        return await browser.new_context(
            allowed_domains=spec.allowed_domains,
            viewport=spec.viewport,
            locale=spec.locale,
            timeout_ms=spec.timeout_ms or settings.browser.timeout_ms,
            downloads_dir=self.ctx.folder / "downloads",
            trace=True,
            trace_snapshots=settings.browser.trace_snapshots,
            assets=self.ctx.assets,
            http_credentials=(
                (self.ctx.secrets[creds.username], self.ctx.secrets[creds.password]) if creds else None
            ),
        )

    def step_context(self, page: Any, item: DataItem) -> StepContext:
        ctx = self.ctx
        return StepContext(
            page=page,
            robot=self.robot,
            item=dict(item.values),
            variables={},
            env=ctx.env,
            secrets=ctx.secrets,
            run={"id": ctx.run_id, "dry_run": ctx.dry_run, "unit": ctx.unit or ""},
            run_folder=ctx.folder,
            folders=ctx.folders,
            dry_run=ctx.dry_run,
            timeout_ms=self.robot.browser.timeout_ms or ctx.settings.browser.timeout_ms,
            source=ctx.loaded.path,
            ocr_reader=ctx.ocr_reader,
        )

    # ------------------------------------------------------------------ one attempt

    async def _open(self, slot: Slot, fresh: bool) -> BrowserHandle:
        """A context and page in ``slot`` (fresh, or the shared one with a new trace chunk)."""
        try:
            async with asyncio.timeout(OPEN_SECONDS) as limit:
                browser = await self.ensure_browser()
                with browser.watch(_expire(limit)):
                    if fresh:
                        slot.handle = await self._new_context(browser)
                        slot.page = await slot.handle.new_page()
                    elif slot.handle is not None and not slot.handle.tracing:
                        await slot.handle.context.tracing.start_chunk()
                        slot.handle.tracing = True
                return browser
        except (BrowserError, TimeoutError) as exc:  # the browser died under us: relaunch next time
            reason = (str(exc).splitlines() or [tr("応答がありません", "no answer")])[0]
            if isinstance(exc, TimeoutError) and self._crashed():
                reason = tr("ブラウザが終了しました", "the browser went away")
            if slot.handle is not None:
                await slot.handle.close()
            slot.handle = slot.page = None
            await self.drop_browser()
            raise ItemSystemError(
                tr("ブラウザを開けませんでした: ", "could not open the browser: ") + redact(reason)
            ) from exc

    async def run(self, slot: Slot, work: Work, attempt: int, section: str) -> dict[str, Any]:
        """Run the item's (or verify's) steps; returns outputs, raises a classified ItemError.

        ``session: per_item`` (default): a fresh context per attempt, setup (login) every time.
        ``session: shared``: the worker keeps one context and runs setup once; a failure throws
        the context away so the retry starts clean. Traces are kept only for failures.
        """
        shared = self.robot.browser.session == "shared"
        fresh = slot.handle is None or not shared
        await slot.settled()
        browser = await self._open(slot, fresh)
        handle, page = slot.handle, slot.page
        assert handle is not None and page is not None
        sctx = self.step_context(page, work.item)
        sctx.guard = handle
        failed = True
        try:
            async with asyncio.timeout(self.robot.limits.item_timeout_seconds) as limit:
                with browser.watch(_expire(limit)):
                    if fresh:
                        await run_steps(self.robot.setup, sctx, "setup")
                    steps = self.robot.verify if section == "verify" else self.ctx.item_steps
                    await run_steps(steps, sctx, section)
            outputs = {k: sctx.variables.get(k) for k in self.robot.output_names}
            refuse_secret(outputs, self.ctx.secrets, f"{self.ctx.loaded.path} outputs")  # never stored
            failed = False
            slot.skipped_submits = sctx.skipped_submits
            return protect_outputs(outputs, self.robot.pii_outputs, self.ctx.pii)
        except BaseException as exc:
            if self._aborted() and isinstance(exc, asyncio.CancelledError):
                work.after_submit = sctx.submit_started
                raise
            err = self.classify(exc, sctx.current_step)
            err.evidence = await self._evidence(handle, page, work, attempt, section, sctx)
            if err is exc:
                raise
            raise err from exc
        finally:
            if not failed and shared:
                handle.tracing = False
                slot.rechunk = asyncio.ensure_future(_rechunk(handle))
            else:
                with contextlib.suppress(Exception):
                    await handle.close()
                slot.handle = slot.page = None

    async def teardown(self, slot: Slot) -> None:
        """Close a worker's slot, running ``teardown:`` (logout) in its page first."""
        await slot.settled()
        if slot.handle is None:
            return
        if self.robot.teardown and slot.page is not None:
            with contextlib.suppress(Exception):
                sctx = self.step_context(slot.page, DataItem("teardown", 0, "teardown", {}))
                await run_steps(self.robot.teardown, sctx, "teardown")
        with contextlib.suppress(Exception):
            await slot.handle.close()

    # ------------------------------------------------------------------ evidence

    async def _evidence(
        self, handle: Any, page: Any, work: Work, attempt: int, section: str, sctx: StepContext
    ) -> Evidence:
        """Masked screenshot + scrubbed trace of a failed attempt, under the run folder.

        Bounded in time: after the browser was killed, Playwright calls may never answer.
        """
        try:
            async with asyncio.timeout(EVIDENCE_SECONDS):
                return await self._collect(handle, page, work, attempt, section, sctx)
        except TimeoutError:
            self.log.warning(
                tr(
                    "証跡を保存できませんでした（ブラウザが応答しません）",
                    "no evidence: the browser does not answer",
                )
            )
            return Evidence(submitted=sctx.submit_started)

    async def _collect(
        self, handle: Any, page: Any, work: Work, attempt: int, section: str, sctx: StepContext
    ) -> Evidence:
        stem = self.ctx.folder / "evidence" / f"{evidence.safe_name(work.item.key)}-{section}-{attempt}"
        declared = [build_locator(page, loc) for loc in self.robot.pii]
        shot = await evidence.screenshot(page, stem.with_suffix(".png"), declared)
        trace_path: Path | None = stem.with_name(stem.name + "-trace.zip")
        try:
            if self.robot.browser.session == "shared":
                await handle.context.tracing.stop_chunk(path=str(trace_path))
                handle.tracing = False
            else:
                await handle.stop_trace(trace_path)
            assert trace_path is not None
            evidence.scrub_trace(trace_path)
        except Exception as trace_exc:  # noqa: BLE001 — a crashed browser leaves no trace to save
            self.log.debug("no trace: {}", trace_exc)
            trace_path = None
        return Evidence(
            url=None if page.is_closed() else redact_url(page.url),
            screenshot=str(shot) if shot else None,
            trace=str(trace_path) if trace_path and trace_path.exists() else None,
            submitted=sctx.submit_started,
        )

    # ------------------------------------------------------------------ classification, verify

    def classify(self, exc: BaseException, step: str | None) -> ItemError:
        """The failure as the runner acts on it: business, system (retried) or robot defect."""
        if isinstance(exc, ItemError):
            if exc.step is None:
                exc.step = step
            return exc
        if isinstance(exc, TimeoutError) and self._crashed():
            return ItemSystemError(tr("ブラウザが終了しました", "the browser went away"), step=step)
        if isinstance(exc, TimeoutError):
            limit = self.robot.limits.item_timeout_seconds
            return ItemSystemError(
                tr(f"項目の制限時間 {limit:g} 秒を超えました", f"item took longer than {limit:g} s"),
                step=step,
            )
        if isinstance(exc, BrowserError):
            return ItemSystemError(redact(str(exc).splitlines()[0]), step=step)
        if isinstance(exc, asyncio.CancelledError):
            return ItemSystemError(tr("中断されました", "interrupted"), step=step)
        if isinstance(exc, DxrpaError):
            return RobotDefect(str(exc), step=step)
        return ItemSystemError(f"{type(exc).__name__}: {redact(str(exc))}", step=step)

    async def verify(self, slot: Slot, work: Work, attempt: int) -> Verified:
        """Whether the item's entry is in the target system, by the robot's ``verify:`` steps.

        A failed ``expect`` (or a business error) in ``verify:`` means "not there"; any other
        failure means verify itself could not run, and it is tried again with backoff.
        """
        if not self.robot.verify:
            return Verified(None)
        for retry in range(self.robot.retries + 1):
            try:
                return Verified(True, await self.run(slot, work, attempt + retry, "verify"))
            except BusinessError:
                return Verified(False)
            except RobotDefect as exc:
                return Verified(None, defect=exc)
            except ItemSystemError as exc:
                if exc.step and "(expect" in exc.step:
                    return Verified(False)
                self.log.warning(
                    tr("項目 {} の確認(verify)に失敗: {}", "item {}: verify could not run: {}"),
                    work.item.key,
                    exc,
                )
                await asyncio.sleep(self.robot.retry_backoff_seconds * (2**retry))
        return Verified(None)
