"""Running a registered robot: the durable item loop.

One browser per run, ``workers`` contexts pulling items from one queue. Every item is a work item
in the store, claimed atomically before the browser touches it and finished with its outcome, so
an item is entered once across runs, crashes and parallel runners:

* business errors (the data or the target system said no) are never retried;
* system errors are retried with backoff in a fresh context (the browser is relaunched if it
  crashed) — unless the failure came after a ``submit`` step, when the robot's ``verify:`` steps
  decide whether the entry went through before anything is redone;
* in-progress items of a runner that stopped beating are marked ``abandoned`` and checked with
  ``verify:`` at the start of the next run (without ``verify:`` they wait for staff);
* a robot defect (ambiguous locator, blocked domain, bad template) stops the run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from sqlalchemy.orm import Session

from dxrpa.browser.session import BrowserHandle, launch
from dxrpa.config import Settings
from dxrpa.engine import evidence, liveness
from dxrpa.engine.approval import check_dry_run, dry_run_steps
from dxrpa.engine.assets import run_environ
from dxrpa.engine.data import DataBatch, DataItem, build_batch, column_list, load_tabular
from dxrpa.engine.definitions import LoadedRobot, item_columns, parse_robot, uses_action
from dxrpa.engine.paths import Folders, local_assets
from dxrpa.engine.pii import KeyMap, PiiVault, protect_keys, protect_outputs, stored_key
from dxrpa.engine.results import results_path, write_results
from dxrpa.engine.secrets import allowed_env, refuse_secret, resolve_secrets
from dxrpa.engine.steps import StepContext, run_steps
from dxrpa.engine.units import for_unit, scope_keys
from dxrpa.errors import (
    BusinessError,
    DataError,
    DxrpaError,
    ItemError,
    ItemSystemError,
    RobotDefect,
    StoreError,
    UsageError,
)
from dxrpa.i18n import tr
from dxrpa.log import add_run_file, logger, redact, redact_url, redact_urls_in, remove_sink
from dxrpa.model.status import AttemptStatus, ItemStatus, RunStatus
from dxrpa.store import audit_repo, ledger_repo, robots_repo, runs_repo
from dxrpa.store.base import Store, utcnow
from dxrpa.store.tables import Robot, RobotVersion, Run

Progress = Callable[["ItemOutcome"], None]


def _expire(limit: asyncio.Timeout) -> Callable[[], None]:
    """A callback that makes ``limit`` expire now (the attempt ends with TimeoutError)."""
    return lambda: limit.reschedule(asyncio.get_running_loop().time())


OPEN_SECONDS = 90.0  # launch (30 s) + context + first page; a killed browser may never answer
EVIDENCE_SECONDS = 30.0  # screenshot + trace of a failed attempt
_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # cancel the run (exit 130), see Runner._on_signal


@dataclass
class ItemOutcome:
    key: str
    status: str  # done | business_error | system_error | skipped | abandoned | pending
    message: str | None = None
    step: str | None = None
    attempts: int = 0


@dataclass
class RunSummary:
    run_id: str
    robot: str
    status: str
    dry_run: bool
    folder: Path
    items_total: int = 0
    items_done: int = 0
    items_business_error: int = 0
    items_system_error: int = 0
    items_skipped: int = 0
    outcomes: list[ItemOutcome] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    defect: RobotDefect | None = None
    # items of the batch this run did not take, by work-item status (or "limit")
    not_taken: dict[str, int] = field(default_factory=dict)

    @property
    def items_failed(self) -> int:
        return self.items_business_error + self.items_system_error

    def not_taken_text(self) -> str:
        """One line accounting for the batch items this run left alone ("" when none)."""
        parts = [
            tr(f"{_NOT_TAKEN.get(why, (why, why))[0]} {n} 件", f"{_NOT_TAKEN.get(why, (why, why))[1]}: {n}")
            for why, n in sorted(self.not_taken.items())
        ]
        if not parts:
            return ""
        return tr("今回処理しなかった項目 — ", "items not taken by this run — ") + tr("、", ", ").join(parts)


_NOT_TAKEN = {
    "in_progress": ("別の実行が処理中", "held by another live run"),
    "done": ("前回までに完了", "done earlier"),
    "business_error": ("前回業務エラー(--reprocess で再処理)", "business error earlier (use --reprocess)"),
    "skipped": ("前回スキップ", "skipped earlier"),
    "abandoned": ("中断のまま(--resume で再開)", "abandoned (use --resume)"),
    "limit": ("--limit の対象外", "beyond --limit"),
}


@dataclass
class RunOptions:
    trigger: str = "manual"
    dry_run: bool = False
    test: bool = False
    limit: int | None = None
    workers: int = 1
    resume: bool = True
    reprocess: tuple[str, ...] = ()
    data: Path | None = None
    headed: bool = False
    requested_by: str = ""
    run_id: str | None = None
    allow_no_submit: bool = False  # dry run of a robot without submit: steps (an operator's call)
    on_total: Callable[[int], None] | None = None  # told the number of items once they are planned
    unit: str | None = None  # the 区 of a shared robot's run (dxrpa.engine.units)


@dataclass
class _Slot:
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
    except Exception:  # the next attempt opens it again, or finds the browser gone
        handle.tracing = False


@dataclass
class _Work:
    item: DataItem
    item_id: int | None  # None in dry runs: dry runs never touch work items
    recheck: bool = False  # abandoned by a dead runner: verify before redoing
    after_submit: bool = False  # interrupted past its submit step: verify before redoing


class Runner:
    """One run of one robot version (built by :func:`run_robot`)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        loaded: LoadedRobot,
        robot_row: Robot,
        version: RobotVersion,
        options: RunOptions,
        progress: Progress | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.loaded = loaded
        self.robot = loaded.robot
        self.robot_row = robot_row
        self.version = version
        self.opt = options
        self.progress = progress
        self.run_id = options.run_id or runs_repo.new_run_id()
        self.folder = settings.runs_dir / self.run_id
        self.summary = RunSummary(self.run_id, self.robot.name, "running", options.dry_run, self.folder)
        self.stopping = False
        self._workers: list[asyncio.Task[None]] = []
        self._grace: asyncio.TimerHandle | None = None  # armed by the first SIGINT/SIGTERM
        self._aborted = False  # the grace ran out: steps in progress are interrupted
        self.defect: RobotDefect | None = None
        self.browser: BrowserHandle | None = None
        self._browser_lock = asyncio.Lock()
        self.secrets: dict[str, str] = {}
        self.pii = PiiVault(settings.var_dir)
        self.keys = KeyMap()  # stored key → key as in the data (keys that are personal data are hashed)
        # only the declared env: names (an allow-list); assets of settings.environment first
        self.env = allowed_env(self.robot.env, run_environ(store, settings.environment))
        self.host = socket.gethostname()
        self._item_steps = self.robot.item
        self._ocr_reader: Any = None
        self._ocr_items: Any = None  # OcrItems of an ocr: data source, finished after the run
        self.folders: Folders  # the robot's folders: resolved and checked by _load_data
        self.assets: dict[str, Path] = {}  # browser.assets: URL pattern → local copy
        self.results_path: Path | None = None
        self.department: str | None = None  # the 課 a shared robot's run counts for (engine.units)
        if uses_action(self.robot, "ocr"):  # OCR models load on the first ocr: step only
            from dxrpa.engine.ocr_source import make_ocr_reader

            self._ocr_reader = make_ocr_reader(settings)
        if options.dry_run:  # a dry run stops at the final submit: what follows checks its outcome
            self._item_steps = dry_run_steps(self.robot.item)

    # ------------------------------------------------------------------ store helpers

    async def _db(self, fn: Callable[[Session], Any]) -> Any:
        """``fn`` in a unit of work off the event loop; a lost PostgreSQL connection is retried."""
        return await asyncio.to_thread(self.store.transact, fn)

    # ------------------------------------------------------------------ preparation

    def _load_data(self) -> DataBatch:
        spec = self.robot.data
        self.folders = Folders.of(self.settings, self.robot.folders, source=self.loaded.path)
        self.results_path = results_path(self.robot, self.folders)  # refused before any item
        self.assets = local_assets(self.robot.browser.assets, self.folders, self.loaded.path)
        if spec.ocr is not None and self.opt.data is None:
            from dxrpa.engine.ocr_source import load_ocr_items

            ocr = load_ocr_items(self.store, self.settings, spec.ocr, self.robot.name, folders=self.folders)
            self._ocr_items = ocr
            columns = sorted({c for row in ocr.rows for c in row})
            rows = [(i + 1, dict(row)) for i, row in enumerate(ocr.rows)]
            return build_batch(f"ocr:{spec.ocr.template}", columns, rows, spec)
        lazy = bool(self.opt.limit) and not self.opt.reprocess  # --limit: stream, read what is needed
        batch = load_tabular(spec, folders=self.folders, override=self.opt.data, lazy=lazy)
        if batch.source == "none":  # a robot without data does its job once per run
            batch.items[0].key = f"run:{self.run_id}"
        return batch

    def _check_columns(self, batch: DataBatch) -> None:
        if not next(batch.chunks(1), None) or batch.source == "none":
            return
        missing = sorted(item_columns(self.robot) - set(batch.columns))
        if missing:
            raise DataError(
                tr(
                    f"{self.loaded.path}: ロボットが使う列 {', '.join(missing)} が"
                    f" {batch.source} にありません",
                    f"{self.loaded.path}: column(s) {', '.join(missing)} used by the robot"
                    f" are not in {batch.source}",
                ),
                hint=tr("列名: ", "columns: ") + column_list(batch.columns),
            )

    def _plan(self, s: Session, batch: DataBatch) -> list[_Work]:
        """Create work items, recover abandoned ones, pick what this run does."""
        if self.opt.dry_run:
            limit = self.opt.limit
            chosen = next(batch.chunks(limit), []) if limit else [i for c in batch.chunks(500) for i in c]
            if batch.rest is None and len(chosen) < len(batch.items):
                self.summary.not_taken = {"limit": len(batch.items) - len(chosen)}
            return [_Work(i, None) for i in chosen]
        items = batch.items
        robot_id = self.robot_row.id
        stale = timedelta(seconds=self.robot.limits.heartbeat_timeout_seconds)
        for wi in runs_repo.abandon_stale(s, robot_id, stale, host=self.host, alive=liveness.alive):
            logger.bind(run_id=self.run_id).warning(
                tr(
                    "前回中断した項目 {} を「中断(abandoned)」にしました",
                    "item {} was left in progress: marked abandoned",
                ),
                wi.key,
            )
        if self.opt.reprocess:
            wanted = [stored_key(k, self.robot.data, self.pii) for k in self.opt.reprocess]
            found = runs_repo.reprocess(s, robot_id, wanted)
            for key in found:
                audit_repo.append(
                    s,
                    self.opt.requested_by,
                    "item.reprocess",
                    f"{self.robot.name}/{key}",
                    {"run_id": self.run_id},
                )
            unknown = set(wanted) - set(found) - {i.key for i in items}
            if unknown:
                raise UsageError(
                    tr(
                        f"再処理するキーが見つかりません: {', '.join(sorted(unknown))}",
                        f"keys to reprocess not found: {', '.join(sorted(unknown))}",
                    )
                )
        work: list[_Work] = []
        not_taken: Counter[str] = Counter()
        for chunk in batch.chunks(self.opt.limit or 500):  # a streamed source is read chunk by chunk
            if self.opt.limit and len(work) >= self.opt.limit:
                not_taken["limit"] += len(chunk)
                continue
            rows = runs_repo.ensure_items(s, robot_id, [i.key for i in chunk])
            for item in chunk:
                if self.opt.limit and len(work) >= self.opt.limit:
                    not_taken["limit"] += 1
                    continue
                wi = rows[item.key]
                if wi.status in runs_repo.CLAIMABLE:
                    work.append(_Work(item, wi.id))
                elif wi.status == ItemStatus.ABANDONED and self.opt.resume:
                    work.append(_Work(item, wi.id, recheck=True))
                else:  # after abandon_stale, "in_progress" means held by another live runner
                    not_taken[wi.status] += 1
            if self.opt.limit and len(work) >= self.opt.limit and batch.rest is not None:
                break  # a streamed source: the rows after the limit are not read at all
        self.summary.not_taken = dict(not_taken)
        if not_taken:
            level = "WARNING" if "in_progress" in not_taken else "INFO"
            logger.bind(run_id=self.run_id).log(level, self.summary.not_taken_text())
        return work

    # ------------------------------------------------------------------ browser

    async def _ensure_browser(self) -> BrowserHandle:
        async with self._browser_lock:
            if self.browser is None or not self.browser.is_connected:
                if self.browser is not None:
                    logger.bind(run_id=self.run_id).warning(
                        tr("ブラウザを再起動します", "relaunching the browser")
                    )
                    with contextlib.suppress(Exception):
                        await self.browser.close()
                headless = False if self.opt.headed else self.robot.browser.headless
                self.browser = await launch(self.settings.browser, headless=headless)
            return self.browser

    async def _drop_browser(self) -> None:
        """Forget a browser that failed, so the next context comes from a fresh launch."""
        async with self._browser_lock:
            if self.browser is not None:
                with contextlib.suppress(Exception):
                    await self.browser.close()
                self.browser = None

    async def _new_context(self, browser: BrowserHandle) -> Any:
        spec = self.robot.browser
        return await browser.new_context(
            allowed_domains=spec.allowed_domains,
            viewport=spec.viewport,
            locale=spec.locale,
            timeout_ms=spec.timeout_ms or self.settings.browser.timeout_ms,
            downloads_dir=self.folder / "downloads",
            trace=True,
            trace_snapshots=self.settings.browser.trace_snapshots,
            assets=self.assets,
            http_credentials=(
                (self.secrets[creds.username], self.secrets[creds.password])
                if (creds := spec.http_credentials) is not None
                else None
            ),
        )

    def _step_context(self, page: Any, item: DataItem) -> StepContext:
        return StepContext(
            page=page,
            robot=self.robot,
            item=dict(item.values),
            variables={},
            env=self.env,
            secrets=self.secrets,
            run={"id": self.run_id, "dry_run": self.opt.dry_run, "unit": self.opt.unit or ""},
            run_folder=self.folder,
            folders=self.folders,
            dry_run=self.opt.dry_run,
            timeout_ms=self.robot.browser.timeout_ms or self.settings.browser.timeout_ms,
            source=self.loaded.path,
            ocr_reader=self._ocr_reader,
        )

    # ------------------------------------------------------------------ one item

    async def _attempt(self, slot: _Slot, work: _Work, attempt: int, section: str) -> dict[str, Any]:
        """Run the item's (or verify's) steps; returns outputs, raises a classified ItemError.

        ``session: per_item`` (default): a fresh context per attempt, setup (login) every time.
        ``session: shared``: the worker keeps one context and runs setup once; a failure throws
        the context away so the retry starts clean. Traces are kept only for failures.
        """
        shared = self.robot.browser.session == "shared"
        fresh = slot.handle is None or not shared
        await slot.settled()
        try:
            async with asyncio.timeout(OPEN_SECONDS) as limit:
                browser = await self._ensure_browser()
                with browser.watch(_expire(limit)):
                    if fresh:
                        slot.handle = await self._new_context(browser)
                        slot.page = await slot.handle.new_page()
                    elif slot.handle is not None and not slot.handle.tracing:
                        await slot.handle.context.tracing.start_chunk()
                        slot.handle.tracing = True
        except (PlaywrightError, TimeoutError) as exc:  # the browser died under us: relaunch next time
            reason = (str(exc).splitlines() or [tr("応答がありません", "no answer")])[0]
            if isinstance(exc, TimeoutError) and self.browser is not None and self.browser.crashed:
                reason = tr("ブラウザが終了しました", "the browser went away")
            if slot.handle is not None:
                await slot.handle.close()
            slot.handle = slot.page = None
            await self._drop_browser()
            raise ItemSystemError(
                tr("ブラウザを開けませんでした: ", "could not open the browser: ") + reason
            ) from None
        handle, page = slot.handle, slot.page
        assert handle is not None and page is not None
        sctx = self._step_context(page, work.item)
        sctx.guard = handle
        failed = True
        try:
            async with asyncio.timeout(self.robot.limits.item_timeout_seconds) as limit:
                with browser.watch(_expire(limit)):
                    if fresh:
                        await run_steps(self.robot.setup, sctx, "setup")
                    steps = self.robot.verify if section == "verify" else self._item_steps
                    await run_steps(steps, sctx, section)
            outputs = {k: sctx.variables.get(k) for k in self.robot.output_names}
            refuse_secret(outputs, self.secrets, f"{self.loaded.path} outputs")  # never stored
            failed = False
            slot.skipped_submits = sctx.skipped_submits
            return protect_outputs(outputs, self.robot.pii_outputs, self.pii)
        except BaseException as exc:
            if self._aborted and isinstance(exc, asyncio.CancelledError):
                work.after_submit = sctx.submit_started
                raise
            err = self._classify(exc, sctx)
            err.evidence = await self._evidence(handle, page, work, attempt, section, sctx)  # type: ignore[attr-defined]
            raise err from None
        finally:
            if not failed and shared:
                handle.tracing = False
                slot.rechunk = asyncio.ensure_future(_rechunk(handle))
            elif failed or not shared:
                with contextlib.suppress(Exception):
                    await handle.close()
                slot.handle = slot.page = None

    async def _evidence(
        self, handle: Any, page: Any, work: _Work, attempt: int, section: str, sctx: StepContext
    ) -> dict[str, Any]:
        """Masked screenshot + scrubbed trace of a failed attempt, under the run folder.

        Bounded in time: after the browser was killed, Playwright calls may never answer.
        """
        try:
            async with asyncio.timeout(EVIDENCE_SECONDS):
                return await self._collect_evidence(handle, page, work, attempt, section, sctx)
        except TimeoutError:
            logger.bind(run_id=self.run_id).warning(
                tr(
                    "証跡を保存できませんでした（ブラウザが応答しません）",
                    "no evidence: the browser does not answer",
                )
            )
            return {"url": None, "screenshot": None, "trace": None, "submitted": sctx.submit_started}

    async def _collect_evidence(
        self, handle: Any, page: Any, work: _Work, attempt: int, section: str, sctx: StepContext
    ) -> dict[str, Any]:
        stem = self.folder / "evidence" / f"{evidence.safe_name(work.item.key)}-{section}-{attempt}"
        shot = await evidence.screenshot(page, stem.with_suffix(".png"), await self._pii_locators(page))
        trace_path: Path | None = stem.with_name(stem.name + "-trace.zip")
        try:
            if self.robot.browser.session == "shared":
                await handle.context.tracing.stop_chunk(path=str(trace_path))
                handle.tracing = False
            else:
                await handle.stop_trace(trace_path)
            assert trace_path is not None
            evidence.scrub_trace(trace_path)
        except Exception as trace_exc:  # a crashed browser leaves no trace to save
            logger.bind(run_id=self.run_id).debug("no trace: {}", trace_exc)
            trace_path = None
        return {
            "url": None if page.is_closed() else redact_url(page.url),
            "screenshot": str(shot) if shot else None,
            "trace": str(trace_path) if trace_path and trace_path.exists() else None,
            "submitted": sctx.submit_started,
        }

    async def _pii_locators(self, page: Any) -> list[Any]:
        from dxrpa.browser.locators import build_locator

        return [build_locator(page, loc) for loc in self.robot.pii]

    def _classify(self, exc: BaseException, sctx: StepContext) -> ItemError:
        step = sctx.current_step
        if isinstance(exc, ItemError):
            if exc.step is None:
                exc.step = step
            return exc
        if isinstance(exc, TimeoutError) and self.browser is not None and self.browser.crashed:
            return ItemSystemError(tr("ブラウザが終了しました", "the browser went away"), step=step)
        if isinstance(exc, TimeoutError):
            return ItemSystemError(
                tr(
                    f"項目の制限時間 {self.robot.limits.item_timeout_seconds:g} 秒を超えました",
                    f"item took longer than {self.robot.limits.item_timeout_seconds:g} s",
                ),
                step=step,
            )
        if isinstance(exc, PlaywrightError):
            return ItemSystemError(redact(str(exc).splitlines()[0]), step=step)
        if isinstance(exc, asyncio.CancelledError):
            return ItemSystemError(tr("中断されました", "interrupted"), step=step)
        if isinstance(exc, DxrpaError):
            return RobotDefect(str(exc), step=step)
        return ItemSystemError(f"{type(exc).__name__}: {redact(str(exc))}", step=step)

    async def _verify(self, slot: _Slot, work: _Work, attempt: int) -> tuple[bool | None, dict[str, Any]]:
        """True: the entry is in the target system; False: it is not; None: could not tell.

        A failed ``expect`` (or a business error) in ``verify:`` means "not there"; any other
        failure means verify itself could not run, and it is tried again with backoff.
        """
        if not self.robot.verify:
            return None, {}
        for retry in range(self.robot.retries + 1):
            try:
                return True, await self._attempt(slot, work, attempt + retry, "verify")
            except BusinessError:
                return False, {}
            except RobotDefect as exc:
                self.defect = self.defect or exc
                self.stopping = True
                return None, {}
            except ItemSystemError as exc:
                if exc.step and "(expect" in exc.step:
                    return False, {}
                logger.bind(run_id=self.run_id).warning(
                    tr("項目 {} の確認(verify)に失敗: {}", "item {}: verify could not run: {}"),
                    work.item.key,
                    exc,
                )
                await asyncio.sleep(self.robot.retry_backoff_seconds * (2**retry))
        return None, {}

    async def _process(self, slot: _Slot, work: _Work) -> None:
        item, log = work.item, logger.bind(run_id=self.run_id)
        if item.problems:
            await self._finish(
                work, 1, ItemStatus.BUSINESS_ERROR, message="; ".join(item.problems), step="validate"
            )
            return
        if work.item_id is not None:
            statuses = (ItemStatus.ABANDONED,) if work.recheck else runs_repo.CLAIMABLE
            item_id = work.item_id
            if not await self._db(lambda s: runs_repo.claim(s, item_id, self.run_id, statuses=statuses)):
                log.info(tr("項目 {} は別の実行が処理中です", "item {} is held by another run"), item.key)
                return
        attempt = 0
        if work.recheck:
            attempt += 1
            found, outputs = await self._verify(slot, work, attempt)
            if found:
                await self._finish(
                    work,
                    attempt,
                    ItemStatus.DONE,
                    outputs=outputs,
                    message=tr("前回の実行で登録済みを確認", "verified as entered by the interrupted run"),
                )
                return
            if found is None:
                await self._finish(
                    work,
                    attempt,
                    "abandoned",
                    message=tr(
                        "中断された項目です。登録されたか確認できません。確認後 --reprocess してください",
                        "interrupted item: could not verify whether it was entered;"
                        " check it, then use --reprocess",
                    ),
                )
                return
        while True:
            attempt += 1
            if self.stopping:
                await self._release(work)
                return
            try:
                outputs = await self._attempt(slot, work, attempt, "item")
                await self._finish(
                    work,
                    attempt,
                    ItemStatus.DONE,
                    outputs=outputs,
                    skipped=bool(slot.skipped_submits and self.opt.dry_run),
                )
                return
            except RobotDefect as exc:
                self.defect = self.defect or exc
                self.stopping = True
                await self._record_attempt(work, attempt, AttemptStatus.ROBOT_DEFECT, exc)
                await self._release(work)
                logger.bind(run_id=self.run_id).error(
                    tr(
                        "項目 {}: ロボット定義の誤りのため実行を止めます: {}",
                        "item {}: robot defect, the run stops: {}",
                    ),
                    work.item.key,
                    self.keys.scrub(redact_urls_in(str(exc)), work.item.key),
                )
                return
            except BusinessError as exc:
                await self._finish(work, attempt, ItemStatus.BUSINESS_ERROR, exc=exc)
                return
            except ItemSystemError as exc:
                submitted = bool(getattr(exc, "evidence", {}).get("submitted"))
                log.warning(tr("項目 {} 試行 {}: {}", "item {} attempt {}: {}"), item.key, attempt, exc)
                if submitted and not self.opt.dry_run:
                    await self._record_attempt(work, attempt, ItemStatus.SYSTEM_ERROR, exc)
                    attempt += 1
                    found, outputs = await self._verify(slot, work, attempt)
                    if found:
                        await self._finish(work, attempt, ItemStatus.DONE, outputs=outputs)
                        return
                    if found is None:  # it may have gone through: the next run verifies before anything
                        await self._finish(
                            work,
                            attempt,
                            "abandoned",
                            exc=exc,
                            message=tr(
                                f"登録ボタンの後に失敗しました。登録されたか確認できません: {exc}",
                                "failed after the submit step; could not verify whether it was"
                                f" entered: {exc}",
                            ),
                        )
                        return
                if attempt > self.robot.retries:
                    await self._finish(work, attempt, ItemStatus.SYSTEM_ERROR, exc=exc)
                    return
                if not submitted:
                    await self._record_attempt(work, attempt, ItemStatus.SYSTEM_ERROR, exc)
                await asyncio.sleep(self.robot.retry_backoff_seconds * (2 ** (attempt - 1)))

    async def _release(self, work: _Work) -> None:
        item_id = work.item_id
        if item_id is not None:
            status = ItemStatus.ABANDONED if work.recheck or work.after_submit else ItemStatus.PENDING
            await self._db(lambda s: runs_repo.release(s, item_id, self.run_id, status=status))

    def _add_attempt(
        self,
        s: Session,
        work: _Work,
        attempt: int,
        status: str,
        exc: ItemError | None,
        text: str | None,
        step: str | None,
        outputs: dict[str, Any] | None,
    ) -> None:
        ev: dict[str, Any] = getattr(exc, "evidence", {}) if exc else {}
        runs_repo.add_attempt(
            s,
            run_id=self.run_id,
            item_id=work.item_id,
            key=work.item.key,
            seq=work.item.seq,
            attempt=attempt,
            status=status,
            error_class=type(exc).__name__ if exc else None,
            error_message=text,
            error_step=step,
            url=ev.get("url"),
            screenshot=ev.get("screenshot"),
            trace=ev.get("trace"),
            outputs=outputs or {},
            finished_at=utcnow(),
        )

    async def _record_attempt(self, work: _Work, attempt: int, status: str, exc: ItemError) -> None:
        """A failed attempt that is not the item's last word (it is retried or verified)."""
        text, step = self.keys.scrub(redact_urls_in(str(exc)), work.item.key), exc.step
        await self._db(lambda s: self._add_attempt(s, work, attempt, status, exc, text, step, None))

    async def _finish(
        self,
        work: _Work,
        attempt: int,
        status: str,
        *,
        exc: ItemError | None = None,
        message: str | None = None,
        step: str | None = None,
        outputs: dict[str, Any] | None = None,
        skipped: bool = False,
    ) -> None:
        """The item's outcome: its last attempt and the work item's final status."""
        status_for_run = ItemStatus.SKIPPED if skipped else status
        text = (
            self.keys.scrub(redact_urls_in(message or str(exc)), work.item.key) if (exc or message) else None
        )
        step = step or (exc.step if exc else None)

        def write(s: Session) -> None:
            self._add_attempt(s, work, attempt, status_for_run, exc, text, step, outputs)
            if work.item_id is not None:
                runs_repo.finish_item(
                    s,
                    work.item_id,
                    self.run_id,
                    status=status,
                    outputs=outputs,
                    error_class=type(exc).__name__ if exc else None,
                    error_message=text if status != ItemStatus.DONE else None,
                    error_step=step,
                )

        await self._db(write)
        outcome = ItemOutcome(
            work.item.key, status_for_run, text if status != ItemStatus.DONE else None, step, attempt
        )
        self.summary.outcomes.append(outcome)
        log = logger.bind(run_id=self.run_id)
        if status_for_run == ItemStatus.SKIPPED:  # as the summary counts it: the submit step was not run
            log.info(tr("項目 {} 省略 (ドライラン)", "item {} skipped (dry run)"), work.item.key)
        elif status == ItemStatus.DONE:
            log.info(tr("項目 {} 完了", "item {} done"), work.item.key)
        else:
            log.warning(tr("項目 {}: {} ({})", "item {}: {} ({})"), work.item.key, status, text)
        if self.progress:
            self.progress(outcome)

    # ------------------------------------------------------------------ the run

    async def _worker(self, queue: asyncio.Queue[_Work]) -> None:
        slot = _Slot()
        try:
            while not self.stopping:
                try:
                    work = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    await self._process(slot, work)
                except asyncio.CancelledError:
                    if not self._aborted:
                        raise
                    await self._release(work)  # interrupted mid-item: given back, nothing finished
                    return
        finally:
            await slot.settled()
            if slot.handle is not None:
                if self.robot.teardown and slot.page is not None:
                    with contextlib.suppress(Exception):
                        sctx = self._step_context(slot.page, DataItem("teardown", 0, "teardown", {}))
                        await run_steps(self.robot.teardown, sctx, "teardown")
                with contextlib.suppress(Exception):
                    await slot.handle.close()

    async def _heartbeat(self) -> None:
        interval = max(1.0, min(10.0, self.robot.limits.heartbeat_timeout_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            if await self._db(lambda s: runs_repo.heartbeat(s, self.run_id)):
                logger.bind(run_id=self.run_id).warning(
                    tr("取り消しの依頼により停止します", "cancel requested: stopping")
                )
                self.stopping = True
                self.summary.status = RunStatus.CANCELLED

    def _on_signal(self, name: str) -> None:
        """SIGINT/SIGTERM: cancel the run after the current item. A step still running after
        ``limits.cancel_grace_seconds`` (or at a second signal) is interrupted, its item given back."""
        if self._grace is not None:
            self._abort()
            return
        grace = self.robot.limits.cancel_grace_seconds
        logger.bind(run_id=self.run_id).warning(
            tr(
                f"{name} を受けました。処理中の項目を終えて取り消します(最大 {grace:g} 秒)",
                f"{name}: finishing the current item (at most {grace:g} s), then cancelling the run",
            )
        )
        self.stopping = True
        self.summary.status = RunStatus.CANCELLED
        self._grace = asyncio.get_running_loop().call_later(grace, self._abort)

    def _abort(self) -> None:
        if self._aborted:
            return
        self._aborted = True
        logger.bind(run_id=self.run_id).warning(
            tr("処理中のステップを中断します", "interrupting the step in progress")
        )
        for task in self._workers:
            task.cancel()

    async def execute(self, plan: list[_Work]) -> None:
        self.summary.items_total = len(plan)
        if self.opt.on_total is not None:
            self.opt.on_total(len(plan))
        queue: asyncio.Queue[_Work] = asyncio.Queue()
        for w in plan:
            queue.put_nowait(w)
        loop = asyncio.get_running_loop()
        for sig in _SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._on_signal, sig.name)
        beat = asyncio.create_task(self._heartbeat())
        try:
            if plan:
                await self._ensure_browser()
            n = max(1, min(self.opt.workers, len(plan) or 1))
            self._workers = [asyncio.create_task(self._worker(queue)) for _ in range(n)]
            await asyncio.gather(*self._workers)
        finally:
            if self._grace is not None:
                self._grace.cancel()
            beat.cancel()
            with contextlib.suppress(BaseException):
                await beat
            if self.browser is not None:
                with contextlib.suppress(Exception):
                    await self.browser.close()
            for sig in _SIGNALS:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)


