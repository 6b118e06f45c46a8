"""The results workbook a robot may declare (``results: {excel: results/x.xlsx}``): one row per item
of the run with its status, attempts, error and declared outputs. The path lies inside the robot's
``folders:`` (checked before the first item); the file is written atomically with mode 0600."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from dxrpa.engine.paths import Folders
from dxrpa.engine.pii import shown_output
from dxrpa.fileio import as_text, atomic_path
from dxrpa.i18n import tr
from dxrpa.model.robot import Robot
from dxrpa.store import runs_repo
from dxrpa.store.base import Store

FILL = {"business_error": "FFF2CC", "system_error": "F8CBAD", "abandoned": "F8CBAD"}


def results_path(robot: Robot, folders: Folders) -> Path | None:
    """Where ``results:`` goes, resolved inside the robot's folders (DefinitionError otherwise)."""
    if robot.results is None:
        return None
    return folders.resolve(robot.results.excel, "results: excel")


def write_results(store: Store, run_id: str, robot: Robot, path: Path) -> Path:

    with store.session() as s:
        attempts = runs_repo.attempts_of(s, run_id)
    last = {a.key: a for a in attempts}  # ordered by seq, id: the last attempt wins
    outputs = robot.output_names
    wb = Workbook()
    ws = wb.active
    ws.title = tr("結果", "results")
    header = [  # model.robot.RESULT_COLUMNS keeps outputs from repeating these
        tr("キー", "key"),
        tr("結果", "status"),
        tr("試行", "attempts"),
        tr("エラー", "error"),
        tr("ステップ", "step"),
        *outputs,
    ]
    ws.append(header)
    for cell in ws[1]:
        as_text(cell)
        cell.font = Font(bold=True)
    for key, a in last.items():
        ws.append(
            [
                key,
                a.status,
                a.attempt,
                a.error_message or "",
                a.error_step or "",
                *[shown_output(a.outputs.get(o)) if a.outputs else "" for o in outputs],
            ]
        )
        for cell in ws[ws.max_row]:
            as_text(cell)  # a key or output such as '=HYPERLINK(…)' stays text
            if a.status in FILL:
                cell.fill = PatternFill("solid", fgColor=FILL[a.status])
    ws.freeze_panes = "A2"
    with atomic_path(path) as tmp:  # 0600
        wb.save(tmp)
    return path
