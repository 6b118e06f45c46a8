"""Child process that executes one run: ``python -m dxrpa.scheduler.child --robot NAME …``.

The parent (scheduler or worker) waits with a hard time limit, so a hung browser never hangs
it. On SIGTERM this process asks the engine to stop after the current item (``Run.cancel_requested``
is set, the engine checks it between items and leaves unfinished items to ``--resume``); a second
SIGTERM exits at once. The child dies with its parent (``PR_SET_PDEATHSIG``), so a killed worker
never leaves an orphan run behind that another worker would duplicate.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import importlib.util
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from dxrpa.config import Settings, load_settings
from dxrpa.engine.paths import restrict_new_files
from dxrpa.errors import DxrpaError
from dxrpa.model.status import RunStatus
from dxrpa.notify.hooks import after_run

SETTINGS_ENV = "DXRPA_CHILD_SETTINGS"
DEFAULT_TARGET = "dxrpa.engine.runner:run_robot"
EXIT_RUN_FAILED = 20  # the run ended with failed items (partial / failed)
EXIT_RUN_STOPPED = 21  # stopped by SIGTERM or cancel: resumable


def load_target(spec: str) -> Callable[..., Any]:
    """``package.module:function`` or ``/path/to/file.py:function`` → the function."""
    mod_name, _, func_name = spec.rpartition(":")
    if not mod_name or not func_name:
        raise ValueError(f"job target '{spec}' must look like 'module:function'")
    if mod_name.endswith(".py"):
        path = Path(mod_name)
        mspec = importlib.util.spec_from_file_location(f"dxrpa_job_{path.stem}", path)
        if mspec is None or mspec.loader is None:
            raise ValueError(f"cannot load job target file {path}")
        module = importlib.util.module_from_spec(mspec)
        sys.modules[mspec.name] = module
        mspec.loader.exec_module(module)
    else:
        module = importlib.import_module(mod_name)
    func = getattr(module, func_name)
    if not callable(func):
        raise ValueError(f"job target '{spec}' is not callable")
    return func  # type: ignore[no-any-return]


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _request_cancel(settings: Settings, run_id: str) -> None:
    """Ask the engine to stop after the current item (it polls Run.cancel_requested)."""
    try:
        from sqlalchemy import update

        from dxrpa.store.base import Store
        from dxrpa.store.tables import Run

        store = Store(settings.db_url, key_dir=settings.var_dir)
        with store.session() as s:
            s.execute(update(Run).where(Run.id == run_id).values(cancel_requested=True))
        store.dispose()
    except Exception as exc:  # noqa: BLE001 — in a signal handler: report, never raise
        print(f"dxrpa child: could not request cancel of {run_id}: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dxrpa-child")
    parser.add_argument("--robot", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--trigger", default="schedule")
    parser.add_argument("--target", default=DEFAULT_TARGET)
    parser.add_argument("--unit", default=None)  # a shared robot's 区 (engine.units)
    args = parser.parse_args(argv)
    restrict_new_files()  # the run's DB rows, evidence and results: 0600 / 0700
    _die_with_parent()
    if os.getppid() == 1:
        return 1
    raw = os.environ.get(SETTINGS_ENV)
    settings = Settings.model_validate_json(raw) if raw else load_settings()
    terms = {"n": 0}

    def on_term(signum: int, frame: FrameType | None) -> None:
        terms["n"] += 1
        if terms["n"] > 1:
            raise SystemExit(128 + signum)
        _request_cancel(settings, args.run_id)

    signal.signal(signal.SIGTERM, on_term)
    try:
        func = load_target(args.target)
        extra = {"unit": args.unit} if args.unit else {}
        summary = func(settings, args.robot, trigger=args.trigger, run_id=args.run_id, **extra)
    except DxrpaError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    finally:  # the run is closed (its outcome stored): tell whom the rules name; never raises
        after_run(settings, args.run_id)
    status = str(getattr(summary, "status", RunStatus.SUCCEEDED))
    print(f"dxrpa child: run {args.run_id} of {args.robot} ended: {status}", file=sys.stderr)
    if status == RunStatus.SUCCEEDED:
        return 0
    return EXIT_RUN_STOPPED if status in (RunStatus.STOPPED, RunStatus.CANCELLED) else EXIT_RUN_FAILED


if __name__ == "__main__":
    sys.exit(main())
