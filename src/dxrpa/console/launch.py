"""One console-requested run in its own process: ``python -m dxrpa.console.launch --robot N --run-id R``.

A separate process keeps the browser and the run's CPU out of the web server (and its GIL); the
run writes its Run/ItemAttempt rows as usual, which the console polls. Errors found before the
run starts (robot not registered, data missing, secret unset) are written to ``R.err`` beside the
launch log so the run page can show them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dxrpa.config import Settings, load_settings
from dxrpa.engine.paths import restrict_new_files
from dxrpa.errors import DxrpaError
from dxrpa.log import redact

SETTINGS_ENV = "DXRPA_CONSOLE_SETTINGS"


def launch_dir(settings: Settings) -> Path:
    return settings.var_dir / "console" / "launch"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dxrpa-console-launch")
    parser.add_argument("--robot", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--by", default="")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--no-submit-steps-ok", action="store_true")
    parser.add_argument("--reprocess", action="append", default=[])
    parser.add_argument("--unit", default=None)  # a shared robot's 区
    args = parser.parse_args(argv)
    restrict_new_files()  # the run's DB rows, evidence and results: 0600 / 0700
    raw = os.environ.get(SETTINGS_ENV)
    settings = Settings.model_validate_json(raw) if raw else load_settings()
    from dxrpa.engine.runner import RunOptions, run_robot
    from dxrpa.log import setup

    setup(level="WARNING", console=True)
    opts = RunOptions(
        trigger="console",
        dry_run=args.dry_run,
        allow_no_submit=args.no_submit_steps_ok,
        reprocess=tuple(args.reprocess),
        requested_by=args.by,
        run_id=args.run_id,
        unit=args.unit,
    )
    try:
        summary = run_robot(settings, args.robot, options=opts)
    except DxrpaError as exc:
        err = launch_dir(settings) / f"{args.run_id}.err"
        err.parent.mkdir(parents=True, exist_ok=True)
        err.write_text(redact(str(exc)), encoding="utf-8")
        return int(exc.exit_code)
    print(f"run {summary.run_id}: {summary.status}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
