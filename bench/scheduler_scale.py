"""Scheduler at scale: 1,000 registered schedules in one scheduler process.

Prints start-up time (loading 1,000 robot versions, parsing their ``schedule:``, building the
APScheduler jobs), memory (peak RSS), and the lag between each firing's planned time and the
moment the scheduler's job started, over two phases of short-interval jobs:

* staggered: robot i fires every 10 s at second offset i % 10 (100 firings per second);
* burst: all 1,000 robots fire at the same second every 15 s (the "everything at 08:00" case).

The executor is a non-blocking stand-in that only counts orders (as the procrastinate executor
would return after queueing), so the figures are the scheduler's own overhead; every firing is
still recorded in ``schedule_events`` through the real batching writer on a real SQLite file.

    python bench/scheduler_scale.py [--robots 1000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dxrpa.config import Settings
from dxrpa.scheduler.executor import RunOrder, RunResult
from dxrpa.scheduler.service import SchedulerService
from dxrpa.store.base import Store
from dxrpa.store.robots_repo import register
from dxrpa.store.schedule_repo import list_events


class CountingExecutor:
    name = "bench"
    blocking = False

    def __init__(self) -> None:
        self.orders = 0
        self._lock = threading.Lock()

    def submit(self, order: RunOrder) -> RunResult:
        with self._lock:
            self.orders += 1
        return RunResult("queued")

    def shutdown(self, grace_s: float = 0) -> None:
        pass


def robot_text(name: str, cron: str, office: bool) -> str:
    text = (
        f"name: {name}\ntitle: {name}\ndepartment: 市民課\nbaseline: {{minutes_per_item: 5}}\n"
        f'item:\n  - goto: http://127.0.0.1/\nschedule:\n  - cron: "{cron}"\n'
    )
    return text + ("    days: any\n" if not office else "")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def phase(name: str, robots: int, seconds: float, cron_for: Callable[[int], str]) -> None:
    home = Path(tempfile.mkdtemp(prefix=f"dxrpa-bench-{name}-"))
    settings = Settings(home=home)
    store = Store(settings.db_url)
    store.upgrade()
    t0 = time.perf_counter()
    with store.session() as s:
        for i in range(robots):
            n = f"robot_{i:04d}"
            text = robot_text(n, cron_for(i), i % 2 == 0)
            register(
                s, name=n, title=n, department="市民課", owner="", text=text,
                content_hash=uuid.uuid4().hex, source_path=f"robots/{n}.yaml", minutes_per_item=5,
                minutes_per_run=0, rework_minutes_per_failed_item=0, actor="bench",
            )  # fmt: skip
    t_register = time.perf_counter() - t0

    lags: list[float] = []
    lags_lock = threading.Lock()

    started = datetime.max.replace(tzinfo=UTC)

    def on_fire(robot: str, planned: datetime, actual: datetime) -> None:
        if planned < started:
            return  # planned before start-up finished: caught up late on purpose (misfire grace)
        with lags_lock:
            lags.append((actual - planned).total_seconds())

    executor = CountingExecutor()
    rss_before = rss_mb()
    t0 = time.perf_counter()
    service = SchedulerService(settings, store, executor, on_fire=on_fire)
    service.start()
    t_start = time.perf_counter() - t0
    started = datetime.now(UTC)  # steady state: firings planned after start-up finished
    time.sleep(seconds)
    service.stop(grace_s=1)
    with store.session() as s:
        recorded = len(list_events(s, kinds=["fired"], limit=10_000_000))
    store.dispose()
    print(f"[{name}] {robots} schedules: register {t_register:.2f} s, scheduler start-up {t_start:.2f} s")
    print(
        f"[{name}] {len(lags)} on-time firings measured in {seconds:.0f} s; {executor.orders} orders, "
        f"{recorded} 'fired' events recorded (incl. catch-up of firings just before start-up)"
    )
    if lags:
        print(
            f"[{name}] lag planned→fired: median {statistics.median(lags) * 1000:.1f} ms, "
            f"p99 {pct(lags, 99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms"
        )
    print(f"[{name}] peak RSS {rss_mb():.0f} MB (before scheduler start {rss_before:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--robots", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    phase("office-rules", args.robots, 2, lambda i: f"realistic:{i}")  # start-up with everyday rules
    phase("staggered", args.robots, args.seconds, lambda i: f"{i % 10}/10 * * * * *")
    phase("burst", args.robots, args.seconds, lambda i: "*/15 * * * * *")
    print("targets: lag p99 <= 1000 ms, peak RSS <= 200 MB")


if __name__ == "__main__":
    main()
