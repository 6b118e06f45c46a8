"""The README's example robot is the shipped robot file, word for word (which the demo and the
end-to-end tests run against the sample app), so what staff copy from the README works."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_robot_is_the_shipped_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(name: juminhyo_entry\n.*?|#[^\n]*\n.*?)```", readme, re.S)
    assert block is not None, "no robot example in README.md"
    shipped = (ROOT / "robots" / "juminhyo_entry.yaml").read_text(encoding="utf-8")
    assert block.group(1) == shipped
