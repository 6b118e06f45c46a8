"""What a run is asked to do (:class:`RunOptions`) and what it did (:class:`RunSummary`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dxrpa.errors import RobotDefect
from dxrpa.i18n import tr
from dxrpa.model.status import RunStatus


@dataclass(frozen=True)
class Counts:
    """A run's item counts as the store tallies them (the last attempt per key)."""

    done: int
    business_error: int
    system_error: int
    skipped: int


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

    def tally(self, counts: Counts, *, stopping: bool, defect: RobotDefect | None) -> None:
        """Take the store's item counts and settle the run's status.

        Stopped early (not cancelled, no defect) with items left undone is ``stopped``."""
        self.defect = defect
        self.items_done, self.items_skipped = counts.done, counts.skipped
        self.items_business_error, self.items_system_error = counts.business_error, counts.system_error
        handled = self.items_done + self.items_failed + self.items_skipped
        if defect is not None:
            self.status = RunStatus.FAILED
        elif self.status == RunStatus.CANCELLED:
            pass
        elif stopping and handled < self.items_total:
            self.status = RunStatus.STOPPED
        elif self.items_failed == 0:
            self.status = RunStatus.SUCCEEDED
        else:
            self.status = RunStatus.PARTIAL if self.items_done else RunStatus.FAILED

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


Progress = Callable[[ItemOutcome], None]
