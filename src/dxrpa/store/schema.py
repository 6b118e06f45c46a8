"""Imports every table module so ``Base.metadata`` is complete (migrations, create_all)."""

from dxrpa.store import console_tables, ledger_tables, notify_tables, ocr_tables, schedule_tables, tables
from dxrpa.store.base import Base

metadata = Base.metadata
__all__ = [
    "console_tables",
    "ledger_tables",
    "metadata",
    "notify_tables",
    "ocr_tables",
    "schedule_tables",
    "tables",
]
