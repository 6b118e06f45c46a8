"""Each command loads only the CLI modules that add to it (``dxrpa.cli.OWNERS``): the table must
give every top-level command the same subcommands as loading everything does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dxrpa.cli import MODULES, OWNERS

_TREE = """
import json, sys
import typer
from dxrpa import cli
cli._register_all(sys.argv[1:] or None)
def walk(cmd):
    subs = getattr(cmd, "commands", {})
    return {name: walk(sub) for name, sub in sorted(subs.items())}
print(json.dumps(walk(typer.main.get_command(cli.app))))
"""


def _tree(*argv: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _TREE, *argv], capture_output=True, text=True, check=True, timeout=120
    )
    tree: dict[str, object] = json.loads(out.stdout)
    return tree


@pytest.mark.slow
def test_every_command_gets_all_its_subcommands_from_its_owner_modules() -> None:
    full = _tree()
    assert set(full) == set(OWNERS), "every top-level command needs an OWNERS entry (and no more)"
    for name in OWNERS:
        assert set(OWNERS[name]) <= set(MODULES)
        assert _tree(name, "--help")[name] == full[name], name


def test_a_command_does_not_import_what_it_does_not_use() -> None:
    probe = "import sys; from dxrpa.cli import main; main(['secrets', '--help']); print(sorted(sys.modules))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = run.stdout
    for heavy in ("'playwright'", "'openpyxl'", "'dxrpa.reports'", "'rapidocr"):
        assert heavy not in loaded, heavy


def test_version_loads_no_command_module() -> None:
    probe = "import sys; from dxrpa.cli import main; main(['--version']); print(sorted(sys.modules))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.startswith("dxrpa "), run.stdout
    assert "'dxrpa.cli.core'" not in run.stdout and "'playwright'" not in run.stdout


def test_start_up_pauses_the_gc_and_every_command_turns_it_back_on(tmp_path: Path) -> None:
    """``dxrpa.entry`` pauses the cyclic GC for the imports; every command turns it back on once its
    imports are done (``run`` after importing the engine), or a long run would never collect a cycle."""
    probe = (
        "import gc, sys; gc.disable(); import dxrpa.cli as c; first = [];"
        "orig = c.ready; seen = lambda: first or first.append('dxrpa.engine.runner' in sys.modules);"
        "c.ready = lambda: (seen(), orig());"
        "code = c.main(sys.argv[1:]); print(gc.isenabled(), first[0])"
    )
    for argv, runner_loaded in ((["--version"], False), (["robots", "list"], False), (["run", "x"], True)):
        out = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, cwd=tmp_path
        )
        enabled, loaded_at_ready = out.stdout.split()[-2:]
        assert enabled == "True", (argv, out.stdout, out.stderr)
        assert loaded_at_ready == str(runner_loaded), (argv, out.stdout, out.stderr)
