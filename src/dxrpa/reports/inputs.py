"""What a report needs from the settings besides the database: 人件費単価 and the org tree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dxrpa.config import Settings
from dxrpa.orgtree import OrgTree, load_org
from dxrpa.reports.rates import RateTable


@dataclass(frozen=True)
class ReportInputs:
    hours_per_fte: float
    rates: RateTable
    org: OrgTree | None
    tz: str

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``build_report`` / ``dashboard_report``."""
        return {"hours_per_fte": self.hours_per_fte, "rates": self.rates, "org": self.org, "tz": self.tz}


def report_inputs(settings: Settings) -> ReportInputs:
    """Read and check the rates and the organisation file (errors name the file and field)."""
    org_path = Path(settings.ledger.org_file)
    if not org_path.is_absolute():
        org_path = settings.home / org_path
    return ReportInputs(
        hours_per_fte=settings.ledger.hours_per_fte,
        rates=RateTable(settings.ledger.labor_rates),
        org=load_org(org_path),
        tz=settings.timezone,
    )
