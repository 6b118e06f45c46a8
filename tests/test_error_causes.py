"""Errors translated at an adapter keep their cause (``raise … from exc``) for the debug log,
and the CLI still prints only the one-line message: no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dxrpa.config import load_settings
from dxrpa.errors import ConfigError, ExitCode


def test_a_translated_error_keeps_its_cause(tmp_path: Path) -> None:
    bad = tmp_path / "dxrpa.toml"
    bad.write_text("[browser\nheadless = true\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(bad, env={})
    assert isinstance(info.value.__cause__, tomllib.TOMLDecodeError)


def test_the_cli_prints_no_traceback_for_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "dxrpa.toml"
    bad.write_text("[browser\nheadless = true\n", encoding="utf-8")
    env = {**os.environ, "DXRPA_CONFIG": str(bad), "DXRPA_HOME": str(tmp_path)}
    code = "import sys; from dxrpa.cli import main; sys.exit(main(['robots', 'list']))"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == ExitCode.CONFIG, proc.stderr
    assert "dxrpa.toml" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
