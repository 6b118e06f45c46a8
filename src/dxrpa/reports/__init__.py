"""Manager reports of the hours-saved ledger: .xlsx (openpyxl), self-contained HTML, CSV and text.

The public names load their modules on first use, so a command that only formats hours
(``dxrpa run`` uses :mod:`dxrpa.reports.numbers`) does not pay for openpyxl and the aggregation.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dxrpa.reports.data import ReportData, build_report
    from dxrpa.reports.export import FORMATS, export_report

__all__ = ["FORMATS", "ReportData", "build_report", "export_report"]

_HOME = {"ReportData": "data", "build_report": "data", "FORMATS": "export", "export_report": "export"}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
