"""The results workbook a robot may declare (``results: {excel: out/x.xlsx}``): one row per item
of the run with its status, attempts, error and declared outputs. Written atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from dxrpa.engine.pii import shown_output
from dxrpa.i18n import tr
from dxrpa.store import runs_repo
from dxrpa.store.base import Store

if TYPE_CHECKING:
    from dxrpa.engine.runner import Runner

FILL = {"business_error": "FFF2CC", "system_error": "F8CBAD", "abandoned": "F8CBAD"}


def write_results(store: Store, runner: Runner, path: Path) -> Path:
    with store.session() as s:
        attempts = runs_repo.attempts_of(s, runner.run_id)
    last = {a.key: a for a in attempts}  # ordered by seq, id: the last attempt wins
    outputs = runner.robot.output_names
    wb = Workbook()
    ws = wb.active
    ws.title = tr("結果", "results")
    header = [
        tr("キー", "key"),
        tr("結果", "status"),
        tr("試行", "attempts"),
        tr("エラー", "error"),
        tr("ステップ", "step"),
        *outputs,
    ]
    ws.append(header)
    for cell in ws[1]:
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
        if a.status in FILL:
            for cell in ws[ws.max_row]:
                cell.fill = PatternFill("solid", fgColor=FILL[a.status])
    ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    os.replace(tmp, path)
    return path
