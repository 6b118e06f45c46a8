"""Bad notify.yaml: a clear error naming the file, line and field, a named exit code, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dxrpa.cli import main
from dxrpa.config import Settings
from dxrpa.errors import DefinitionError, ExitCode
from dxrpa.notify.config import load_notify_config
from dxrpa.scheduler.service import run_scheduler
from dxrpa.store.base import Store
from dxrpa.store.notify_tables import NotifyOutbox
from dxrpa.store.schedule_tables import ScheduleEvent, SchedulerLockRow

from .conftest import WriteConfig

GOOD = """\
smtp:
  host: smtp.city.local
channels:
  mail:
    type: mail
    to: [kakari@city.example.lg.jp]
  chat:
    type: teams
    url: https://city.webhook.office.com/workflows/abc
rules:
  - events: [run_failed]
    channels: [mail, chat]
"""


def _error(path: Path) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        load_notify_config(path)
    return info.value


def test_good_config_loads(write_config: WriteConfig, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(GOOD)
    config = load_notify_config(path)
    assert config.channels["chat"].type == "teams" and config.smtp.port == 25
    assert main(["notify", "check"]) == 0
    assert "問題ありません" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("events: [run_failed]", "events: [run_faild]", 11, ["不明なイベント 'run_faild'", "'run_failed'"]),
        ("to: [kakari@city.example.lg.jp]", "to: [kakari@@city]", 6, ["channels.mail.to", "'kakari@@city'"]),
        ("url: https://city.webhook.office.com/workflows/abc", "url: ftp://city.local/x", 9,
         ["channels.chat.url", "http:// か https://"]),
        ("  host: smtp.city.local\n", "  port: 25\n", 2, ["'smtp.host'", "'mail'", "SMTP"]),
        ("channels: [mail, chat]", "channels: [mail, chta]", 12, ["'chta'", "もしかして 'chat'"]),
    ],
)  # fmt: skip
def test_bad_field_is_named_with_file_and_line(
    write_config: WriteConfig, old: str, new: str, line: int, words: list[str]
) -> None:
    assert old in GOOD
    path = write_config(GOOD.replace(old, new))
    err = _error(path)
    assert err.path == str(path) and err.line == line, str(err)
    for word in words:
        assert word in str(err)


def test_cli_exit_code_and_nothing_written(
    write_config: WriteConfig, nsettings: Settings, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(GOOD.replace("run_failed", "run_broke"))
    assert main(["notify", "check"]) == ExitCode.DEFINITION
    err = capsys.readouterr().err
    assert f"{path}:11" in err and "run_broke" in err and "Traceback" not in err
    # the scheduler refuses to start on it: no lock taken, no event written, no outbox row
    with pytest.raises(DefinitionError):
        run_scheduler(nsettings, store)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(SchedulerLockRow)) == 0
        assert s.scalar(select(func.count()).select_from(ScheduleEvent)) == 0
        assert s.scalar(select(func.count()).select_from(NotifyOutbox)) == 0


def test_english_messages(write_config: WriteConfig, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(GOOD.replace("run_failed", "run_faild"))
    assert main(["--lang", "en", "notify", "check"]) == ExitCode.DEFINITION
    assert "unknown event 'run_faild' — did you mean 'run_failed'?" in capsys.readouterr().err


def test_missing_config_is_a_config_error(dx_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notify", "test"]) == ExitCode.CONFIG
    assert "notify.yaml" in capsys.readouterr().err


def test_shipped_example_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "configs" / "notify.example.yaml"
    config = load_notify_config(example)
    assert {c.type for c in config.channels.values()} == {"mail", "teams", "lineworks", "slack"}
    assert config.rules[0].departments == ["市民課"]
