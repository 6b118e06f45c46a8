"""Crash and resume: N items, K random SIGKILLs of the runner, then run to completion.

Prints items lost and items entered twice (both must be 0, judged from the sample app's own
records) and the time overhead against an uninterrupted run measured in the same process run.
Run: python bench/crash_resume.py [--items 200 --kills 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import ROOT, bench_env, machine, prepare_home, shared_session
from dxrpa.demo.chaos import entry_counts, kill_drill, run_cli
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleAppProcess


def trial(n: int, kills: int, workers: int, seed: int) -> tuple[float, int, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        prepare_home(
            home, robot_text=shared_session((ROOT / "robots" / "juminhyo_entry.yaml").read_text("utf-8"))
        )
        rows = juminhyo_rows(n, seed=seed)
        write_xlsx(home / "data" / "juminhyo.xlsx", rows)
        app = SampleAppProcess(home / "app.sqlite", allow_duplicates=True)
        try:
            env = bench_env(home, app.url)
            assert run_cli(["robots", "register", "robots/juminhyo_entry.yaml"], cwd=home, env=env) == 0
            args = ["run", "juminhyo_entry", "--workers", str(workers)]
            t0 = time.perf_counter()
            done_kills = 0
            if kills:
                result = kill_drill(
                    args, cwd=home, env=env, kills=kills, seed=seed, min_delay=3, max_delay=12
                )
                done_kills = result.kills
            else:
                run_cli(args, cwd=home, env=env)
            seconds = time.perf_counter() - t0
            counts = entry_counts(app.applications())
        finally:
            app.stop()
    lost = sum(1 for r in rows if counts.get(r["受付番号"], 0) == 0)
    twice = sum(1 for c in counts.values() if c > 1)
    return seconds, lost, twice, done_kills


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(
        f"crash_resume: {args.items} items, {args.kills} SIGKILLs, workers={args.workers},"
        f" machine: {machine()}"
    )
    base, lost0, twice0, _ = trial(args.items, 0, args.workers, seed=42)
    print(f"  uninterrupted: {base:7.1f} s  lost={lost0} twice={twice0}")
    t, lost, twice, kills = trial(args.items, args.kills, args.workers, seed=42)
    print(f"  with {kills} SIGKILLs: {t:7.1f} s  items lost={lost}  items entered twice={twice}")
    print(f"  time overhead vs uninterrupted: {t / base:.2f}x (+{t - base:.1f} s)")


if __name__ == "__main__":
    main()
