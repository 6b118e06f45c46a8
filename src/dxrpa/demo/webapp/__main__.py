"""``python -m dxrpa.demo.webapp``: run the sample app as its own process.

Prints one line ``READY http://HOST:PORT`` on stdout once it accepts requests (used by
:class:`SampleAppProcess` to learn the port when ``--port 0``), then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .app import start_app
from .faults import Faults


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dxrpa.demo.webapp", description="dxrpa sample municipal web app"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--db", type=Path, default=None, help="SQLite file (default: in memory)")
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--stall-rate", type=float, default=0.0)
    p.add_argument("--stall-seconds", type=float, default=5.0)
    p.add_argument("--error-after-save-rate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--allow-duplicates", action="store_true", help="store the same 受付番号 more than once")
    p.add_argument(
        "--user",
        action="append",
        default=None,
        metavar="ID:PASSWORD",
        help="login account (repeatable; default staff01:demo-pass)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    users: dict[str, str] | None = None
    if args.user:
        users = {}
        for spec in args.user:
            user_id, sep, password = spec.partition(":")
            if not sep or not user_id:
                print(f"--user expects ID:PASSWORD, got {spec!r}", file=sys.stderr)
                return 2
            users[user_id] = password
    try:
        faults = Faults(
            args.error_rate, args.stall_rate, args.stall_seconds, args.seed, args.error_after_save_rate
        )
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        app = start_app(
            args.db,
            host=args.host,
            port=args.port,
            faults=faults,
            users=users,
            allow_duplicates=args.allow_duplicates,
        )
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"READY {app.url}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
