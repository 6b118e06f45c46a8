"""The text of a notification (Japanese first, English via ``DXRPA_LANG=en``) and the JSON shape
each webhook service expects.

Built only from an event's facts: robot name, 課, counts, status words, run id and a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dxrpa.i18n import tr
from dxrpa.model.status import status_text

_TRIGGER = {
    "schedule": ("定時実行", "scheduled run"),
    "now": ("即時実行", "run on request"),
    "manual": ("手動実行", "manual run"),
}


@dataclass(frozen=True)
class Message:
    title: str
    lines: tuple[str, ...]
    link: str = ""

    @property
    def text(self) -> str:
        body = list(self.lines)
        if self.link:
            body.append(tr(f"コンソール: {self.link}", f"console: {self.link}"))
        return "\n".join(body)


def _trigger(facts: dict[str, Any]) -> str:
    ja, en = _TRIGGER.get(str(facts.get("trigger") or ""), ("実行", "run"))
    return tr(ja, en)


def _counts_line(c: dict[str, Any]) -> str:
    return tr(
        f"件数: 全 {c.get('total', 0)} 件 / 完了 {c.get('done', 0)} / 業務エラー {c.get('business_error', 0)}"
        f" / システムエラー {c.get('system_error', 0)} / スキップ {c.get('skipped', 0)}",
        f"items: {c.get('total', 0)} in all / done {c.get('done', 0)} / business errors "
        f"{c.get('business_error', 0)} / system errors {c.get('system_error', 0)}"
        f" / skipped {c.get('skipped', 0)}",
    )


def render(facts: dict[str, Any], link: str = "") -> Message:
    """The message of one event's facts."""
    kind = str(facts.get("event", ""))
    robot = str(facts.get("robot") or "")
    c: dict[str, Any] = facts.get("counts") or {}
    run_line = tr(f"実行 ID: {facts.get('run_id')}", f"run id: {facts.get('run_id')}")
    status_line = tr(f"結果: {status_text(str(facts.get('status', '')))}", f"status: {facts.get('status')}")
    dept = str(facts.get("department") or "")
    dept_line = tr(f"課: {dept}", f"department: {dept}") if dept else ""
    if kind == "run_failed":
        title = tr(
            f"【dxrpa】失敗: {robot} ({_trigger(facts)})", f"[dxrpa] failed: {robot} ({_trigger(facts)})"
        )
        lines = [
            tr(
                f"ロボット「{robot}」の{_trigger(facts)}が失敗しました。",
                f"The {_trigger(facts)} of robot '{robot}' failed.",
            ),
            status_line,
            _counts_line(c),
            run_line,
        ]
    elif kind == "run_partial":
        title = tr(
            f"【dxrpa】一部失敗: {robot} ({_trigger(facts)})",
            f"[dxrpa] partly failed: {robot} ({_trigger(facts)})",
        )
        failed = int(c.get("business_error", 0)) + int(c.get("system_error", 0))
        lines = [
            tr(
                f"ロボット「{robot}」の{_trigger(facts)}で {failed} 件が失敗しました。",
                f"The {_trigger(facts)} of robot '{robot}' ended with {failed} failed item(s).",
            ),
            status_line,
            _counts_line(c),
            run_line,
        ]
    elif kind == "robot_defect":
        title = tr(f"【dxrpa】ロボット定義の誤り: {robot}", f"[dxrpa] robot defect: {robot}")
        lines = [
            tr(
                f"ロボット「{robot}」は定義の誤り(ロケーターなど)のため停止しました。ロボットの修正が必要です。",
                f"Robot '{robot}' stopped on a defect in its definition (a locator, say);"
                " the robot needs fixing.",
            ),
            status_line,
            _counts_line(c),
            run_line,
        ]
    elif kind == "items_waiting":
        title = tr(
            f"【dxrpa】確認待ち {c.get('waiting', 0)} 件: {robot}",
            f"[dxrpa] {c.get('waiting', 0)} item(s) to check: {robot}",
        )
        lines = [
            tr(
                f"ロボット「{robot}」で送信後に中断した項目が {c.get('waiting', 0)} 件あります"
                f"(確認待ちは合計 {c.get('waiting_total', 0)} 件)。verify: がないため、"
                "登録されたかどうかを職員が確認してください。",
                f"Robot '{robot}' left {c.get('waiting', 0)} item(s) interrupted after submitting "
                f"({c.get('waiting_total', 0)} waiting in all). It has no verify:, so staff must check "
                "whether they went through.",
            ),
            run_line,
        ]
    elif kind == "ocr_review_waiting":
        template = facts.get("template", "")
        title = tr(
            f"【dxrpa】OCR 確認待ち {c.get('fields', 0)} 項目: {template}",
            f"[dxrpa] {c.get('fields', 0)} OCR field(s) to review: {template}",
        )
        lines = [
            tr(
                f"OCR の要確認項目 {c.get('fields', 0)} 件が"
                f" {c.get('hours', 0)} 時間以上確認を待っています。",
                f"{c.get('fields', 0)} OCR field(s) have waited for review"
                f" for {c.get('hours', 0)} hours or more.",
            ),
            tr(f"帳票: {template}", f"template: {template}"),
            tr(f"バッチ: {facts.get('batch_id')}", f"batch: {facts.get('batch_id')}"),
        ]
    elif kind == "scheduler_lock_lost":
        title = tr("【dxrpa】スケジューラのロックを失いました", "[dxrpa] the scheduler lost its lock")
        lines = [
            tr(
                f"ホスト {facts.get('host', '')} のスケジューラがロックを失って停止しました。"
                "定時実行が止まっていないか確認してください。",
                f"The scheduler on {facts.get('host', '')} lost its lock and stopped;"
                " check that scheduled runs go on.",
            )
        ]
    elif kind == "test":
        title = tr("【dxrpa】通知のテスト", "[dxrpa] notification test")
        lines = [tr("dxrpa notify test による試験送信です。", "A test sent by dxrpa notify test.")]
    else:
        title = f"[dxrpa] {kind}"
        lines = [kind]
    if dept_line and kind != "scheduler_lock_lost":
        lines.insert(1, dept_line)
    lines.append(
        tr(
            "(個人情報は含めていません。詳細はコンソールで確認してください)",
            "(no personal data here; see the console)",
        )
    )
    return Message(title, tuple(x for x in lines if x), link)


def webhook_payload(kind: str, msg: Message, facts: dict[str, Any]) -> dict[str, Any]:
    """The JSON body for a webhook of ``kind`` (teams | lineworks | slack | webhook)."""
    open_label = tr("コンソールで開く", "open in the console")
    if kind == "teams":  # Teams Workflows "post to a channel when a webhook request is received"
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": msg.title, "weight": "Bolder", "size": "Medium", "wrap": True},
                *({"type": "TextBlock", "text": line, "wrap": True} for line in msg.lines),
            ],
        }
        if msg.link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": open_label, "url": msg.link}]
        return {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }
    if kind == "lineworks":  # LINE WORKS incoming webhook (title, body.text, optional button)
        payload: dict[str, Any] = {"title": msg.title, "body": {"text": "\n".join(msg.lines)}}
        if msg.link:
            payload["button"] = {"label": open_label, "url": msg.link}
        return payload
    if kind == "slack":  # Slack incoming webhook, also Mattermost / Rocket.Chat
        return {"text": f"*{msg.title}*\n{msg.text}"}
    return {"title": msg.title, "text": msg.text, "link": msg.link, "facts": facts}