def _run_coroutine(coro: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run``, or in a worker thread when this thread already runs an event loop
    (a caller inside Jupyter or a sync Playwright session)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="dxrpa-run") as pool:
        pool.submit(asyncio.run, coro).result()


def _status(summary: RunSummary, stopped: bool) -> str:
    if summary.defect is not None:
        return RunStatus.FAILED
    if summary.status == RunStatus.CANCELLED:
        return RunStatus.CANCELLED
    if stopped:
        return RunStatus.STOPPED
    if summary.items_failed == 0:
        return RunStatus.SUCCEEDED
    return RunStatus.PARTIAL if summary.items_done else RunStatus.FAILED


def run_robot(
    settings: Settings,
    robot_name: str,
    *,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
    **kwargs: Any,
) -> RunSummary:
    """Run ``robot_name`` and return its summary: its newest approved version, or for a dry run
    its newest registered one (refused without submit steps unless ``allow_no_submit``).

    ``kwargs`` are :class:`RunOptions` fields (trigger=, dry_run=, limit=, workers=, resume=, run_id=).
    Raises DxrpaError subclasses for anything wrong before the first item (nothing is entered then).
    """
    opt = options or RunOptions(**kwargs)
    own_store = store is None
    store = store or Store(settings.db_url, key_dir=settings.var_dir)
    if own_store:
        store.upgrade()
    started = time.monotonic()
    try:
        with store.session() as s:
            robot_row = robots_repo.get_robot(s, robot_name)
            version = robots_repo.version_for_run(s, robot_row, dry_run=opt.dry_run)  # approved unless dry
        loaded = parse_robot(version.source_path or f"<{robot_name}>", version.yaml_text)
        if opt.dry_run:
            check_dry_run(loaded, allow_no_submit=opt.allow_no_submit)
        shared = for_unit(settings, loaded, opt.unit)  # None unless the robot is shared
        runner = Runner(
            settings, store, shared.loaded if shared else loaded, robot_row, version, opt, progress
        )
        runner.department = shared.department if shared else None
        return _run(runner, started)
    finally:
        if own_store:
            store.dispose()


