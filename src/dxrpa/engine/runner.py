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

This module keeps the state machine and the worker pool; an attempt in the browser is
:mod:`dxrpa.engine.attempt`, what is written to the store is :mod:`dxrpa.engine.journal`, and
reading the data and choosing the items is :mod:`dxrpa.engine.planning`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dxrpa.config import Settings
from dxrpa.engine.approval import check_dry_run
from dxrpa.engine.attempt import Attempts, Slot, Work
from dxrpa.engine.definitions import LoadedRobot, parse_robot
from dxrpa.engine.journal import Entry, Journal
from dxrpa.engine.outcome import ItemOutcome, Progress, RunOptions, RunSummary
from dxrpa.engine.pii import PiiVault
from dxrpa.engine.planning import Source, prepare
from dxrpa.engine.results import write_results
from dxrpa.engine.stopping import Stop
from dxrpa.engine.units import for_unit
from dxrpa.errors import BusinessError, DxrpaError, ItemError, ItemSystemError, RobotDefect, StoreError
from dxrpa.i18n import tr
from dxrpa.log import add_run_file, logger, remove_sink
from dxrpa.model.status import CLAIMABLE, AttemptStatus, ItemStatus, RunStatus
from dxrpa.store import robots_repo, runs_repo
from dxrpa.store.base import Store
from dxrpa.store.tables import Robot, RobotVersion

