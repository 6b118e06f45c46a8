"""Command-line usage mistakes told in the user's language.

Click (vendored inside newer typer releases, so matched here by class name) words its usage
errors in English. Under ``lang = ja`` staff get the same facts in Japanese: what is wrong (a
missing argument, an unknown option or command with the closest ones, a value of the wrong
kind), the command's usage line and where its help is.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from dxrpa.i18n import get_lang

_EXTRA = re.compile(r"unexpected extra argument(?:s|\(s\))? \((.*)\)")
_NEEDS_VALUE = re.compile(r"[Oo]ption '([^']+)' requires (?:an argument|(\d+) arguments)")
_NO_VALUE = re.compile(r"[Oo]ption '([^']+)' does not take a value")
_KINDS = (  # click's / typer's English about a value, and what to ask for instead
    ("integer", "整数で指定してください"),
    ("number", "数値で指定してください"),
    ("float", "数値で指定してください"),
    ("date", "日付の形式で指定してください"),
    ("does not exist", "そのファイル・フォルダはありません"),
    ("is a directory", "フォルダではなくファイルを指定してください"),
)


def is_usage_error(exc: BaseException) -> bool:
    return _kind(exc, "UsageError")


def _kind(exc: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(exc).__mro__)


def _hint(exc: Any) -> str:
    param = getattr(exc, "param", None)
    if param is None:
        return str(getattr(exc, "param_hint", None) or "")
    if _is_option(param):
        return "/".join(param.opts)
    return str(getattr(param, "human_readable_name", None) or param.name)


def _closest(exc: Any) -> str:
    options = getattr(exc, "possibilities", None)
    return f"(もしかして: {', '.join(options)})" if options else ""


def _bad_value(exc: Any) -> str:
    detail = str(exc.message)
    choices = getattr(getattr(getattr(exc, "param", None), "type", None), "choices", None)
    if choices:
        ask = f"次のどれかを指定してください — {', '.join(map(str, choices))}"
    else:
        ask = next((ja for en, ja in _KINDS if en in detail.lower()), detail)
    return f"{_hint(exc)} の値が正しくありません: {ask}。"


def japanese_message(exc: Any) -> str:
    """The error line of the usage error ``exc`` in Japanese."""
    message = str(getattr(exc, "message", exc))
    if _kind(exc, "MissingParameter"):
        option = getattr(exc, "param_type", None) == "option" or _is_option(getattr(exc, "param", None))
        return f"{'オプション' if option else '引数'} {_hint(exc)} を指定してください。"
    if _kind(exc, "NoSuchOption"):
        return f"{exc.option_name} というオプションはありません。{_closest(exc)}"
    if _kind(exc, "NoSuchCommand") or message.startswith("No such command"):
        name = getattr(exc, "command_name", None) or message.split("'")[1:2] or ["?"]
        name = name if isinstance(name, str) else name[0]
        return f"'{name}' というコマンドはありません。{_closest(exc) or _did_you_mean(message)}"
    if _kind(exc, "BadParameter"):
        return _bad_value(exc)
    if m := _EXTRA.search(message):
        return f"余分な引数があります: {m.group(1)}(空白を含む値は引用符で囲んでください)。"
    if m := _NEEDS_VALUE.search(message):
        count = f" {m.group(2)} 個" if m.group(2) else ""
        return f"オプション {m.group(1)} には値が{count}必要です。"
    if m := _NO_VALUE.search(message):
        return f"オプション {m.group(1)} は値をとりません。"
    if message == "Missing command.":
        return "コマンドを指定してください。"
    return f"使い方が正しくありません: {message}"


def _is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", None) == "option"


def _did_you_mean(message: str) -> str:
    """typer appends ``Did you mean 'run', 'runs'?`` to click's message."""
    m = re.search(r"Did you mean (.*)\?", message)
    return f"(もしかして: {m.group(1)})" if m else ""


def show_usage_error(exc: Any) -> None:
    """Print ``exc`` as click does (usage line, help hint, error line), in Japanese under ``ja``."""
    if get_lang() != "ja":
        exc.show()
        return
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        print(ctx.get_usage().replace("Usage:", "使い方:", 1), file=sys.stderr)
        if ctx.command.get_help_option(ctx) is not None:
            print(f"詳しくは '{ctx.command_path} --help' を見てください。", file=sys.stderr)
        print(file=sys.stderr)
    print(f"エラー: {japanese_message(exc)}", file=sys.stderr)
