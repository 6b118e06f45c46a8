"""Run and item statuses as staff read them (Japanese first, English available)."""

from __future__ import annotations

from enum import StrEnum

from dxrpa.i18n import tr


class RunStatus(StrEnum):
    """``runs.status``: one run of a robot."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"
    CRASHED = "crashed"


class ItemStatus(StrEnum):
    """``work_items.status`` and an item's outcome in a run."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BUSINESS_ERROR = "business_error"
    SYSTEM_ERROR = "system_error"
    SKIPPED = "skipped"
    ABANDONED = "abandoned"


CLAIMABLE = (ItemStatus.PENDING, ItemStatus.SYSTEM_ERROR)  # work items a run may take


class AttemptStatus(StrEnum):
    """``item_attempts.status``: one try at one item (an item status, or a defect in the robot)."""

    DONE = "done"
    BUSINESS_ERROR = "business_error"
    SYSTEM_ERROR = "system_error"
    SKIPPED = "skipped"
    ABANDONED = "abandoned"
    PENDING = "pending"
    ROBOT_DEFECT = "robot_defect"


STATUS_JA = {
    "done": "完了",
    "business_error": "業務エラー",
    "system_error": "システムエラー",
    "skipped": "スキップ",
    "abandoned": "中断(要確認)",
    "pending": "未処理",
    "in_progress": "処理中",
    "robot_defect": "ロボット定義の誤り",
    "succeeded": "成功",
    "partial": "一部失敗",
    "failed": "失敗",
    "running": "実行中",
    "crashed": "異常終了",
    "cancelled": "取消",
    "stopped": "停止",
    "queued": "待機",
    "starting": "開始待ち",
}


def status_text(status: str) -> str:
    return tr(STATUS_JA.get(status, status), status)


RUN_STATUSES = tuple(RunStatus)


def run_status_of(word: str) -> str | None:
    """The run status ``word`` names, in English (``failed``) or as staff read it (``失敗``)."""
    word = word.strip()
    if word in RUN_STATUSES:
        return word
    return next((s for s in RUN_STATUSES if STATUS_JA[s] == word), None)
