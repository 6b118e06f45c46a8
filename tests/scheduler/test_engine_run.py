"""The real job: a scheduled `--now` run executes dxrpa.engine.runner.run_robot in a child process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import Settings
from dxrpa.demo.webapp import SampleApp, start_app
from dxrpa.scheduler.executor import LocalExecutor
from dxrpa.scheduler.service import SchedulerService, enqueue_now
from dxrpa.store.base import Store
from dxrpa.store.schedule_repo import list_events
from dxrpa.store.tables import Run
from tests.conftest import require_chromium

from .conftest import wait_for

ROBOT = """\
name: open_menu
title: 業務メニューを開く
department: 市民課
baseline: {minutes_per_item: 1}
env: [APP_URL]
data:
  items: [{ref: "1"}, {ref: "2"}]
  key: ref
item:
  - goto: "{{ env.APP_URL }}/login"
  - expect: {text: ログイン}
schedule:
  - cron: "0 8 * * *"
    days: office
"""


@pytest.fixture
def sample_app(tmp_path: Path) -> Iterator[SampleApp]:
    app = start_app(tmp_path / "app.sqlite", allow_duplicates=True)
    yield app
    app.stop()


def test_now_request_runs_the_real_engine(
    sched_settings: Settings, store: Store, sample_app: SampleApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_chromium()
    monkeypatch.setenv("APP_URL", sample_app.url)
    path = sched_settings.home / "robots" / "open_menu.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(ROBOT, encoding="utf-8")
    assert main(["robots", "register", str(path)]) == 0
    service = SchedulerService(sched_settings, store, LocalExecutor(sched_settings), poll_seconds=0.5)
    service.start()
    try:
        run_id = enqueue_now(sched_settings, "open_menu")

        def finished() -> bool:
            with store.session() as s:
                return any(e.kind == "run_finished" for e in list_events(s, robot="open_menu"))

        assert wait_for(finished, 120)
    finally:
        service.stop(grace_s=10)
    with store.session() as s:
        run = s.scalar(select(Run).where(Run.id == run_id))
        finished_event = list_events(s, robot="open_menu", kinds=["run_finished"])[0]
    assert run is not None, "the engine did not record the run under the scheduler's run_id"
    assert run.trigger == "now" and run.status == "succeeded" and run.items_done == 2
    assert finished_event.detail.startswith("succeeded")
