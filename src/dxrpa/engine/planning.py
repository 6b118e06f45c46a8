"""Before the first item: resolve secrets, read the robot's data, check its columns, and plan the
run (create work items, recover abandoned ones, pick what this run takes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from dxrpa.config import Settings
from dxrpa.engine.approval import dry_run_steps
from dxrpa.engine.assets import run_environ
from dxrpa.engine.attempt import RunContext, Work
from dxrpa.engine.data import DataBatch, build_batch, column_list, load_tabular
from dxrpa.engine.definitions import LoadedRobot, item_columns, uses_action
from dxrpa.engine.journal import Journal
from dxrpa.engine.outcome import RunOptions
from dxrpa.engine.paths import Folders, local_assets
from dxrpa.engine.pii import PiiVault, protect_keys, stored_key
from dxrpa.engine.results import results_path
from dxrpa.engine.secrets import allowed_env, resolve_secrets
from dxrpa.engine.units import scope_keys
from dxrpa.errors import DataError, UsageError
from dxrpa.i18n import tr
from dxrpa.log import logger
from dxrpa.model.status import CLAIMABLE, ItemStatus
from dxrpa.store.base import Store

CHUNK = 500  # work items created per unit of work; a streamed source is read chunk by chunk


@dataclass
class Plan:
    work: list[Work]
    not_taken: dict[str, int]  # batch items this run leaves alone, by work-item status (or "limit")


@dataclass
class Source:
    """The run's data and where its files live."""

    batch: DataBatch
    folders: Folders
    results: Path | None  # the robot's results workbook, when it declares one
    assets: dict[str, Path] = field(default_factory=dict)  # browser.assets: URL pattern → local copy
    ocr_items: Any = None  # OcrItems of an ocr: data source, finished after the run
    plan: Plan = field(default_factory=lambda: Plan([], {}))  # what this run takes (prepare())


def load_source(
    settings: Settings,
    store: Store,
    loaded: LoadedRobot,
    *,
    run_id: str,
    data: Path | None,
    lazy: bool,
) -> Source:
    """Resolve the robot's folders and read its data (``data`` overrides the declared file)."""
    robot = loaded.robot
    spec = robot.data
    folders = Folders.of(settings, robot.folders, source=loaded.path)
    results = results_path(robot, folders)  # refused before any item
    assets = local_assets(robot.browser.assets, folders, loaded.path)
    if spec.ocr is not None and data is None:
        from dxrpa.engine.ocr_source import load_ocr_items

        ocr = load_ocr_items(store, settings, spec.ocr, robot.name, folders=folders)
        columns = sorted({c for row in ocr.rows for c in row})
        rows = [(i + 1, dict(row)) for i, row in enumerate(ocr.rows)]
        batch = build_batch(f"ocr:{spec.ocr.template}", columns, rows, spec)
        return Source(batch, folders, results, assets, ocr)
    batch = load_tabular(spec, folders=folders, override=data, lazy=lazy)
    if batch.source == "none":  # a robot without data does its job once per run
        batch.items[0].key = f"run:{run_id}"
    return Source(batch, folders, results, assets)


def check_columns(loaded: LoadedRobot, batch: DataBatch) -> None:
    """Every column the robot's templates use must be in the data."""
    if not next(batch.chunks(1), None) or batch.source == "none":
        return
    missing = sorted(item_columns(loaded.robot) - set(batch.columns))
    if missing:
        raise DataError(
            tr(
                f"{loaded.path}: ロボットが使う列 {', '.join(missing)} が {batch.source} にありません",
                f"{loaded.path}: column(s) {', '.join(missing)} used by the robot are not in {batch.source}",
            ),
            hint=tr("列名: ", "columns: ") + column_list(batch.columns),
        )


def plan_dry_run(batch: DataBatch, limit: int | None) -> Plan:
    """A dry run takes the first ``limit`` items and never touches work items."""
    chosen = next(batch.chunks(limit), []) if limit else [i for c in batch.chunks(CHUNK) for i in c]
    short = batch.rest is None and len(chosen) < len(batch.items)
    return Plan([Work(i, None) for i in chosen], {"limit": len(batch.items) - len(chosen)} if short else {})


