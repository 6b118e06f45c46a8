"""Run the sample app in a child process, for tests that must kill or outlive the robot side."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from .faults import Faults

_ROOT = Path(__file__).resolve().parents[3]  # .../src, so the child imports this very package


class SampleAppProcess:
    """``python -m dxrpa.demo.webapp`` in a subprocess, with the same methods as :class:`SampleApp`.

    Construct it (it starts and waits until the app answers) and call ``stop()`` (or use ``with``).
    ``applications()``, ``attempts()`` and ``set_faults()`` go through the ``/api/*`` endpoints,
    which faults never touch.
    """

    def __init__(
        self,
        db_path: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        users: dict[str, str] | None = None,
        allow_duplicates: bool = False,
        startup_timeout: float = 20.0,
        log_path: Path | None = None,
    ) -> None:
        f = faults or Faults()
        cmd = [
            sys.executable,
            "-m",
            "dxrpa.demo.webapp",
            "--host",
            host,
            "--port",
            str(port),
            "--error-rate",
            str(f.error_rate),
            "--stall-rate",
            str(f.stall_rate),
            "--stall-seconds",
            str(f.stall_seconds),
            "--error-after-save-rate",
            str(f.error_after_save_rate),
        ]
        if f.seed is not None:
            cmd += ["--seed", str(f.seed)]
        if db_path is not None:
            cmd += ["--db", str(db_path)]
        if allow_duplicates:
            cmd.append("--allow-duplicates")
        for user_id, password in (users or {}).items():
            cmd += ["--user", f"{user_id}:{password}"]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        self.db_path = db_path
        self._log = open(log_path, "ab") if log_path is not None else None  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=self._log or subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.pid = self._proc.pid
        try:
            self.url = self._wait_ready(startup_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> str:
        assert self._proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"sample app did not start within {timeout:.0f} s")
            ready, _, _ = select.select([self._proc.stdout], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self._proc.stdout.fileno(), 1024)
                if not chunk:
                    raise RuntimeError(f"sample app exited during start (exit code {self._proc.wait(5)})")
                line += chunk
        text = line.decode().strip()
        if not text.startswith("READY "):
            raise RuntimeError(f"sample app printed {text!r} instead of READY")
        url = text.removeprefix("READY ").strip()
        self._call("GET", f"{url}/api/health")
        return url

    def _call(self, method: str, url: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read().decode("utf-8"))

    @property
    def faults(self) -> Faults:
        return Faults.from_json(self._call("GET", f"{self.url}/api/faults"))

    def applications(self) -> list[dict[str, Any]]:
        """Every stored application row (duplicates included), via ``GET /api/applications``."""
        rows: list[dict[str, Any]] = self._call("GET", f"{self.url}/api/applications")
        return rows

    def attempts(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", f"{self.url}/api/attempts")
        return rows

    def set_faults(self, faults: Faults) -> None:
        self._call("POST", f"{self.url}/api/faults", faults.to_json())

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds (idempotent)."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> SampleAppProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_app_process(
    db_path: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Faults | None = None,
    users: dict[str, str] | None = None,
    allow_duplicates: bool = False,
) -> SampleAppProcess:
    """Start ``python -m dxrpa.demo.webapp`` and return once it answers."""
    return SampleAppProcess(
        db_path, host=host, port=port, faults=faults, users=users, allow_duplicates=allow_duplicates
    )