def _run(runner: Runner, started: float) -> RunSummary:
    settings, store, opt, robot = runner.settings, runner.store, runner.opt, runner.robot
    runner.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_file, zone = runner.folder / "run.log", settings.timezone  # run.log stamped in the configured zone
    sink = add_run_file(log_file, run_id=runner.run_id, json_logs=settings.json_logs, timezone=zone)
    log = logger.bind(run_id=runner.run_id)
    summary = runner.summary
    try:
        with store.session() as s:
            _, resumed = runs_repo.start_run(
                s,
                robot=runner.robot_row,
                version=runner.version,
                run_id=runner.run_id,
                status=RunStatus.RUNNING,
                trigger=opt.trigger,
                dry_run=opt.dry_run,
                test=opt.test,
                requested_by=opt.requested_by,
                host=runner.host,
                pid=os.getpid(),
                pid_started=liveness.start_token(os.getpid()),
                folder=str(runner.folder),
                started_at=utcnow(),
                heartbeat_at=utcnow(),
                unit=opt.unit,
                department=runner.department,
            )
            if not opt.dry_run:
                audit_repo.append(
                    s,
                    opt.requested_by,
                    "run.resume" if resumed else "run.start",
                    robot.name,
                    {"run_id": runner.run_id, "version": runner.version.version, "trigger": opt.trigger},
                )
        log.info(
            tr("実行 {} を開始: {} v{}{}", "run {} started: {} v{}{}"),
            runner.run_id,
            robot.name,
            runner.version.version,
            tr(" (ドライラン)", " (dry run)") if opt.dry_run else "",
        )
        try:
            runner.secrets = dict(
                resolve_secrets(robot.name, robot.secrets, var_dir=settings.var_dir, unit=opt.unit)
            )
            batch = runner._load_data()
            runner.keys = protect_keys(batch, robot.data, runner.pii)
            scope_keys(batch, opt.unit, runner.keys)  # a shared run's keys: 北区/KEY
            runner._check_columns(batch)
            with store.session() as s:
                plan = runner._plan(s, batch)
                run_row = s.get(Run, runner.run_id)
                if run_row is not None:  # progress shown by the console needs the total early
                    run_row.items_total = len(plan)
        except DxrpaError as exc:
            _close_run(runner, "failed", exc)
            raise
        _run_coroutine(runner.execute(plan))
        summary.defect = runner.defect
        with store.session() as s:
            run = runs_repo.refresh_counts(s, runner.run_id)
            summary.items_done = run.items_done
            summary.items_business_error = run.items_business_error
            summary.items_system_error = run.items_system_error
            summary.items_skipped = run.items_skipped
        status = _status(
            summary,
            runner.stopping
            and summary.status != RunStatus.CANCELLED
            and runner.defect is None
            and summary.items_done + summary.items_failed + summary.items_skipped < summary.items_total,
        )
        summary.status = status
        _close_run(runner, status, runner.defect)
        if runner._ocr_items is not None and not opt.dry_run:
            done = {runner.keys.original(o.key) for o in summary.outcomes if o.status == ItemStatus.DONE}
            runner._ocr_items.finish(done)
        if runner.results_path is not None:
            write_results(store, runner, runner.results_path)
        log.info(
            tr(
                "実行 {} 終了: {} (完了 {} / 業務エラー {} / システムエラー {} / 省略 {})",
                "run {} finished: {} (done {} / business errors {} / system errors {} / skipped {})",
            ),
            runner.run_id,
            status,
            summary.items_done,
            summary.items_business_error,
            summary.items_system_error,
            summary.items_skipped,
        )
        return summary
    except StoreError as exc:
        _close_after_store_failure(runner, exc)
        raise
    except KeyboardInterrupt:  # Ctrl-C before the items started (loading data, planning)
        summary.status = RunStatus.CANCELLED
        with contextlib.suppress(Exception):  # the run row may not be written yet
            _close_run(runner, "cancelled", None)
        raise
    finally:
        summary.seconds = time.monotonic() - started
        remove_sink(sink)


