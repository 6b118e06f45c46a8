"""人件費単価 (yen per hour) by effective date, city-wide or per 課.

Rates come from ``[[ledger.labor_rates]]`` in configs/dxrpa.toml, each with ``from`` (the first day
it applies), ``yen_per_hour`` and optionally ``department``. Hours saved in a month are valued at
the rate in effect on the first day of that month: the 課's own rate if it has one, else the
city-wide rate. A new rate is added with a later ``from`` date, so a past month keeps the rate it
had (changing the rate never rewrites history; edit an old line only to correct a mistake).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dxrpa.config import LaborRate
from dxrpa.errors import ConfigError
from dxrpa.i18n import tr


class RateTable:
    def __init__(self, rates: Sequence[LaborRate] = (), source: str = "configs/dxrpa.toml") -> None:
        seen: set[tuple[str | None, date]] = set()
        for i, r in enumerate(rates):
            if r.yen_per_hour <= 0:  # the model refuses it too; kept for rates built in code
                raise ConfigError(
                    tr(
                        f"{source}: ledger.labor_rates[{i}].yen_per_hour は正の数にしてください"
                        f"（{r.yen_per_hour}）",
                        f"{source}: ledger.labor_rates[{i}].yen_per_hour must be positive ({r.yen_per_hour})",
                    ),
                    hint=tr("例: yen_per_hour = 3000", "e.g. yen_per_hour = 3000"),
                )
            key = (r.department, r.effective_from)
            if key in seen:
                raise ConfigError(
                    tr(
                        f"{source}: ledger.labor_rates[{i}]: {r.department or '全庁'} の"
                        f" {r.effective_from} からの単価が2つあります",
                        f"{source}: ledger.labor_rates[{i}]: two rates for"
                        f" {r.department or 'the city'} from {r.effective_from}",
                    ),
                    hint=tr("どちらか一方を消してください", "remove one of them"),
                )
            seen.add(key)
        self._rates = sorted(rates, key=lambda r: r.effective_from)

    def __bool__(self) -> bool:
        return bool(self._rates)

    def rate(self, department: str, on: date) -> float | None:
        """Yen per hour for ``department`` on ``on`` (its own rate first, then the city's)."""
        own = [r for r in self._rates if r.department == department and r.effective_from <= on]
        if own:
            return own[-1].yen_per_hour
        city = [r for r in self._rates if r.department is None and r.effective_from <= on]
        return city[-1].yen_per_hour if city else None
