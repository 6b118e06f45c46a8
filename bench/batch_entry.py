"""Batch entry throughput: N items into the sample app with --workers 1 and --workers 4.

Prints items/s for each and the speed-up. The sample app runs in its own process (threaded
server), so the robot side is what is measured. Run: python bench/batch_entry.py [--items 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import ROOT, bench_env, machine, prepare_home, shared_session
from dxrpa.demo.chaos import entry_counts, run_cli
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleAppProcess


def one(n: int, workers: int, session: str) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        text = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
        prepare_home(home, robot_text=shared_session(text) if session == "shared" else text)
        write_xlsx(home / "data" / "juminhyo.xlsx", juminhyo_rows(n, seed=99))
        app = SampleAppProcess(home / "app.sqlite")
        try:
            env = bench_env(home, app.url)
            assert run_cli(["robots", "register", "robots/juminhyo_entry.yaml"], cwd=home, env=env) == 0
            t0 = time.perf_counter()
            code = run_cli(["run", "juminhyo_entry", "--workers", str(workers)], cwd=home, env=env)
            seconds = time.perf_counter() - t0
            counts = entry_counts(app.applications())
        finally:
            app.stop()
        return seconds, sum(1 for c in counts.values() if c == 1), code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--session", choices=["per_item", "shared"], default="shared")
    args = ap.parse_args()
    print(f"batch_entry: {args.items} items, session={args.session}, machine: {machine()}")
    results = {}
    for workers in (1, 4):
        seconds, ok, code = one(args.items, workers, args.session)
        results[workers] = seconds
        print(
            f"  workers={workers}: {seconds:7.1f} s  {args.items / seconds:6.2f} items/s  "
            f"entered once: {ok}/{args.items}  exit={code}"
        )
    print(
        f"  speed-up 4 workers vs 1: {results[1] / results[4]:.2f}x"
        " (target ≥ 3.5x where the app is not the limit)"
    )


if __name__ == "__main__":
    main()