def _close_run(runner: Runner, status: str, exc: BaseException | None) -> None:
    def write(s: Session) -> None:
        run = runs_repo.refresh_counts(s, runner.run_id)
        run.status = status
        run.finished_at = utcnow()
        if exc is not None:
            run.error_class = type(exc).__name__
            run.error_message = redact_urls_in(str(exc))
        if not runner.opt.dry_run:
            ledger_repo.record_run(s, run, runner.version, runner.robot_row, tz=runner.settings.timezone)
            audit_repo.append(
                s,
                runner.opt.requested_by,
                "run.finish",
                runner.robot.name,
                {"run_id": runner.run_id, "status": status, "done": run.items_done},
            )

    runner.store.transact(write)


def _close_after_store_failure(runner: Runner, exc: StoreError) -> None:
    """Close the run as crashed if the store answers again; if it does not, the next run of this
    robot closes it (its pid is gone: :func:`dxrpa.store.runs_repo.abandon_stale`)."""
    try:
        _close_run(runner, RunStatus.CRASHED, exc)
    except Exception:  # still failing (or the run row was never written): leave it to the next run
        logger.bind(run_id=runner.run_id).warning(
            tr(
                "データベースに書けないため実行 {} を閉じられません(次回の実行で閉じます)",
                "cannot close run {}: the database is unavailable (the next run closes it)",
            ),
            runner.run_id,
        )
