"""The pure arithmetic: formula, fiscal year in Asia/Tokyo, 和暦 labels, parsing, FTE, estimate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dxrpa.ledger import (
    FISCAL_MONTHS,
    Baseline,
    annualize,
    compute_saving,
    fiscal_period,
    fiscal_year,
    fiscal_year_bounds_utc,
    fte,
    fy_label,
    fy_label_ja,
    month_label,
    parse_fiscal_year,
    parse_target_hours,
    wareki_date,
)


def test_formula_counts_run_minutes_only_when_an_item_succeeded() -> None:
    b = Baseline(minutes_per_item=6, minutes_per_run=10, rework_minutes_per_failed_item=15)
    s = compute_saving(b, succeeded=10, failed=1)
    assert (s.gross_minutes, s.human_minutes, s.saved_minutes) == (70, 15, 55)
    none_ok = compute_saving(b, succeeded=0, failed=2, recorded_human_minutes=4)
    assert (none_ok.gross_minutes, none_ok.human_minutes, none_ok.saved_minutes) == (0, 34, -34)
    with pytest.raises(ValueError):
        compute_saving(b, succeeded=-1, failed=0)


def test_fiscal_year_is_decided_in_japan_time() -> None:
    # 2026-03-31 23:30 JST → FY2025; 2026-04-01 00:30 JST (still 3/31 in UTC) → FY2026
    assert fiscal_year(datetime(2026, 3, 31, 14, 30, tzinfo=UTC)) == 2025
    assert fiscal_year(datetime(2026, 3, 31, 15, 30, tzinfo=UTC)) == 2026
    assert fiscal_year(datetime(2027, 1, 5, tzinfo=UTC)) == 2026
    start, end = fiscal_year_bounds_utc(2026)
    assert start == datetime(2026, 3, 31, 15, tzinfo=UTC)
    assert end == datetime(2027, 3, 31, 15, tzinfo=UTC)
    with pytest.raises(ValueError):
        fiscal_year(datetime(2026, 4, 1))


def test_reiwa_labels() -> None:
    assert fy_label_ja(2026) == "令和8年度"
    assert fy_label_ja(2019) == "令和元年度"
    assert fy_label_ja(2018) == "平成30年度"
    assert fy_label(2026, "ja") == "令和8年度 (FY2026)"
    assert fy_label(2026, "en") == "FY2026 (Reiwa 8)"
    assert wareki_date(date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki_date(date(2019, 4, 30)) == "平成31年4月30日"
    assert month_label(2026, 4, "ja") == "令和8年4月"
    assert month_label(2026, 1, "ja") == "令和9年1月"
    assert month_label(2026, 3, "en") == "Mar 2027"


def test_fiscal_month_order() -> None:
    assert FISCAL_MONTHS == (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
    assert [fiscal_period(m) for m in (4, 12, 1, 3)] == [1, 9, 10, 12]


def test_fte_and_estimate() -> None:
    assert fte(1800.0, 1800.0) == 1.0
    assert fte(900.0, 1800.0) == 0.5
    p = annualize(2026, 1000.0, date(2026, 9, 30))
    assert p is not None
    assert (p.elapsed_days, p.total_days) == (183, 365)
    assert p.projected_minutes == pytest.approx(1000.0 * 365 / 183)
    finished = annualize(2025, 500.0, date(2026, 12, 1))
    assert finished is not None and finished.projected_minutes == 500.0
    assert annualize(2027, 1.0, date(2026, 12, 1)) is None


@pytest.mark.parametrize(
    ("text", "fy"),
    [
        ("2026", 2026),
        ("FY2026", 2026),
        ("fy2026", 2026),
        ("2026年度", 2026),
        ("令和8年度", 2026),
        ("R8", 2026),
        ("令和元年度", 2019),
        ("平成30年度", 2018),
    ],
)
def test_parse_fiscal_year(text: str, fy: int) -> None:
    assert parse_fiscal_year(text) == fy


@pytest.mark.parametrize("text", ["abc", "26", "1800", "令和", "2026-04"])
def test_parse_fiscal_year_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fiscal_year(text)


def test_parse_target_hours() -> None:
    assert parse_target_hours("1200h") == 1200
    assert parse_target_hours("1,200時間") == 1200
    assert parse_target_hours("1200") == 1200
    assert parse_target_hours("72000m") == 1200
    assert parse_target_hours("90分") == 1.5
    for bad in ("12x0h", "h", "-5h", "1200 days"):
        with pytest.raises(ValueError):
            parse_target_hours(bad)
