"""Start runs for the console without blocking a request: one child process per run.

The child is the scheduler's (:mod:`dxrpa.scheduler.launcher`): the robot's time limit, SIGTERM
becomes a cancel after the current item, SIGKILL after the grace, and it dies with the console.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from dxrpa.config import Settings
from dxrpa.errors import DxrpaError
from dxrpa.log import logger
from dxrpa.scheduler.launcher import (
    DEFAULT_TARGET,
    TERM_GRACE_SECONDS,
    child_command,
    run_child,
    time_limit_of,
)
from dxrpa.store import runs_repo
from dxrpa.store.base import Store
from dxrpa.store.robots_repo import get_robot, version_for_run


def launch_dir(settings: Settings) -> Path:
    return settings.var_dir / "console" / "launch"


class Launcher:
    """Spawns run children (each from its own thread, which waits for it: no zombies)."""

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        *,
        target: str = DEFAULT_TARGET,
        term_grace_s: float = TERM_GRACE_SECONDS,
    ) -> None:
        self.settings = settings
        self.store = store
        self.target = target
        self.term_grace_s = term_grace_s
        self.folder = launch_dir(settings)
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._robots: dict[str, str] = {}  # run id → robot name, for the page shown before the run row
        self._lock = threading.Lock()

    def time_limit(self, robot: str, *, dry_run: bool = False) -> float | None:
        """The robot's ``limits.run_timeout_minutes`` (the version the run will use), as the scheduler's."""
        store = self.store or Store(self.settings.db_url, key_dir=self.settings.var_dir)
        try:
            with store.session() as s:
                yaml_text = version_for_run(s, get_robot(s, robot), dry_run=dry_run).yaml_text
        except DxrpaError:  # unknown / not approved / store down: the child reports it in R.err
            return None
        finally:
            if self.store is None:
                store.dispose()
        return time_limit_of(yaml_text)

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
        cmd = child_command(
            robot,
            run_id,
            trigger="console",
            target=self.target,
            unit=unit,
            by=user,
            dry_run=dry_run,
            allow_no_submit=allow_no_submit,
            reprocess=reprocess,
            err_file=self.folder / f"{run_id}.err",
        )
        limit = self.time_limit(robot, dry_run=dry_run)
        started = threading.Event()
        failed: list[BaseException] = []
        with self._lock:
            self._robots[run_id] = robot

        def on_start(proc: subprocess.Popen[bytes]) -> None:
            with self._lock:
                self._procs[run_id] = proc
            logger.info("console: run {} of {} started (pid {})", run_id, robot, proc.pid)
            started.set()

        def watch() -> None:  # spawns and waits in one thread: PDEATHSIG follows this thread
            try:
                with open(self.folder / f"{run_id}.log", "wb") as log:
                    _rc, timed_out = run_child(
                        self.settings,
                        cmd,
                        time_limit_s=limit,
                        grace_s=self.term_grace_s,
                        stdout=log,
                        cwd=self.settings.home,
                        drop_env=("DXRPA_CONSOLE_TRUST_HEADER",),
                        on_start=on_start,
                    )
                if timed_out:
                    logger.warning("console: run {} of {} hit its time limit; stopped it", run_id, robot)
            except BaseException as exc:  # noqa: BLE001 — handed to start(), which raises it
                failed.append(exc)
            finally:
                started.set()
                with self._lock:
                    self._procs.pop(run_id, None)

        threading.Thread(target=watch, daemon=True, name=f"run-{run_id}").start()
        started.wait()
        if failed:
            raise failed[0]
        return run_id

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
        for _ in range(100):  # the watching threads drop finished children
            with self._lock:
                if not any(p.poll() is None for p in self._procs.values()):
                    break
            threading.Event().wait(0.05)
