"""Turn Playwright's "aka" hints (in a strict-mode violation) into dxrpa locators.

When a label names a group (生年月日 over 年/月/日 inputs) or a component, Playwright lists each
match with a locator of its own; staff get those back in the robot file's syntax, ready to paste.
"""

from __future__ import annotations

import json
import re

_AKA = re.compile(r"^\s*\d+\) .*? aka (.+?)\s*$", re.M)
_CALL = re.compile(r"^(get_by_\w+|locator)\((.*)\)$")
_KEYS = {
    "get_by_label": "label",
    "get_by_text": "text",
    "get_by_placeholder": "placeholder",
    "get_by_test_id": "test_id",
    "locator": "css",
}


def _yaml_value(text: str) -> str:
    return (
        json.dumps(text, ensure_ascii=False) if re.search(r"[:#{}\[\],&*!|>'\"%@`]|^\s|\s$", text) else text
    )


def _args(raw: str) -> tuple[list[str], dict[str, str]]:
    """Positional string args and keyword args of a Playwright call as printed (JSON-ish strings)."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for m in re.finditer(r'(?:(\w+)=)?("(?:[^"\\]|\\.)*"|True|False|\d+)', raw):
        key, value = m.group(1), m.group(2)
        text = json.loads(value) if value.startswith('"') else value
        if key:
            named[key] = str(text)
        else:
            positional.append(str(text))
    return positional, named


def as_locator(call: str) -> str:
    """``get_by_role("textbox", name="年")`` → ``{role: textbox, name: 年}``; unknown forms as they are."""
    m = _CALL.match(call.strip())
    if m is None:
        return call
    method, raw = m.groups()
    positional, named = _args(raw)
    if not positional:
        return call
    if method == "get_by_role":
        parts = [f"role: {positional[0]}"]
        if "name" in named:
            parts.append(f"name: {_yaml_value(named['name'])}")
        return "{" + ", ".join(parts) + "}"
    key = _KEYS.get(method)
    if key is None:
        return call
    return "{" + f"{key}: {_yaml_value(positional[0])}" + "}"


def alternatives(playwright_message: str, limit: int = 5) -> list[str]:
    """The matches' own locators from a strict-mode violation, in dxrpa syntax."""
    return [as_locator(aka) for aka in _AKA.findall(playwright_message)[:limit]]
