"""The one-page summary for the DX推進会議, shared by the workbook and the HTML page.

It leads with the city's sentence (「年間約 N 時間に相当する業務を自動化」), then the key figures
(each a value with its kind, so every format rounds it by the same rule), the top 課 and robots,
OCR's share, the trend against target and the formula in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dxrpa.i18n import tr
from dxrpa.ledger import date_label, fy_label, fy_label_ja
from dxrpa.reports import labels
from dxrpa.reports.data import (
    ReportData,
    department_label,
    in_progress,
    last_pace,
    same_period_last_year,
)
from dxrpa.reports.numbers import fmt_fte, fmt_hours, fmt_pct, fmt_whole, fmt_yen


@dataclass(frozen=True)
class Figure:
    label: str
    value: Any
    kind: str  # h (hours) | % | yen | fte | n (count) | s (text)
    note: str = ""


def title(d: ReportData) -> str:
    return tr(f"DX推進会議 報告資料 {fy_label(d.fy)}", f"DX steering meeting — {fy_label(d.fy)}")


def headline(d: ReportData) -> str:
    """「令和8年度は、RPA・AI-OCRにより年間約 N 時間に相当する業務を自動化しました（…）。」"""
    extras = [tr(f"常勤換算 約 {fmt_fte(d.fte)} 人", f"about {fmt_fte(d.fte)} FTE")]
    if d.yen is not None:
        extras.append(tr(f"人件費換算 約 {fmt_yen(d.yen)} 円", f"about {fmt_yen(d.yen)} yen of staff cost"))
    ex_ja, ex_en = "、".join(extras), ", ".join(extras)
    n = fmt_whole(d.saved_hours)
    scope = "" if d.department is None else f"{d.department} "
    if in_progress(d) and d.last_closed is not None:
        until = date_label(d.last_closed)
        return tr(
            f"{scope}{fy_label_ja(d.fy)}は{until}までに、RPA・AI-OCRにより約 {n} 時間に相当する業務を"
            f"自動化しました（{ex_ja}、年度途中の実績）。",
            f"{scope}FY{d.fy} up to {until}: RPA and AI-OCR automated work equal to about {n}"
            f" hours ({ex_en}; year to date).",
        )
    return tr(
        f"{scope}{fy_label_ja(d.fy)}は、RPA・AI-OCRにより年間約 {n} 時間に相当する業務を"
        f"自動化しました（{ex_ja}）。",
        f"{scope}FY{d.fy}: RPA and AI-OCR automated work equal to about {n} hours a year ({ex_en}).",
    )


def trend_sentence(d: ReportData) -> str:
    """Where the targeted 課 stand against their pace at the last closed day."""
    m = last_pace(d)
    if d.target_hours is None or m is None or m.target_cumulative_hours is None:
        return tr("目標が設定されていないため、目標との比較はありません。", "No target is set.")
    done = (m.targeted_cumulative_minutes or 0.0) / 60
    pace = m.target_cumulative_hours
    until = date_label(d.last_closed) if d.last_closed else ""
    gap = done - pace
    if gap >= 0:
        verdict = tr(f"目標ペースを {fmt_hours(gap)} 時間上回っています", f"{fmt_hours(gap)} h ahead of pace")
    else:
        verdict = tr(f"目標ペースに {fmt_hours(-gap)} 時間届いていません", f"{fmt_hours(-gap)} h behind pace")
    return tr(
        f"{until}時点で、目標を設定した課（{d.coverage_label}）の累計は {fmt_hours(done)} 時間、"
        f"目標ペースは {fmt_hours(pace)} 時間で、{verdict}。",
        f"As of {until}, departments with a target ({d.coverage_label}) saved {fmt_hours(done)} h"
        f" against a pace of {fmt_hours(pace)} h: {verdict}.",
    )


def key_figures(d: ReportData) -> list[Figure]:
    out = [
        Figure(tr("削減時間（時間）", "Hours saved"), d.saved_hours, "h"),
        Figure(
            tr("常勤換算（人）", "FTE"),
            d.fte,
            "fte",
            tr(f"1人あたり年間 {d.hours_per_fte:,.0f} 時間", f"{d.hours_per_fte:,.0f} h per FTE-year"),
        ),
        Figure(
            tr("人件費換算（円）", "Labour cost saved (yen)"),
            d.yen,
            "yen",
            tr("人件費単価が未設定です（configs/dxrpa.toml の ledger.labor_rates）", "no hourly rate set")
            if d.yen is None
            else (
                tr(f"単価未設定の課: {'、'.join(department_label(x) for x in d.unpriced)}", "")
                if d.unpriced
                else ""
            ),
        ),
        Figure(
            tr("目標達成率", "Target achieved"),
            d.achievement,
            "%",
            d.coverage_label
            + (
                tr(
                    f"（目標のある課の削減 {fmt_hours(d.targeted_saved_minutes / 60)} 時間 ÷ 目標"
                    f" {fmt_hours(d.target_hours)} 時間）",
                    f" ({fmt_hours(d.targeted_saved_minutes / 60)} h of {fmt_hours(d.target_hours)} h)",
                )
                if d.target_hours
                else ""
            ),
        ),
        Figure(tr("前年度 削減時間（時間）", "Last year, hours saved"), d.prev_totals.saved_hours, "h"),
        Figure(
            tr("前年度比", "vs last year"), d.prev_ratio, "%", tr("前年度通年との比", "vs the full last year")
        ),
    ]
    if in_progress(d):
        same = same_period_last_year(d)
        out.append(
            Figure(
                tr("前年同期比", "vs same period last year"),
                d.totals.saved_minutes / same if same > 0 else None,
                "%",
                tr(
                    f"前年度の同じ月まで（{fmt_hours(same / 60)} 時間）との比",
                    f"vs last year's same months ({fmt_hours(same / 60)} h)",
                ),
            )
        )
    if d.ocr is not None and d.ocr.forms:
        o = d.ocr
        out += [
            Figure(tr("OCR 読取帳票数", "OCR forms read"), o.forms, "n"),
            Figure(
                tr("OCR 自動確定項目数", "OCR fields accepted as read"),
                o.fields_auto,
                "n",
                tr(
                    f"全 {o.fields:,} 項目の {fmt_pct(o.auto_rate)}",
                    f"{fmt_pct(o.auto_rate)} of {o.fields:,} fields",
                ),
            ),
            Figure(
                tr("OCR 確認作業（時間）", "OCR review (hours)"),
                o.review_minutes / 60,
                "h",
                tr("削減時間から差し引き済み", "already subtracted from hours saved"),
            ),
        ]
    return out


def formula_lines(d: ReportData) -> list[str]:
    return [*labels.formula_lines(), *labels.money_lines(d.hours_per_fte)]


def as_text(f: Figure) -> str:
    """A figure's value as text, by the shared rounding rule."""
    if f.kind == "h":
        return fmt_hours(f.value)
    if f.kind == "%":
        return fmt_pct(f.value)
    if f.kind == "yen":
        return fmt_yen(f.value)
    if f.kind == "fte":
        return fmt_fte(f.value)
    if f.kind == "n":
        return "-" if f.value is None else f"{f.value:,}"
    return "" if f.value is None else str(f.value)
