"""Shared wording of every report format (Japanese by default, English with ``--lang en``)."""

from __future__ import annotations

from dxrpa.i18n import tr
from dxrpa.ledger import fy_label


def title(fy: int) -> str:
    return tr(f"業務削減時間レポート {fy_label(fy)}", f"Hours-saved report {fy_label(fy)}")


def formula_lines() -> list[str]:
    """The ledger formula in words, printed on the summary sheet."""
    return [
        tr(
            "削減時間 = 成功件数 × 1件あたりの手作業時間 ＋ 1回あたりの手作業時間（1件以上成功した実行のみ）"
            " − 人手時間",
            "Saved time = items succeeded × manual minutes per item + manual minutes per run (only if at"
            " least one item succeeded) − staff time",
        ),
        tr(
            "人手時間 = 失敗件数（業務エラー＋システムエラー）× 1件あたりの手直し時間 ＋ 記録された作業時間"
            "（OCR確認など）",
            "Staff time = failed items (business + system errors) × rework minutes per failed item + recorded"
            " minutes (e.g. OCR review)",
        ),
        tr(
            "基準時間はその実行時のロボットの版から台帳に写して保存（後から編集しても過去は変わりません）。"
            "ロボットの稼働時間は差し引きません（無人実行）。",
            "Baselines are copied into the ledger from the robot version that ran, so later edits never"
            " rewrite history. Robot runtime is not subtracted (unattended).",
        ),
        tr(
            "年度は4月〜3月（日本時間）。実行の終了日で年度・月を判定します（3/31に始まり4/1に終わった実行は新年度）。"
            "ドライランとテスト実行は数えません。",
            "Fiscal year April–March (Japan time), decided by the date a run finished (a run from 3/31 to"
            " 4/1 counts in the new year). Dry runs and test runs never count.",
        ),
    ]


def estimate_note() -> str:
    return tr(
        "推計値です（実績ではありません）。経過日数の実績を1年分に比例換算しています。",
        "Estimate, not a measured figure: the measured value scaled linearly from the elapsed days"
        " to a full year.",
    )


def month_headers() -> list[str]:
    return [
        tr("月", "Month"),
        tr("実行回数", "Runs"),
        tr("成功件数", "Items succeeded"),
        tr("失敗件数", "Items failed"),
        tr("削減時間（時間）", "Hours saved"),
        tr("人手時間（時間）", "Staff hours"),
        tr("累計（時間）", "Cumulative hours"),
        tr("目標ペース（時間）", "Target pace (hours)"),
        tr("目標設定課の累計（時間）", "Cumulative, departments with a target"),
        tr("前年同月（時間）", "Same month last year (hours)"),
        tr("前年同月比", "vs same month last year"),
        tr("人件費換算（円）", "Labour cost saved (yen)"),
    ]


def department_headers() -> list[str]:
    return [
        tr("課", "Department"),
        tr("ロボット数", "Robots"),
        tr("実行回数", "Runs"),
        tr("処理件数", "Items"),
        tr("成功率", "Success rate"),
        tr("削減時間（時間）", "Hours saved"),
        tr("人手時間（時間）", "Staff hours"),
        tr("目標（時間）", "Target (hours)"),
        tr("達成率", "Achieved"),
        tr("前年度（時間）", "Last year (hours)"),
        tr("前年度比", "vs last year"),
        tr("常勤換算（人）", "FTE"),
        tr("人件費換算（円）", "Labour cost saved (yen)"),
        tr("局・区", "Bureau / ward"),
        tr("部", "Division"),
    ]


def robot_headers() -> list[str]:
    return [
        tr("ロボット", "Robot"),
        tr("業務名", "Task"),
        tr("課", "Department"),
        tr("実行回数", "Runs"),
        tr("処理件数", "Items"),
        tr("成功件数", "Succeeded"),
        tr("失敗件数", "Failed"),
        tr("失敗率", "Failure rate"),
        tr("削減時間（時間）", "Hours saved"),
        tr("人手時間（時間）", "Staff hours"),
        tr("判定", "Flag"),
    ]


