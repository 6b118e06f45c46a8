"""Start runs for the console without blocking a request: one child process per run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from dxrpa.config import Settings
from dxrpa.console.launch import SETTINGS_ENV, launch_dir
from dxrpa.log import logger
from dxrpa.store import runs_repo


class Launcher:
    """Spawns ``dxrpa.console.launch`` children and reaps them (no zombies)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = launch_dir(settings)
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._robots: dict[str, str] = {}  # run id → robot name, for the page shown before the run row
        self._lock = threading.Lock()

    def start(
        self,
        robot: str,
        *,
        user: str,
        dry_run: bool = False,
        reprocess: tuple[str, ...] = (),
        allow_no_submit: bool = False,
        unit: str | None = None,
    ) -> str:
        """Start a run of ``robot`` (approved version; newest for a dry run); returns its run id at once."""
        run_id = runs_repo.new_run_id(self.settings.timezone)
        self.folder.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "dxrpa.console.launch",
            "--robot",
            robot,
            "--run-id",
            run_id,
            "--by",
            user,
        ]
        if dry_run:
            cmd.append("--dry-run")
        if allow_no_submit:
            cmd.append("--no-submit-steps-ok")
        for key in reprocess:
            cmd += ["--reprocess", key]
        if unit:  # a shared robot's 区 (dxrpa run NAME --unit 北区)
            cmd += ["--unit", unit]
        env = {k: v for k, v in os.environ.items() if k != "DXRPA_CONSOLE_TRUST_HEADER"}
        env[SETTINGS_ENV] = self.settings.model_dump_json()
        with open(self.folder / f"{run_id}.log", "wb") as log:
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=str(self.settings.home),
            )
        with self._lock:
            self._procs[run_id] = proc
            self._robots[run_id] = robot
        threading.Thread(target=self._reap, args=(run_id, proc), daemon=True, name=f"reap-{run_id}").start()
        logger.info("console: run {} of {} started (pid {})", run_id, robot, proc.pid)
        return run_id

    def _reap(self, run_id: str, proc: subprocess.Popen[bytes]) -> None:
        proc.wait()
        with self._lock:
            self._procs.pop(run_id, None)

    def is_alive(self, run_id: str) -> bool:
        with self._lock:
            proc = self._procs.get(run_id)
        return proc is not None and proc.poll() is None

    def robot_of(self, run_id: str) -> str | None:
        """The robot of a run this console started (known before the run writes its row)."""
        with self._lock:
            return self._robots.get(run_id)

    def launch_error(self, run_id: str) -> str | None:
        """What stopped a run before it started (written by the child), if anything."""
        err = self.folder / f"{run_id}.err"
        return err.read_text(encoding="utf-8") if err.is_file() else None

    def wait_all(self, timeout: float = 60.0) -> None:
        """Wait for running children (used when the server stops in tests and benchmarks)."""
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
