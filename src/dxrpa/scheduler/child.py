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
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from dxrpa.config import Settings, load_settings
from dxrpa.engine.paths import restrict_new_files
from dxrpa.errors import DxrpaError, ExitCode
from dxrpa.log import redact
from dxrpa.model.status import RunStatus
from dxrpa.notify.hooks import after_run
from dxrpa.scheduler.launcher import DEFAULT_TARGET, SETTINGS_ENV, exit_code_for

__all__ = ["DEFAULT_TARGET", "SETTINGS_ENV", "main"]


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
    parser.add_argument("--by", default="")  # console: who asked for the run
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--no-submit-steps-ok", action="store_true")
    parser.add_argument("--reprocess", action="append", default=[])
    parser.add_argument("--err-file", default=None)  # console: errors before the run, for its page
    args = parser.parse_args(argv)
    restrict_new_files()  # the run's DB rows, evidence and results: 0600 / 0700
    _die_with_parent()
    if os.getppid() == 1:
        return int(ExitCode.INTERNAL)
    raw = os.environ.get(SETTINGS_ENV)
    settings = Settings.model_validate_json(raw) if raw else load_settings()
    if args.trigger == "console":
        from dxrpa.log import setup

        setup(level="WARNING", console=True)
    terms = {"n": 0}

    def on_term(signum: int, frame: FrameType | None) -> None:
        terms["n"] += 1
        if terms["n"] > 1:
            raise SystemExit(128 + signum)
        # in a thread: the handler interrupts the main thread, which may hold a store transaction
        threading.Thread(target=_request_cancel, args=(settings, args.run_id), daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    try:
        func = load_target(args.target)
        summary = func(settings, args.robot, trigger=args.trigger, run_id=args.run_id, **_extra(args))
    except DxrpaError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        if args.err_file:
            err = Path(args.err_file)
            err.parent.mkdir(parents=True, exist_ok=True)
            err.write_text(redact(str(exc)), encoding="utf-8")
        return int(exc.exit_code)
    finally:  # the run is closed (its outcome stored): tell whom the rules name; never raises
        after_run(settings, args.run_id)
    status = str(getattr(summary, "status", RunStatus.SUCCEEDED))
    print(f"dxrpa child: run {args.run_id} of {args.robot} ended: {status}", file=sys.stderr)
    return int(exit_code_for(status))


def _extra(args: argparse.Namespace) -> dict[str, Any]:
    """Run options beyond the scheduler's, passed only when set (test targets take **kwargs)."""
    extra: dict[str, Any] = {}
    if args.unit:
        extra["unit"] = args.unit
    if args.by:
        extra["requested_by"] = args.by
    if args.dry_run:
        extra["dry_run"] = True
    if args.no_submit_steps_ok:
        extra["allow_no_submit"] = True
    if args.reprocess:
        extra["reprocess"] = tuple(args.reprocess)
    return extra


if __name__ == "__main__":
    sys.exit(main())
