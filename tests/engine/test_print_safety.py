"""Issue 17: page-, data- and robot-derived text holding square brackets is printed literally by the
CLI (rich would read it as markup and crash with ``MarkupError``)."""

from __future__ import annotations

from pathlib import Path

from dxrpa.errors import ExitCode
from tests.engine.test_bad_input import check_error, dx, write_robot

TRICKY = "[/備考] [bold]太字[/bold] [link=http://x]y[/link] [/x]"

ROBOT = f"""
name: brackets
title: "{TRICKY}"
department: "市民課 [/課]"
baseline: {{minutes_per_item: 1}}
browser: {{headless: true, allowed_domains: [127.0.0.1, localhost]}}
env: [APP_URL]
data:
  key: 番号
  items:
    - {{番号: "[bold]1", 備考: "[/x]"}}
item:
  - log: "備考 {{{{ item.備考 }}}} [/x]"
  - goto: "{{{{ env.APP_URL }}}}/login"
  - expect: {{text: この文字はない, business_error: "{TRICKY}"}}
    name: "確認 [/x]"
    timeout_ms: 500
"""


def test_brackets_in_messages_titles_and_keys_print_literally(robot_env: Path) -> None:
    write_robot(robot_env, ROBOT, name="brackets")
    registered = dx(robot_env, "robots", "register", "robots/brackets.yaml")
    assert registered.returncode == 0, registered.stdout + registered.stderr
    result = dx(robot_env, "--verbose", "run", "brackets")
    check_error(result, ExitCode.ITEMS_FAILED, TRICKY, "[bold]1", "確認 [/x]")
    assert "MarkupError" not in result.stdout + result.stderr


def test_error_line_with_brackets_prints_literally(robot_env: Path) -> None:
    write_robot(robot_env, 'name: x\nitem:\n  - "[/x] [bold]": {}\n', name="broken")
    result = dx(robot_env, "robots", "validate", "robots/broken.yaml")
    check_error(result, ExitCode.DEFINITION, "[/x] [bold]")
