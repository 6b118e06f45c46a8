"""Issue 16: Assets — per-environment values (本番 / 検証) of the env: names robots declare, set in
the CLI and audited without their values; a run takes the configured environment's asset over the
process environment variable; names that look like secrets are refused (they go to the secret store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dxrpa.cli import main
from dxrpa.config import load_settings
from dxrpa.demo.data import juminhyo_rows, write_xlsx
from dxrpa.demo.webapp import SampleApp
from dxrpa.errors import ExitCode
from dxrpa.store import Store
from dxrpa.store.tables import AuditRow


def test_a_run_uses_the_asset_of_its_environment(
    robot_env: Path,
    sample_app: SampleApp,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("APP_URL", "http://127.0.0.1:9/nothing-here")  # the asset must win over this
    write_xlsx(robot_env / "data" / "juminhyo.xlsx", juminhyo_rows(1, seed=31))
    assert main(["robots", "register", "robots/juminhyo_entry.yaml", "--yes"]) == 0
    assert main(["assets", "set", "APP_URL", sample_app.url, "--env", "本番"]) == 0
    assert main(["assets", "set", "APP_URL", "http://kensho.example.lg.jp/", "--env", "staging"]) == 0
    capsys.readouterr()
    assert main(["assets", "list"]) == 0
    out = capsys.readouterr().out
    assert sample_app.url in out and "検証" in out and "本番 *" in out

    assert main(["run", "juminhyo_entry"]) == 0
    assert len(sample_app.applications()) == 1

    assert main(["assets", "set", "APP_PASSWORD", "hunter2"]) == ExitCode.USAGE
    assert "dxrpa secrets set" in capsys.readouterr().err
    assert main(["assets", "set", "app url", "x"]) == ExitCode.USAGE
    assert main(["assets", "set", "APP_URL", "x", "--env", "開発"]) == ExitCode.USAGE
    assert "本番" in capsys.readouterr().err
    assert main(["assets", "delete", "APP_URL", "--env", "検証"]) == 0
    store = Store(load_settings().db_url)
    with store.session() as s:
        audit = [(r.action, r.subject, r.detail) for r in s.scalars(select(AuditRow))]
    store.dispose()
    assets = [a for a in audit if a[0].startswith("asset.")]
    assert [(a, subj) for a, subj, _ in assets] == [
        ("asset.set", "production/APP_URL"),
        ("asset.set", "staging/APP_URL"),
        ("asset.delete", "staging/APP_URL"),
    ]
    assert sample_app.url not in str(assets) and "kensho" not in str(assets)  # names only, no values
