"""The ``dxrpa`` command line (typer + rich).

Each feature adds its commands from its own module's ``register(app)``; :func:`main` maps every
:class:`~dxrpa.errors.DxrpaError` to one printed line and its named exit code, never a traceback.
"""

from __future__ import annotations

import gc
import sys

import typer

from dxrpa import __version__
from dxrpa.cli.printing import line, plain_console, styled
from dxrpa.cli.usage import is_usage_error, show_usage_error
from dxrpa.engine.paths import restrict_new_files
from dxrpa.errors import DxrpaError, ExitCode
from dxrpa.i18n import set_lang, tr
from dxrpa.log import logger
from dxrpa.log import setup as setup_logging
from dxrpa.store.failures import is_store_failure, to_store_error

app = typer.Typer(
    name="dxrpa",
    help="dxrpa — 自治体向け RPA + AI-OCR / RPA and AI-OCR for municipal back offices",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = plain_console(stderr=True)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    lang: str = typer.Option(None, "--lang", envvar="DXRPA_LANG", help="ja | en"),
    version: bool = typer.Option(False, "--version", help="print the version and exit"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="show progress messages"),
    json_logs: bool = typer.Option(False, "--json-logs", envvar="DXRPA_JSON_LOGS", help="log as JSON lines"),
) -> None:
    if lang:
        set_lang(lang)
    setup_logging(level="INFO" if verbose else "WARNING", json_logs=json_logs)
    if version:
        typer.echo(f"dxrpa {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


#: The feature modules, in the order their commands appear in ``dxrpa --help``.
MODULES = (
    *("core", "skeleton", "author", "ocr", "report", "org"),
    *("schedule", "console", "admin", "assets", "notify"),
)
#: Top-level command → the modules that add to it. A command imports only these, so ``dxrpa
#: secrets set`` does not pay for Playwright, openpyxl and the reports (a test checks this table).
OWNERS: dict[str, tuple[str, ...]] = {
    "demo": ("core",),
    "run": ("core",),
    "runs": ("core",),
    "robots": ("core", "skeleton"),
    "record": ("author",),
    "inspect": ("author",),
    "ocr": ("ocr",),
    "report": ("report",),
    "targets": ("report",),
    "org": ("org",),
    "worker": ("schedule",),
    "scheduler": ("schedule",),
    "schedule": ("schedule",),
    "calendar": ("schedule",),
    "serve": ("console",),
    "users": ("console",),
    "console": ("console",),
    "secrets": ("admin",),
    "audit": ("admin",),
    "assets": ("assets",),
    "notify": ("notify",),
}
_ROOT_FLAGS_WITH_VALUE = ("--lang",)
_registered: set[str] = set()


def command_of(argv: list[str]) -> str | None:
    """The top-level command ``argv`` names, skipping the root options; None for none (help)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _ROOT_FLAGS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _register_all(argv: list[str] | None = None) -> None:
    """Add the commands ``argv`` needs (all of them for help or an unknown command), each module
    once per process: typer appends on each call, and ``main`` runs many times in one process."""
    import importlib

    if argv is not None and command_of(argv) is None and "--version" in argv:
        return  # answered by the root callback: no command module is needed
    wanted = OWNERS.get(command_of(argv) or "", MODULES) if argv is not None else MODULES
    for name in MODULES:
        if name in wanted and name not in _registered:
            importlib.import_module(f"dxrpa.cli.{name}").register(app)
            _registered.add(name)


def _say_error(label: str, text: str) -> None:
    """One red-labelled error line on stderr; ``text`` (often page- or data-derived) printed literally."""
    err_console.print(line(styled(f"{label}:", "bold red"), f" {text}"), highlight=False, soft_wrap=True)


def _lang_from(argv: list[str]) -> None:
    """Honour ``--lang`` before parsing, so an unknown command is already told in that language."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            set_lang(argv[i + 1])
        elif arg.startswith("--lang="):
            set_lang(arg.split("=", 1)[1])


def ready() -> None:
    """Start-up is over: freeze what it allocated and turn the cyclic GC back on (paused by
    :mod:`dxrpa.entry`; a no-op when it runs)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


#: Commands that import more once they start and call :func:`ready` themselves.
_READY_LATER = frozenset({"run"})


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    restrict_new_files()  # DB, evidence, results, reports: 0600 / 0700 (console, scheduler, worker too)
    args = argv if argv is not None else sys.argv[1:]
    _lang_from(args)
    try:
        _register_all(args)
        if command_of(args) not in _READY_LATER:
            ready()
        code = app(args=args, prog_name="dxrpa", standalone_mode=False)  # typer.Exit code comes back
        return int(code) if isinstance(code, int) else 0
    except DxrpaError as exc:
        _say_error(tr("エラー", "error"), str(exc))
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print(tr("中断しました", "aborted"))
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        err_console.print(tr("中断しました", "interrupted"))
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 — a bug: keep the traceback in the log, one line on screen
        if is_usage_error(exc):  # typer/click usage problems
            show_usage_error(exc)
            return int(ExitCode.USAGE)
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):  # other click problems
            show()
            return int(ExitCode.USAGE)
        if is_store_failure(exc):  # a database error that escaped the store adapter: no SQL text
            logger.opt(exception=exc).debug("database error outside the store adapter")
            mapped = to_store_error(exc, "")  # type: ignore[arg-type]
            _say_error(tr("エラー", "error"), str(mapped))
            return int(mapped.exit_code)
        logger.opt(exception=exc).debug("unexpected error")
        _say_error(tr("内部エラー", "internal error"), f"{type(exc).__name__}: {exc}")
        return int(ExitCode.INTERNAL)
    finally:
        ready()
        _close_apps()


def _close_apps() -> None:
    """Close the store connections the command opened (not importing dxrpa.app where none was)."""
    opened = sys.modules.get("dxrpa.app")
    if opened is not None:
        opened.close_apps()


def run() -> None:  # pragma: no cover - the console script before dxrpa.entry
    sys.exit(main())
