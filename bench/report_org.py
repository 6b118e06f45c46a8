"""Benchmark: the FY report rolled up over an organisation tree of 300 課 and 5 fiscal years.

20 局/区 × 3 部 × 5 課 = 300 課, one robot per 課, ledger rows spread over FY2021–FY2025,
targets for every third 課, a city-wide 人件費単価 and a per-課 rate for 30 課 changing mid-year.
The report is FY2025 (with 前年度 = FY2024) as .xlsx, including the 組織別 sheet.

Run:  python bench/report_org.py                 # 300,000 ledger rows
      python bench/report_org.py --rows 50000    # quick
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from dxrpa.config import LaborRate
from dxrpa.ledger import Baseline, compute_saving, fiscal_year_of_date, local_date
from dxrpa.orgtree import load_org
from dxrpa.reports import build_report, export_report
from dxrpa.reports.data import org_rollup
from dxrpa.reports.rates import RateTable
from dxrpa.store import Store
from dxrpa.store.ledger_repo import set_target
from dxrpa.store.ledger_tables import LedgerEntry

BUREAUS, DIVISIONS, SECTIONS = 20, 3, 5
START = datetime(2021, 3, 31, 15, 0, tzinfo=UTC)  # 2021-04-01 00:00 JST
SPAN = datetime(2026, 3, 31, 15, 0, tzinfo=UTC) - START
REPORT_FY = 2025


def org_yaml() -> tuple[str, list[str]]:
    lines, depts = [], []
    for b in range(BUREAUS):
        lines.append(f"第{b + 1:02d}局:")
        for d in range(DIVISIONS):
            lines.append(f"  第{b + 1:02d}局第{d + 1}部:")
            for s in range(SECTIONS):
                name = f"局{b + 1:02d}部{d + 1}課{s + 1}"
                lines.append(f"    - {name}")
                depts.append(name)
    return "\n".join(lines) + "\n", depts


def generate(store: Store, depts: list[str], rows: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    table = LedgerEntry.__table__
    now = datetime.now(UTC)
    batch = []
    with store.engine.begin() as conn:
        for _ in range(rows):
            i = rnd.randrange(len(depts))
            b = Baseline(rnd.choice([2, 3, 5, 8]), rnd.choice([0, 5, 10]), 10)
            ok = rnd.randint(1, 20)
            be = 1 if rnd.random() < 0.06 else 0
            s = compute_saving(b, succeeded=ok, failed=be)
            finished = START + timedelta(seconds=rnd.random() * SPAN.total_seconds())
            day = local_date(finished)
            batch.append(
                {
                    "run_id": uuid.UUID(int=rnd.getrandbits(128)).hex,
                    "robot_name": f"robot_{i:03d}",
                    "robot_title": f"業務{i:03d}",
                    "department": depts[i],
                    "robot_version": 1,
                    "content_hash": "0" * 64,
                    "minutes_per_item": b.minutes_per_item,
                    "minutes_per_run": b.minutes_per_run,
                    "rework_minutes_per_failed_item": b.rework_minutes_per_failed_item,
                    "items_succeeded": ok,
                    "items_business_error": be,
                    "items_system_error": 0,
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
            if len(batch) >= 20_000:
                conn.execute(insert(table), batch)
                batch = []
        if batch:
            conn.execute(insert(table), batch)
    with store.session() as s:
        for d in depts[::3]:
            set_target(s, d, REPORT_FY, 500.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        text, depts = org_yaml()
        (home / "org.yaml").write_text(text, encoding="utf-8")
        store = Store(f"sqlite:///{home}/bench.db")
        store.upgrade()
        t0 = time.perf_counter()
        generate(store, depts, args.rows)
        insert_s = time.perf_counter() - t0
        rates = RateTable(
            [LaborRate(**{"from": date(2021, 4, 1), "yen_per_hour": 3000})]
            + [
                LaborRate(**{"from": date(2025, 10, 1), "yen_per_hour": 3500, "department": d})
                for d in depts[:30]
            ]
        )

        def produce() -> tuple[float, float, int, int]:
            w0, c0 = time.perf_counter(), time.process_time()
            org = load_org(home / "org.yaml")
            with store.session() as s:
                data = build_report(s, REPORT_FY, rates=rates, org=org)
                export_report(data, "xlsx", home / "r.xlsx")
                units = len(org_rollup(data))
                n = data.details_count
            return time.perf_counter() - w0, time.process_time() - c0, units, n

        wall, cpu, units, fy_rows = produce()
        tracemalloc.start()
        produce()
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = (home / "r.xlsx").stat().st_size / 2**20
        print(f"org report: {len(depts)} 課 in {units} units, FY2021–FY2025, FY{REPORT_FY} .xlsx")
        print("ledger rows  FY rows  insert s  report s  cpu s  peak MiB (tracemalloc)  xlsx MiB")
        print(
            f"{args.rows:>11,}  {fy_rows:>7,}  {insert_s:>8.1f}  {wall:>8.2f}  {cpu:>5.2f}"
            f"  {peak / 2**20:>22.1f}  {size:>8.1f}"
        )
        store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