def detail_headers() -> list[str]:
    return [
        tr("終了日時", "Finished at"),
        tr("終了日（和暦）", "Finished on"),
        tr("実行ID", "Run id"),
        tr("課", "Department"),
        tr("ロボット", "Robot"),
        tr("業務名", "Task"),
        tr("版", "Version"),
        tr("成功件数", "Succeeded"),
        tr("業務エラー", "Business errors"),
        tr("システムエラー", "System errors"),
        tr("基準: 分/件", "Baseline min/item"),
        tr("基準: 分/回", "Baseline min/run"),
        tr("手直し: 分/失敗件", "Rework min/failed item"),
        tr("総削減（分）", "Gross minutes"),
        tr("人手時間（分）", "Staff minutes"),
        tr("削減時間（分）", "Minutes saved"),
    ]


def human_headers() -> list[str]:
    return [
        tr("日時", "At"),
        tr("課", "Department"),
        tr("ロボット", "Robot"),
        tr("理由", "Reason"),
        tr("参照", "Source"),
        tr("人手時間（分）", "Staff minutes"),
    ]


_REASONS = {
    "ocr_review": ("OCR読取結果の確認", "OCR review"),
    "rework": ("失敗分の手直し", "rework"),
    "manual": ("手作業", "manual work"),
}


def reason_label(code: object) -> str:
    """A staff-minutes reason as a reader knows it (never the internal code)."""
    ja, en = _REASONS.get(str(code or ""), ("その他の人手作業", "other staff work"))
    return tr(ja, en)


def source_label(ref: object) -> str:
    """The source of staff minutes: an OCR review is named as such, not by its internal key."""
    text = str(ref or "")
    if text.startswith("ocr_review:"):
        return tr(f"OCR確認 No.{text.split(':', 1)[1]}", f"OCR review no. {text.split(':', 1)[1]}")
    return text


def money_lines(hours_per_fte: float) -> list[str]:
    """How yen and FTE are derived, printed with the formula."""
    return [
        tr(
            "人件費換算（円）= 各月の削減時間 × その月の1日に有効な人件費単価"
            "（課の単価、なければ全庁の単価）。単価は適用開始日つきで設定し、過去の月は当時の単価のまま計算します。",
            "Labour cost saved (yen) = hours saved each month × the hourly rate in effect on the first of"
            " that month (the department's rate, else the city-wide rate); rates carry an effective date,"
            " so past months keep their rate.",
        ),
        tr(
            f"常勤換算（人）= 削減時間 ÷ 1人あたり年間 {hours_per_fte:,.0f} 時間。",
            f"FTE = hours saved ÷ {hours_per_fte:,.0f} hours per full-time employee a year.",
        ),
        tr(
            "目標達成率 = 目標を設定した課の削減時間の合計 ÷ その課の目標の合計"
            "（目標のない課は含めません）。",
            "Target achieved = hours saved by departments with a target ÷ the sum of their targets"
            " (departments without a target are left out).",
        ),
        tr(
            "端数は四捨五入（時間は0.1時間、率は0.1%、円は1円単位）。合計は四捨五入前の値から計算します。",
            "Figures are rounded half up (0.1 h, 0.1 %, 1 yen); totals are computed before rounding.",
        ),
    ]


def no_robot() -> str:
    return tr("（ロボット指定なし）", "(no robot)")


def truncated_note(shown: int, total: int) -> str:
    return tr(
        f"明細は {total:,} 件中 {shown:,} 件を表示しています。全件は --format csv で出力してください。",
        f"Showing {shown:,} of {total:,} entries; export every entry with --format csv.",
    )


def org_headers() -> list[str]:
    return [
        tr("組織", "Unit"),
        tr("削減時間（時間）", "Hours saved"),
        tr("目標（時間）", "Target (hours)"),
        tr("達成率", "Achieved"),
        tr("目標設定", "Targets set"),
        tr("前年度（時間）", "Last year (hours)"),
        tr("前年度比", "vs last year"),
        tr("人件費換算（円）", "Labour cost saved (yen)"),
    ]


def shared_headers() -> list[str]:
    """Columns of the shared robots' per-区 table (report text, xlsx, HTML, dashboard)."""
    return [
        tr("ロボット", "Robot"),
        tr("業務名", "Task"),
        tr("共有", "Shared by"),
        tr("区", "Unit"),
        tr("課", "Department"),
        tr("実行回数", "Runs"),
        tr("成功件数", "Succeeded"),
        tr("削減時間（時間）", "Hours saved"),
    ]