def plan_run(
    journal: Journal,
    loaded: LoadedRobot,
    batch: DataBatch,
    pii: PiiVault,
    *,
    host: str,
    limit: int | None,
    resume: bool,
    reprocess: tuple[str, ...],
) -> Plan:
    """Create work items, recover abandoned ones, pick what this run does."""
    robot, log = loaded.robot, logger.bind(run_id=journal.run_id)
    stale = timedelta(seconds=robot.limits.heartbeat_timeout_seconds)
    for key in journal.recover(stale, host):
        log.warning(
            tr(
                "前回中断した項目 {} を「中断(abandoned)」にしました",
                "item {} was left in progress: marked abandoned",
            ),
            key,
        )
    if reprocess:
        wanted = [stored_key(k, robot.data, pii) for k in reprocess]
        found = journal.reprocess(wanted)
        unknown = set(wanted) - set(found) - {i.key for i in batch.items}
        if unknown:
            raise UsageError(
                tr(
                    f"再処理するキーが見つかりません: {', '.join(sorted(unknown))}",
                    f"keys to reprocess not found: {', '.join(sorted(unknown))}",
                )
            )
    work: list[Work] = []
    not_taken: Counter[str] = Counter()
    for chunk in batch.chunks(limit or CHUNK):
        if limit and len(work) >= limit:
            not_taken["limit"] += len(chunk)
            continue
        rows = journal.ensure_items([i.key for i in chunk])
        for item in chunk:
            if limit and len(work) >= limit:
                not_taken["limit"] += 1
                continue
            wi = rows[item.key]
            if wi.status in CLAIMABLE:
                work.append(Work(item, wi.id))
            elif wi.status == ItemStatus.ABANDONED and resume:
                work.append(Work(item, wi.id, recheck=True))
            else:  # after recover(), "in_progress" means held by another live runner
                not_taken[wi.status] += 1
        if limit and len(work) >= limit and batch.rest is not None:
            break  # a streamed source: the rows after the limit are not read at all
    return Plan(work, dict(not_taken))


def prepare(
    settings: Settings,
    journal: Journal,
    loaded: LoadedRobot,
    opt: RunOptions,
    pii: PiiVault,
    *,
    host: str,
    folder: Path,
) -> tuple[Source, RunContext]:
    """Secrets, data, work items and what every attempt shares: everything that can be refused
    before the first item."""
    robot = loaded.robot
    secrets = dict(resolve_secrets(robot.name, robot.secrets, var_dir=settings.var_dir, unit=opt.unit))
    lazy = bool(opt.limit) and not opt.reprocess  # --limit: stream, read what is needed
    run_id = journal.run_id
    source = load_source(settings, journal.store, loaded, run_id=run_id, data=opt.data, lazy=lazy)
    batch = source.batch
    journal.keys = protect_keys(batch, robot.data, pii)
    scope_keys(batch, opt.unit, journal.keys)  # a shared run's keys: 北区/KEY
    check_columns(loaded, batch)
    with journal.planning():
        if opt.dry_run:
            source.plan = plan_dry_run(batch, opt.limit)
        else:
            source.plan = plan_run(
                journal,
                loaded,
                batch,
                pii,
                host=host,
                limit=opt.limit,
                resume=opt.resume,
                reprocess=opt.reprocess,
            )
        journal.set_total(len(source.plan.work))  # progress shown by the console needs the total early
    ocr_reader = None
    if uses_action(robot, "ocr"):  # OCR models load on the first ocr: step only
        from dxrpa.engine.ocr_source import make_ocr_reader

        ocr_reader = make_ocr_reader(settings)
    ctx = RunContext(
        settings=settings,
        loaded=loaded,
        run_id=run_id,
        folder=folder,
        folders=source.folders,
        # only the declared env: names (an allow-list); assets of settings.environment first
        env=allowed_env(robot.env, run_environ(journal.store, settings.environment)),
        secrets=secrets,
        pii=pii,
        item_steps=dry_run_steps(robot.item) if opt.dry_run else robot.item,
        dry_run=opt.dry_run,
        unit=opt.unit,
        headed=opt.headed,
        assets=source.assets,
        ocr_reader=ocr_reader,
    )
    return source, ctx