__all__ = ["ItemOutcome", "Progress", "RunOptions", "RunSummary", "run_robot"]


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
        department: str | None = None,
    ) -> None:
        self.settings, self.loaded, self.robot, self.opt = settings, loaded, loaded.robot, options
        self.progress = progress
        self.department = department  # the 課 a shared robot's run counts for (engine.units)
        self.run_id = options.run_id or runs_repo.new_run_id(settings.timezone)
        self.folder = settings.runs_dir / self.run_id
        self.summary = RunSummary(self.run_id, self.robot.name, "running", options.dry_run, self.folder)
        self.journal = Journal(
            store,
            run_id=self.run_id,
            robot=robot_row,
            version=version,
            actor=options.requested_by,
            dry_run=options.dry_run,
            timezone=settings.timezone,
        )
        self.host = socket.gethostname()
        self.pii = PiiVault(settings.var_dir)
        self.stop = Stop(self.run_id, self.robot.limits.cancel_grace_seconds)
        self.attempts: Attempts | None = None  # built once the data is read (run())
        self.log = logger.bind(run_id=self.run_id)

    # ------------------------------------------------------------------ the run

    def run(self, started: float) -> RunSummary:
        """Open the run, plan it, work the items, close it (with its ledger row); ``started``:
        :func:`time.monotonic` when the run was asked for."""
        settings, opt, robot, journal = self.settings, self.opt, self.robot, self.journal
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        zone = settings.timezone  # run.log stamped in the configured zone
        sink = add_run_file(
            self.folder / "run.log", run_id=self.run_id, json_logs=settings.json_logs, timezone=zone
        )
        try:
            journal.open(
                trigger=opt.trigger,
                test=opt.test,
                host=self.host,
                folder=str(self.folder),
                unit=opt.unit,
                department=self.department,
                status=RunStatus.RUNNING,
            )
            self.log.info(
                tr("実行 {} を開始: {} v{}{}", "run {} started: {} v{}{}"),
                self.run_id,
                robot.name,
                journal.version.version,
                tr(" (ドライラン)", " (dry run)") if opt.dry_run else "",
            )
            try:
                source = self._prepare()
            except DxrpaError as exc:
                journal.close(RunStatus.FAILED, exc)
                raise
            _run_coroutine(self.execute(source.plan.work))
            self._close()
            if source.ocr_items is not None and not opt.dry_run:
                done = {
                    journal.keys.original(o.key) for o in self.summary.outcomes if o.status == ItemStatus.DONE
                }
                source.ocr_items.finish(done)
            if source.results is not None:
                write_results(journal.store, self.run_id, robot, source.results)
            return self.summary
        except StoreError as exc:
            self._close_after_store_failure(exc)
            raise
        except KeyboardInterrupt:  # Ctrl-C before the items started (loading data, planning)
            self.summary.status = RunStatus.CANCELLED
            with contextlib.suppress(Exception):  # the run row may not be written yet
                journal.close(RunStatus.CANCELLED, None)
            raise
        finally:
            self.summary.seconds = time.monotonic() - started
            remove_sink(sink)

    def _prepare(self) -> Source:
        """Secrets, data, work items: everything that can be refused before the first item."""
        source, ctx = prepare(
            self.settings, self.journal, self.loaded, self.opt, self.pii, host=self.host, folder=self.folder
        )
        self.summary.not_taken = source.plan.not_taken
        if source.plan.not_taken:
            level = "WARNING" if "in_progress" in source.plan.not_taken else "INFO"
            self.log.log(level, self.summary.not_taken_text())
        self.attempts = Attempts(ctx, aborted=lambda: self.stop.aborted)
        return source

    def _close(self) -> None:
        summary = self.summary
        if self.stop.cancelled:
            summary.status = RunStatus.CANCELLED
        summary.tally(self.journal.counts(), stopping=self.stop.requested, defect=self.stop.defect)
        self.journal.close(summary.status, self.stop.defect)
        self.log.info(
            tr(
                "実行 {} 終了: {} (完了 {} / 業務エラー {} / システムエラー {} / 省略 {})",
                "run {} finished: {} (done {} / business errors {} / system errors {} / skipped {})",
            ),
            self.run_id,
            summary.status,
            summary.items_done,
            summary.items_business_error,
            summary.items_system_error,
            summary.items_skipped,
        )

    def _close_after_store_failure(self, exc: StoreError) -> None:
        """Close the run as crashed if the store answers again; if it does not, the next run of this
        robot closes it (its pid is gone: :func:`dxrpa.store.runs_repo.abandon_stale`)."""
        try:
            self.journal.close(RunStatus.CRASHED, exc)
        except Exception:  # noqa: BLE001 — still failing (or the run row was never written): leave it to the next run
            self.log.warning(
                tr(
                    "データベースに書けないため実行 {} を閉じられません(次回の実行で閉じます)",
                    "cannot close run {}: the database is unavailable (the next run closes it)",
                ),
                self.run_id,
            )

    # ------------------------------------------------------------------ the worker pool

    async def execute(self, plan: list[Work]) -> None:
        assert self.attempts is not None
        self.summary.items_total = len(plan)
        if self.opt.on_total is not None:
            self.opt.on_total(len(plan))
        queue: asyncio.Queue[Work] = asyncio.Queue()
        for w in plan:
            queue.put_nowait(w)
        beat = asyncio.create_task(self._heartbeat())
        with self.stop.signals():  # also while the browser closes: a signal then still cancels
            try:
                if plan:
                    await self.attempts.ensure_browser()
                n = max(1, min(self.opt.workers, len(plan) or 1))
                self.stop.workers = [
                    asyncio.create_task(self._worker(queue, self.attempts)) for _ in range(n)
                ]
                await asyncio.gather(*self.stop.workers)
            finally:
                beat.cancel()
                with contextlib.suppress(BaseException):
                    await beat
                await self.attempts.close()

    async def _worker(self, queue: asyncio.Queue[Work], attempts: Attempts) -> None:
        slot = Slot()
        try:
            while not self.stop.requested:
                try:
                    work = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    await self._process(attempts, slot, work)
                except asyncio.CancelledError:
                    if not self.stop.aborted:
                        raise
                    await self._release(work)  # interrupted mid-item: given back, nothing finished
                    return
        finally:
            await attempts.teardown(slot)

    async def _heartbeat(self) -> None:
        interval = max(1.0, min(10.0, self.robot.limits.heartbeat_timeout_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            if await self.journal.heartbeat():
                self.stop.cancel()

    # ------------------------------------------------------------------ one item: the state machine

    async def _process(self, attempts: Attempts, slot: Slot, work: Work) -> None:
        item = work.item
        if item.problems:
            await self._finish(
                work, 1, ItemStatus.BUSINESS_ERROR, message="; ".join(item.problems), step="validate"
            )
            return
        if work.item_id is not None:
            statuses = (ItemStatus.ABANDONED,) if work.recheck else CLAIMABLE
            if not await self.journal.claim(work.item_id, statuses):
                self.log.info(
                    tr("項目 {} は別の実行が処理中です", "item {} is held by another run"), item.key
                )
                return
        attempt = 0
        if work.recheck:
            attempt += 1
            if await self._settle_by_verify(attempts, slot, work, attempt, None):
                return
        while True:
            attempt += 1
            if self.stop.requested:
                await self._release(work)
                return
            try:
                outputs = await attempts.run(slot, work, attempt, "item")
                skipped = bool(slot.skipped_submits and self.opt.dry_run)
                await self._finish(work, attempt, ItemStatus.DONE, outputs=outputs, skipped=skipped)
                return
            except RobotDefect as exc:
                self.stop.for_defect(exc)
                entry = self._entry(work, attempt, AttemptStatus.ROBOT_DEFECT, exc)
                await self.journal.attempt(entry)
                await self._release(work)
                self.log.error(
                    tr(
                        "項目 {}: ロボット定義の誤りのため実行を止めます: {}",
                        "item {}: robot defect, the run stops: {}",
                    ),
                    item.key,
                    self.journal.text(entry),  # as stored: URLs redacted, personal keys replaced
                )
                return
            except BusinessError as exc:
                await self._finish(work, attempt, ItemStatus.BUSINESS_ERROR, exc=exc)
                return
            except ItemSystemError as exc:
                submitted = exc.evidence is not None and exc.evidence.submitted
                self.log.warning(tr("項目 {} 試行 {}: {}", "item {} attempt {}: {}"), item.key, attempt, exc)
                if submitted and not self.opt.dry_run:
                    await self.journal.attempt(self._entry(work, attempt, ItemStatus.SYSTEM_ERROR, exc))
                    attempt += 1
                    if await self._settle_by_verify(attempts, slot, work, attempt, exc):
                        return
                if attempt > self.robot.retries:
                    await self._finish(work, attempt, ItemStatus.SYSTEM_ERROR, exc=exc)
                    return
                if not submitted:
                    await self.journal.attempt(self._entry(work, attempt, ItemStatus.SYSTEM_ERROR, exc))
                await asyncio.sleep(self.robot.retry_backoff_seconds * (2 ** (attempt - 1)))

    async def _settle_by_verify(
        self, attempts: Attempts, slot: Slot, work: Work, attempt: int, exc: ItemSystemError | None
    ) -> bool:
        """Ask ``verify:`` whether an interrupted entry (``exc``: failed after its submit step;
        None: abandoned by a dead runner) went through. True when that settles the item."""
        verified = await attempts.verify(slot, work, attempt)
        if verified.defect is not None:
            self.stop.for_defect(verified.defect)
        if verified.found:
            message = (
                None
                if exc
                else tr("前回の実行で登録済みを確認", "verified as entered by the interrupted run")
            )
            await self._finish(work, attempt, ItemStatus.DONE, outputs=verified.outputs, message=message)
            return True
        if verified.found is None:  # it may have gone through: the next run verifies before anything
            if exc is None:
                message = tr(
                    "中断された項目です。登録されたか確認できません。確認後 --reprocess してください",
                    "interrupted item: could not verify whether it was entered;"
                    " check it, then use --reprocess",
                )
            else:
                message = tr(
                    f"登録ボタンの後に失敗しました。登録されたか確認できません: {exc}",
                    f"failed after the submit step; could not verify whether it was entered: {exc}",
                )
            await self._finish(work, attempt, ItemStatus.ABANDONED, exc=exc, message=message)
            return True
        return False

    async def _release(self, work: Work) -> None:
        if work.item_id is not None:
            status = ItemStatus.ABANDONED if work.recheck or work.after_submit else ItemStatus.PENDING
            await self.journal.release(work.item_id, status)

    def _entry(self, work: Work, attempt: int, status: str, exc: ItemError) -> Entry:
        """A failed attempt that is not the item's last word (it is retried or verified)."""
        return Entry(work.item, work.item_id, attempt, status, exc, step=exc.step)

    async def _finish(
        self,
        work: Work,
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
        shown = ItemStatus.SKIPPED if skipped else status  # a dry run's item that skipped its submit
        step = step or (exc.step if exc else None)
        entry = Entry(work.item, work.item_id, attempt, shown, exc, message, step, outputs)
        text = await self.journal.finish(entry, final_status=status)
        key = work.item.key
        outcome = ItemOutcome(key, shown, text if status != ItemStatus.DONE else None, entry.step, attempt)
        self.summary.outcomes.append(outcome)
        if shown == ItemStatus.SKIPPED:  # as the summary counts it: the submit step was not run
            self.log.info(tr("項目 {} 省略 (ドライラン)", "item {} skipped (dry run)"), key)
        elif status == ItemStatus.DONE:
            self.log.info(tr("項目 {} 完了", "item {} done"), key)
        else:
            self.log.warning(tr("項目 {}: {} ({})", "item {}: {} ({})"), key, status, text)
        if self.progress:
            self.progress(outcome)


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
        if shared is not None:
            loaded = shared.loaded
        runner = Runner(
            settings, store, loaded, robot_row, version, opt, progress, shared.department if shared else None
        )
        return runner.run(started)
    finally:
        if own_store:
            store.dispose()
