"""The other events from real rows and real processes: items waiting for staff, OCR fields
waiting for review too long, and the scheduler losing its lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from dxrpa.cli import main
from dxrpa.config import Settings, load_settings
from dxrpa.errors import LockHeld
from dxrpa.notify.hooks import after_run
from dxrpa.scheduler.service import run_scheduler
from dxrpa.store.base import Store, utcnow
from dxrpa.store.notify_tables import NotifyOutbox
from dxrpa.store.ocr_tables import OcrBatch, OcrDocument, OcrField
from dxrpa.store.schedule_tables import SchedulerLockRow
from dxrpa.store.tables import Robot, RobotVersion, Run, WorkItem

from .conftest import WriteConfig, basic_config
from .rows import finished_run
from .servers import SmtpServer, WebhookReceiver


def _abandon(store: Store, run_id: str, keys: list[str]) -> None:
    with store.session() as s:
        run = s.get(Run, run_id)
        assert run is not None
        for key in keys:
            s.add(WorkItem(robot_id=run.robot_id, key=key, status="abandoned", last_run_id=run_id))


def test_items_waiting_only_without_verify(
    nsettings: Settings, store: Store, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    write_config(basic_config(smtp.port, hook.url()))
    earlier = finished_run(store, status="succeeded", done=3, business=0, system=0)
    _abandon(store, earlier, ["900001"])
    run_id = finished_run(store, status="succeeded", done=3, business=0, system=0)
    _abandon(store, run_id, ["900002", "900003"])
    after_run(nsettings, run_id, store)
    assert [m["Subject"] for m in smtp.box.messages] == ["【dxrpa】確認待ち 2 件: juminhyo_entry"]
    assert "合計 3 件" in smtp.box.texts()[0] and "verify:" in smtp.box.texts()[0]
    # the same robot with a verify: section re-checks them itself: nobody is told
    with store.session() as s:
        robot = s.scalar(select(Robot).where(Robot.name == "juminhyo_entry"))
        assert robot is not None
        s.execute(
            update(RobotVersion)
            .where(RobotVersion.robot_id == robot.id)
            .values(yaml_text="name: juminhyo_entry\nverify:\n  - expect: {text: 受付完了}\n")
        )
    again = finished_run(store, status="succeeded", done=3, business=0, system=0)
    _abandon(store, again, ["900004"])
    after_run(nsettings, again, store)
    assert len(smtp.box.messages) == 1


def _ocr_batch(store: Store, batch_id: str, hours_ago: float, review_fields: int, department: str) -> None:
    with store.session() as s:
        s.add(OcrBatch(id=batch_id, template="juminhyo_shinsei", department=department,
                       created_at=utcnow() - timedelta(hours=hours_ago)))  # fmt: skip
        s.flush()
        doc = OcrDocument(
            batch_id=batch_id, template="juminhyo_shinsei", source_file="scan.pdf", status="review"
        )
        s.add(doc)
        s.flush()
        for i in range(review_fields + 1):
            s.add(OcrField(document_id=doc.id, seq=i, name=f"f{i}", type="text", value="山田太郎",
                           status="review" if i < review_fields else "ok"))  # fmt: skip


def test_ocr_fields_waiting_beyond_the_age(
    nsettings: Settings,
    store: Store,
    smtp: SmtpServer,
    hook: WebhookReceiver,
    write_config: WriteConfig,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(basic_config(smtp.port, hook.url()).replace("rules:", "review_age_hours: 24\nrules:"))
    _ocr_batch(store, "b-old", 30, 3, "市民課")
    _ocr_batch(store, "b-new", 2, 5, "市民課")  # not old enough
    _ocr_batch(store, "b-zei", 48, 4, "税務課")  # another 課: the rule takes every 課
    assert main(["notify", "deliver"]) == 0
    subjects = sorted(m["Subject"] for m in smtp.box.messages)
    assert subjects == [
        "【dxrpa】OCR 確認待ち 3 項目: juminhyo_shinsei",
        "【dxrpa】OCR 確認待ち 4 項目: juminhyo_shinsei",
    ]
    texts = "\n".join(smtp.box.texts())
    assert "30 時間以上" in texts and "/ocr/batches/b-old" in texts and "山田太郎" not in texts
    assert main(["notify", "deliver"]) == 0  # once a day per batch
    assert len(smtp.box.messages) == 2


def test_lock_lost_is_notified(
    dx_home: object,
    smtp: SmtpServer,
    hook: WebhookReceiver,
    write_config: WriteConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DXRPA_SCHEDULER__LOCK_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("DXRPA_SCHEDULER__LOCK_STALE_SECONDS", "4")
    settings = load_settings()
    store = Store(settings.db_url, key_dir=settings.var_dir)
    store.upgrade()
    write_config(basic_config(smtp.port, hook.url()))
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            run_scheduler(settings, store)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=scheduler)
    thread.start()
    try:
        for _ in range(50):
            with store.session() as s:
                if s.scalar(select(SchedulerLockRow)) is not None:
                    break
            threading.Event().wait(0.1)
        with store.session() as s:  # another scheduler takes the row over
            s.execute(update(SchedulerLockRow).values(holder="other-host:1:abc"))
        thread.join(timeout=30)
    finally:
        assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], LockHeld)
    assert [m["Subject"] for m in smtp.box.messages] == ["【dxrpa】スケジューラのロックを失いました"]
    assert "定時実行が止まっていないか" in hook.hits[0].json()["text"]
    with store.session() as s:
        assert [r.event for r in s.scalars(select(NotifyOutbox))] == ["scheduler_lock_lost"] * 2
    store.dispose()


def test_scheduler_tick_retries_due_rows_and_reminds(
    nsettings: Settings, store: Store, smtp: SmtpServer, hook: WebhookReceiver, write_config: WriteConfig
) -> None:
    """What the scheduler runs every few seconds: the due retries, then the OCR reminder."""
    from dxrpa.notify.config import load_for
    from dxrpa.notify.hooks import NotifyTicker

    write_config(basic_config(smtp.port, hook.url(), backoff=0.1))
    smtp.box.refuse = "451 4.3.0 try again later"
    run_id = finished_run(store, status="failed", done=0)
    after_run(nsettings, run_id, store)
    assert [r.status for r in _outbox_rows(store)] == ["pending", "sent"]
    smtp.box.refuse = None
    _ocr_batch(store, "b-old", 30, 2, "市民課")
    threading.Event().wait(0.15)
    NotifyTicker(nsettings, store, load_for(nsettings)).tick()
    rows = _outbox_rows(store)
    assert [(r.event, r.channel, r.status, r.attempts) for r in rows] == [
        ("run_failed", "kakari-mail", "sent", 2),
        ("run_failed", "kakari-chat", "sent", 1),
        ("ocr_review_waiting", "kakari-mail", "sent", 1),
        ("ocr_review_waiting", "kakari-chat", "sent", 1),
    ]
    assert rows[0].last_error is None and len(smtp.box.messages) == 2


def _outbox_rows(store: Store) -> list[NotifyOutbox]:
    with store.session() as s:
        return list(s.scalars(select(NotifyOutbox).order_by(NotifyOutbox.id)))
