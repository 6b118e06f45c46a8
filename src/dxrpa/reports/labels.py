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
        tr("内容ハッシュ", "Content hash"),
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


def no_robot() -> str:
    return tr("（ロボット指定なし）", "(no robot)")


def truncated_note(shown: int, total: int) -> str:
    return tr(
        f"明細は {total:,} 件中 {shown:,} 件を表示しています。全件は --format csv で出力してください。",
        f"Showing {shown:,} of {total:,} entries; export every entry with --format csv.",
    )
