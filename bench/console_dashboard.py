"""Benchmark: the console dashboard over 1,000,000 ledger rows, and 20 viewers polling a live run.

1. Fills a SQLite store with N ledger rows (default 1,000,000), all in the fiscal year shown (the
   worst case: every row is aggregated), 200 robots in 12 departments, with targets.
2. Starts the console (uvicorn, 127.0.0.1) and times GET /dashboard ten times: the server time is
   the handler's wall time (the response's ``Server-Timing`` header); the median must be ≤ 1 s.
3. A live run: a writer thread appends item attempts as a runner does (one every 50 ms, up to
   2,000 items); 20 viewers poll ``/runs/ID/status.json`` once a second each for 20 s. Reports
   the median / p95 / max latency (goal: every poll under 2 s).

Run:  python bench/console_dashboard.py [--rows 1000000] [--db /tmp/dxrpa_bench_console.db]
The database file is reused when it already holds the requested rows (generation takes a while).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

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
FY = 2025
START = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)  # 2025-04-01 00:00 JST
PASSWORD = "bench-password"


def fill(store: object, rows: int) -> None:
    from dxrpa.ledger import fiscal_year_of_date, local_date
    from dxrpa.store.ledger_repo import set_target
    from dxrpa.store.ledger_tables import LedgerEntry

    rnd = random.Random(5)
    table = LedgerEntry.__table__
    now = datetime.now(UTC)
    span = 364 * 86400
    batch: list[dict[str, object]] = []
    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        for i in range(rows):
            r = rnd.randrange(ROBOTS)
            ok, be, se = rnd.randint(0, 20), rnd.randint(0, 1), rnd.randint(0, 1)
            mpi, mpr, rw = (2, 5, 8, 12)[r % 4], (0, 10)[r % 2], 5.0
            gross = ok * mpi + (mpr if ok else 0)
            human = (be + se) * rw
            finished = START + timedelta(seconds=rnd.random() * span)
            day = local_date(finished)
            batch.append(
                {
                    "run_id": f"b{i:011d}",
                    "robot_name": f"robot_{r:03d}",
                    "robot_title": f"業務{r:03d}",
                    "department": DEPARTMENTS[r % len(DEPARTMENTS)],
                    "robot_version": 1,
                    "content_hash": "0" * 64,
                    "minutes_per_item": mpi,
                    "minutes_per_run": mpr,
                    "rework_minutes_per_failed_item": rw,
                    "items_succeeded": ok,
                    "items_business_error": be,
                    "items_system_error": se,
                    "gross_minutes": gross,
                    "rework_minutes": human,
                    "recorded_human_minutes": 0.0,
                    "human_minutes": human,
                    "saved_minutes": gross - human,
                    "finished_at": finished,
                    "fiscal_year": fiscal_year_of_date(day),
                    "month": day.month,
                    "recorded_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 20_000:
                conn.execute(insert(table), batch)
                batch = []
        if batch:
            conn.execute(insert(table), batch)
    with store.session() as s:  # type: ignore[attr-defined]
        for d in DEPARTMENTS:
            set_target(s, d, FY, 60_000.0, set_by="bench")


class Client:
    """A logged-in HTTP/1.1 keep-alive client (one per viewer)."""

    def __init__(self, host: str, port: int, user: str) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookie = ""
        body = self.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', body)
        assert csrf is not None
        form = urllib.parse.urlencode(
            {"csrf": csrf.group(1), "name": user, "password": PASSWORD, "next": "/robots"}
        )
        self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("dxrpa_session="):
                self.cookie = v.split(";", 1)[0]
        return r.status, data, {k.lower(): v for k, v in r.getheaders()}

    def get(self, path: str) -> str:
        return self.request("GET", path)[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "dxrpa_bench_console.db"))
    ap.add_argument("--viewers", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="dxrpa-bench-console-"))
    os.environ["DXRPA_HOME"] = str(home)
    os.environ["DXRPA_DATABASE_URL"] = f"sqlite:///{args.db}"
    import uvicorn

    from dxrpa.config import load_settings
    from dxrpa.console import create_app
    from dxrpa.console.auth import hash_password
    from dxrpa.engine.definitions import parse_robot
    from dxrpa.engine.registry import register_robots
    from dxrpa.store import Store, console_repo, robots_repo, runs_repo
    from dxrpa.store.base import utcnow
    from dxrpa.store.ledger_tables import LedgerEntry

    settings = load_settings()
    store = Store(settings.db_url)
    store.upgrade()
    with store.session() as s:
        have = int(s.scalar(select(func.count(LedgerEntry.id))) or 0)
    if have != args.rows:
        if have:
            print(
                f"database {args.db} holds {have:,} rows, not {args.rows:,}: remove it first", file=sys.stderr
            )
            return 2
        t0 = time.perf_counter()
        fill(store, args.rows)
        print(f"filled {args.rows:,} ledger rows in {time.perf_counter() - t0:.1f} s ({args.db})")
    with store.session() as s:
        if console_repo.get_user(s, "viewer") is None:
            console_repo.add_user(s, "viewer", "viewer", hash_password(PASSWORD))
    robot_file = Path(__file__).resolve().parents[1] / "robots" / "juminhyo_entry.yaml"
    register_robots(
        store, [parse_robot(robot_file.name, robot_file.read_text(encoding="utf-8"))], actor="bench"
    )

    app = create_app(settings, store)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]

    # 1) dashboard: server time per render, median of 10
    client = Client("127.0.0.1", port, "viewer")
    times, walls = [], []
    for _ in range(10):
        t0 = time.perf_counter()
        status, body, headers = client.request("GET", f"/dashboard?fy={FY}")
        walls.append(time.perf_counter() - t0)
        assert status == 200 and "<svg" in body, status
        times.append(float(headers["server-timing"].split("dur=", 1)[1]) / 1000)
    print(
        f"dashboard over {args.rows:,} ledger rows (FY{FY}, SQLite): server time median "
        f"{statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
        f"(client wall median {statistics.median(walls):.3f} s) — goal ≤ 1 s: "
        f"{'OK' if statistics.median(times) <= 1.0 else 'MISSED'}"
    )

    # 2) a live run written like the runner writes it, polled by 20 viewers
    with store.session() as s:
        robot = robots_repo.get_robot(s, "juminhyo_entry")
        version = robots_repo.current_version(s, robot)
        assert version is not None
        run = runs_repo.create_run(
            s,
            robot=robot,
            version=version,
            status="running",
            folder="",
            started_at=utcnow(),
            heartbeat_at=utcnow(),
        )
        run_id = run.id
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 2000:
            n += 1
            with store.session() as s:
                runs_repo.add_attempt(
                    s,
                    run_id=run_id,
                    item_id=None,
                    key=f"{100000 + n:06d}",
                    seq=n,
                    attempt=1,
                    status="done" if n % 17 else "business_error",
                    finished_at=utcnow(),
                    error_message=None if n % 17 else "申請者の入力に誤りがあります",
                )
                runs_repo.heartbeat(s, run_id)
            time.sleep(0.05)

    latencies: list[float] = []
    lock = threading.Lock()

    def viewer(i: int) -> None:
        c = Client("127.0.0.1", port, "viewer")
        end = time.monotonic() + args.seconds
        time.sleep(i * 1.0 / args.viewers)  # spread like real pages
        while time.monotonic() < end:
            t0 = time.perf_counter()
            status, body, _h = c.request(
                "GET", f"/runs/{run_id}/status.json", headers={"Accept": "application/json"}
            )
            dt = time.perf_counter() - t0
            assert status == 200 and run_id in body
            with lock:
                latencies.append(dt)
            time.sleep(max(0.0, 1.0 - dt))

    w = threading.Thread(target=writer, daemon=True)
    w.start()
    viewers = [threading.Thread(target=viewer, args=(i,)) for i in range(args.viewers)]
    for v in viewers:
        v.start()
    for v in viewers:
        v.join()
    stop.set()
    w.join()
    with store.session() as s:
        items = len(runs_repo.attempts_of(s, run_id))
    lat = sorted(latencies)
    p95 = lat[int(len(lat) * 0.95) - 1]
    print(
        f"{args.viewers} viewers polling a live run for {args.seconds:.0f} s ({len(lat)} polls, run grew to "
        f"{items} items): latency median {statistics.median(lat):.3f} s, p95 {p95:.3f} s, "
        f"max {lat[-1]:.3f} s — goal < 2 s: {'OK' if lat[-1] < 2.0 else 'MISSED'}"
    )
    server.should_exit = True
    thread.join(timeout=10)
    store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
