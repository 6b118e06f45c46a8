"""Benchmark: FY .xlsx report over a large ledger (time and peak memory; SQLite, PostgreSQL too).

How "item outcomes" map onto ledger rows: the ledger keeps one row per counted run with its item
counts (succeeded / business errors / system errors), never one row per item. The generator
spreads N item outcomes over 200 robots and three fiscal years (FY2023–FY2025) as runs of
1..(2×avg−1) items (default avg 10, so 1,000,000 items ≈ 95,000 runs), 90 % succeeded, 6 %
business errors, 4 % system errors. ``--items-per-run 1`` is the worst case: one ledger row per
item outcome (1,000,000 rows). The report is FY2025 (a third of the rows).

Run:  python bench/report_scale.py                       # 100k and 1M items on SQLite
      python bench/report_scale.py --items 1000000 --items-per-run 1
      DXRPA_TEST_PG_URL=postgresql://root@/dxrpa_test?host=/var/run/postgresql python bench/report_scale.py
Time (wall and CPU; the machine may be shared) is measured without tracemalloc; peak memory in a
second pass with tracemalloc (Python heap) and as the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from dxrpa.ledger import Baseline, compute_saving, fiscal_year_of_date, local_date
from dxrpa.reports import build_report, export_report
from dxrpa.store import Store
from dxrpa.store.ledger_tables import LedgerEntry, LedgerHumanMinutes

ROBOTS = 200
DEPARTMENTS = [
    "市民課",
    "税務課",
    "福祉課",
    "子育て支援課",
    "保険年金課",
    "介護保険課",
    "環境課",
    "総務課",
    "財政課",
    "建築指導課",
    "教育総務課",
    "会計課",
]
START = datetime(2023, 3, 31, 15, 0, tzinfo=UTC)  # 2023-04-01 00:00 JST
SPAN = datetime(2026, 3, 31, 15, 0, tzinfo=UTC) - START
REPORT_FY = 2025


def generate(store: Store, items: int, per_run: int, seed: int = 7) -> int:
    """Insert ledger rows holding ``items`` item outcomes; returns the number of rows (runs)."""
    rnd = random.Random(seed)
    robots = []
    for i in range(ROBOTS):
        b = Baseline(rnd.choice([2, 3, 5, 8, 12]), rnd.choice([0, 5, 10, 30]), rnd.choice([5, 10, 20]))
        robots.append((f"robot_{i:03d}", f"業務{i:03d}", DEPARTMENTS[i % len(DEPARTMENTS)], b))
    table = LedgerEntry.__table__
    human = LedgerHumanMinutes.__table__
    done, rows, batch, hbatch = 0, 0, [], []
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        while done < items:
            n = min(items - done, per_run if per_run == 1 else rnd.randint(1, 2 * per_run - 1))
            be = sum(1 for _ in range(n) if rnd.random() < 0.06)
            se = sum(1 for _ in range(n - be) if rnd.random() < 0.04 / 0.94)
            ok = n - be - se
            name, title, dept, b = robots[rnd.randrange(ROBOTS)]
            finished = START + timedelta(seconds=rnd.random() * SPAN.total_seconds())
            day = local_date(finished)
            s = compute_saving(b, succeeded=ok, failed=be + se)
            batch.append(
                {
                    "run_id": uuid.UUID(int=rnd.getrandbits(128)).hex,
                    "robot_name": name,
                    "robot_title": title,
                    "department": dept,
                    "robot_version": 1,
                    "content_hash": "0" * 64,
                    "minutes_per_item": b.minutes_per_item,
                    "minutes_per_run": b.minutes_per_run,
                    "rework_minutes_per_failed_item": b.rework_minutes_per_failed_item,
                    "items_succeeded": ok,
                    "items_business_error": be,
                    "items_system_error": se,
                    "gross_minutes": s.gross_minutes,
                    "rework_minutes": s.rework_minutes,
                    "recorded_human_minutes": 0.0,
                    "human_minutes": s.human_minutes,
                    "saved_minutes": s.saved_minutes,
                    "finished_at": finished,
                    "fiscal_year": fiscal_year_of_date(day),
                    "month": day.month,
                    "recorded_at": now,
                    "updated_at": now,
                }
            )
            if rows % 100 == 0:
                hbatch.append(
                    {
                        "department": dept,
                        "robot_name": name,
                        "robot_key": name,
                        "minutes": 5.0,
                        "reason": "ocr_review",
                        "source_ref": f"bench-{rows}",
                        "at": finished,
                        "fiscal_year": fiscal_year_of_date(day),
                        "month": day.month,
                        "recorded_at": now,
                    }
                )
            done += n
            rows += 1
            if len(batch) >= 20_000:
                conn.execute(insert(table), batch)
                batch = []
        if batch:
            conn.execute(insert(table), batch)
        if hbatch:
            conn.execute(insert(human), hbatch)
    return rows


def produce(store: Store, out: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds to aggregate the FY and write the .xlsx; rows in that FY."""
    t0, c0 = time.perf_counter(), time.process_time()
    with store.session() as s:
        data = build_report(s, REPORT_FY)
        export_report(data, "xlsx", out)
        n = data.details_count
    return time.perf_counter() - t0, time.process_time() - c0, n


def measure(store: Store, out: Path) -> tuple[float, float, float, int]:
    seconds, cpu, fy_rows = produce(store, out)
    tracemalloc.start()
    produce(store, out)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, cpu, peak / 2**20, fy_rows


def pg_database(base: str) -> tuple[str, object]:
    drv = "postgresql+psycopg://" + base[len("postgresql://") :] if base.startswith("postgresql://") else base
    admin = create_engine(drv, isolation_level="AUTOCOMMIT")
    name = f"dxrpa_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(drv).set(database=name).render_as_string(hide_password=False), drop


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument(
        "--items-per-run", type=int, default=10, help="average items per run (1 = one row per item)"
    )
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL even if DXRPA_TEST_PG_URL is set")
    args = ap.parse_args()
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("DXRPA_TEST_PG_URL") and not args.no_pg else [])
    print(f"report: FY{REPORT_FY} .xlsx; {ROBOTS} robots, 3 fiscal years, avg {args.items_per_run} items/run")
    print(
        f"{'backend':<10} {'items':>10} {'ledger rows':>12} {'FY rows':>9} {'insert s':>9} "
        f"{'report s':>9} {'cpu s':>6} {'peak MiB (tracemalloc)':>23} {'xlsx MiB':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="dxrpa-bench-") as tmp:
        for backend in backends:
            for n_items in args.items:
                drop = None
                if backend == "sqlite":
                    url = f"sqlite:///{tmp}/bench_{n_items}.db"
                else:
                    url, drop = pg_database(os.environ["DXRPA_TEST_PG_URL"])
                store = Store(url)
                try:
                    store.upgrade()
                    t0 = time.perf_counter()
                    rows = generate(store, n_items, args.items_per_run)
                    if backend == "postgresql":
                        with store.engine.begin() as c:
                            c.execute(text("ANALYZE"))
                    ins = time.perf_counter() - t0
                    out = Path(tmp) / f"report_{backend}_{n_items}.xlsx"
                    seconds, cpu, peak, fy_rows = measure(store, out)
                    print(
                        f"{backend:<10} {n_items:>10,} {rows:>12,} {fy_rows:>9,} {ins:>9.1f} {seconds:>9.2f} "
                        f"{cpu:>6.2f} {peak:>23.1f} {out.stat().st_size / 2**20:>9.1f}",
                        flush=True,
                    )
                finally:
                    store.dispose()
                    if drop is not None:
                        drop()  # type: ignore[operator]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (includes data generation): {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
