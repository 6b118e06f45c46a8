"""Rich output that never reads markup out of data.

Robot names, messages, page titles and file names often hold square brackets (``[/備考]``), which rich
would parse as markup and crash on (``MarkupError``) or silently restyle. Every CLI console is therefore
made with ``markup=False``; the few intended styles are applied with :func:`styled` / :func:`line`
instead of markup tags, so data is always printed literally.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text


def plain_console(**options: Any) -> Console:
    """A console that prints every string literally (no markup); styles come from :func:`styled`."""
    return Console(markup=False, **options)


def styled(text: str, style: str) -> Text:
    """``text`` printed literally in ``style`` (e.g. ``"green"``), also inside table cells."""
    return Text(text, style=style)


def line(*parts: str | Text) -> Text:
    """One printed line from literal strings and :func:`styled` pieces."""
    return Text.assemble(*parts)
