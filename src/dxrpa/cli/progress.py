"""The CLI progress bar of ``dxrpa run``: items done of the known total, percentage and ETA.

The total is known once the run planned its items (the data is loaded then; with ``--limit`` the
plan holds at most the limit), so the bar starts as ``0/?`` only while the data is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dxrpa.i18n import tr

if TYPE_CHECKING:
    from dxrpa.engine.runner import ItemOutcome


@contextmanager
def run_bar(
    console: Console, name: str
) -> Iterator[tuple[Callable[[int], None], Callable[[ItemOutcome], None]]]:
    """``(on_total, on_item)`` for :class:`dxrpa.engine.runner.RunOptions` and ``run_robot``."""
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn(tr("残り", "ETA")),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(name, total=None)

        def on_total(total: int) -> None:
            bar.update(task, total=total)

        def on_item(outcome: ItemOutcome) -> None:
            bar.advance(task)
            bar.update(task, description=f"{name} {outcome.key}")

        yield on_total, on_item
