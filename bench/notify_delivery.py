"""Deliver N notifications (default 100) through a local aiosmtpd server: time and peak memory.

    python bench/notify_delivery.py [--count 100] [--webhook]

Each notification is a real outbox row (a finished partial run → the rules → ``notify_outbox``),
delivered by :class:`dxrpa.notify.outbox.Outbox` exactly as the scheduler's tick does: claim the
row, render the Japanese message, send it over one reused SMTP connection, settle the row.
``--webhook`` adds a Slack-style webhook channel on a local http.server (twice the deliveries).
Prints the time to enqueue and to deliver, the tracemalloc peak during delivery and the max RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from aiosmtpd.controller import Controller

from dxrpa.config import load_settings
from dxrpa.notify.config import load_for
from dxrpa.notify.events import run_events
from dxrpa.notify.outbox import Outbox
from dxrpa.store.base import Store, utcnow
from dxrpa.store.robots_repo import register
from dxrpa.store.tables import Run


class Counter:
    def __init__(self) -> None:
        self.n = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.n += 1
        return "250 OK"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _webhook() -> tuple[ThreadingHTTPServer, list[int]]:
    hits: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hits.append(1)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--webhook", action="store_true")
    args = parser.parse_args()
    counter = Counter()
    port = _port()
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    hook, hits = _webhook() if args.webhook else (None, [])
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["DXRPA_HOME"] = str(home)
        os.environ["DXRPA_CONFIG"] = str(home / "configs" / "dxrpa.toml")
        (home / "configs").mkdir()
        chat = ""
        if hook is not None:
            chat = f"  chat: {{type: slack, url: 'http://127.0.0.1:{hook.server_address[1]}/hook'}}\n"
        (home / "configs" / "notify.yaml").write_text(
            f"console_url: http://console.city.local\nsmtp: {{host: 127.0.0.1, port: {port}}}\n"
            f"channels:\n  mail: {{type: mail, to: [kakari@city.example.lg.jp]}}\n{chat}"
            f"rules:\n  - events: [run_partial]\n    channels: [mail{', chat' if chat else ''}]\n",
            encoding="utf-8",
        )
        settings = load_settings()
        config = load_for(settings)
        assert config is not None
        store = Store(settings.db_url, key_dir=settings.var_dir)
        store.upgrade()
        with store.session() as s:
            reg = register(
                s, name="juminhyo_entry", title="t", department="市民課", owner="",
                text="name: juminhyo_entry\n", content_hash=uuid.uuid4().hex, source_path="robots/x.yaml",
                minutes_per_item=1, minutes_per_run=0, rework_minutes_per_failed_item=0, actor="bench",
            )  # fmt: skip
            robot_id, version_id = reg.robot.id, reg.version.id
            run_ids = [uuid.uuid4().hex for _ in range(args.count)]
            for rid in run_ids:
                s.add(Run(id=rid, robot_id=robot_id, robot_version_id=version_id, status="partial",
                          trigger="schedule", items_total=10, items_done=8, items_business_error=2,
                          started_at=utcnow(), finished_at=utcnow()))  # fmt: skip
        outbox = Outbox(config, store, settings.var_dir)
        t0 = time.perf_counter()
        for rid in run_ids:
            with store.session() as s:
                events = run_events(s, rid)
            outbox.add(events)
        t_enqueue = time.perf_counter() - t0
        tracemalloc.start()
        t0 = time.perf_counter()
        report = outbox.deliver(limit=10 * args.count)
        t_deliver = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        store.dispose()
    smtp.stop()
    if hook is not None:
        hook.shutdown()
    n = report.sent + report.retrying + report.failed
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"notifications delivered: {report.sent}/{n} (mails received {counter.n}, webhooks {len(hits)})")
    print(f"enqueue {args.count} runs' events: {t_enqueue:.2f} s")
    print(f"deliver: {t_deliver:.2f} s ({1000 * t_deliver / max(n, 1):.1f} ms per notification)")
    print(f"peak traced memory during delivery: {peak / 1024 / 1024:.2f} MiB; max RSS {rss_mb:.0f} MiB")


if __name__ == "__main__":
    main()
