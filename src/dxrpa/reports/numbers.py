"""The one rounding rule of every report format (xlsx, HTML, CSV, text, console dashboard).

Figures are rounded half up (四捨五入, ``Decimal.ROUND_HALF_UP`` on the shortest decimal form of the
float, so 261.65 is 261.7 everywhere) to a fixed step: hours and minutes to 0.1, ratios to 0.1 %
(0.001), FTE to 0.01 人, yen to 1 円. The workbook stores the *rounded* value with a number format
showing exactly that many digits, so Excel and the HTML page show the same figure; a zero is
always +0.0 (never "−0.0"). Totals are rounded from the exact sums, not summed from rounded rows.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

HOURS_STEP = Decimal("0.1")
RATIO_STEP = Decimal("0.001")
FTE_STEP = Decimal("0.01")
YEN_STEP = Decimal("1")
WHOLE = Decimal("1")


def round_half_up(value: float | int | None, step: Decimal = HOURS_STEP) -> float | None:
    """``value`` rounded half up to ``step``; None stays None; −0.0 becomes 0.0."""
    if value is None:
        return None
    q = Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP)
    return float(q) + 0.0 if q else 0.0


def hours(value: float | None) -> float | None:
    """Hours (or minutes) to 0.1."""
    return round_half_up(value, HOURS_STEP)


def ratio(value: float | None) -> float | None:
    """A ratio to 0.001 (shown as 0.1 %)."""
    return round_half_up(value, RATIO_STEP)


def fte(value: float | None) -> float | None:
    return round_half_up(value, FTE_STEP)


def yen(value: float | None) -> float | None:
    return round_half_up(value, YEN_STEP)


# ---------------------------------------------------------------- text (HTML, text, dashboard)


def fmt_hours(value: float | None, dash: str = "-") -> str:
    r = hours(value)
    return dash if r is None else f"{r:,.1f}"


def fmt_pct(value: float | None, dash: str = "-") -> str:
    r = ratio(value)
    return dash if r is None else f"{round_half_up(r * 100, HOURS_STEP):,.1f}%"


def fmt_fte(value: float | None, dash: str = "-") -> str:
    r = fte(value)
    return dash if r is None else f"{r:,.2f}"


def fmt_yen(value: float | None, dash: str = "-") -> str:
    r = yen(value)
    return dash if r is None else f"{r:,.0f}"


def fmt_whole(value: float | None, dash: str = "-") -> str:
    """Hours to the whole hour (the 「年間約 N 時間」 sentence)."""
    r = round_half_up(value, WHOLE)
    return dash if r is None else f"{r:,.0f}"


def fmt_count(value: int | None, dash: str = "-") -> str:
    return dash if value is None else f"{value:,}"
