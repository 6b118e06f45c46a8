"""What one running step works with: the item's :class:`StepContext` and the :class:`StepCall`
(timeout, template scope, locator helpers) every step handler receives.

Kept apart from :mod:`dxrpa.engine.steps` (the executor and its error mapping) so handlers can
live in small modules of their own (:mod:`dxrpa.engine.page_steps`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Undefined
from playwright.async_api import FrameLocator, Page
from playwright.async_api import Locator as PWLocator

from dxrpa.browser.locators import resolve_locator
from dxrpa.browser.session import ContextHandle
from dxrpa.engine.definitions import SECRET_SINKS
from dxrpa.engine.paths import Folders, inside_run_folder
from dxrpa.engine.secrets import refuse_secret
from dxrpa.engine.templating import TemplateProblem, base_scope, evaluate, is_template, render
from dxrpa.errors import RobotDefect
from dxrpa.i18n import tr
from dxrpa.model.robot import Locator, Robot, Step

OcrReader = Callable[[bytes | Path, str | None], Any]  # (image bytes or file, OCR template) → value
RunList = Callable[[list[Step], "StepContext", str], Awaitable[None]]  # steps, context, label prefix
_FALSY = frozenset(
    {"", "false", "0", "no", "off", "none", "null", "n", "f", "いいえ", "無", "なし", "否", "×", "✕"}
)
_ONE_EXPR = re.compile(r"^\s*\{\{((?:(?!\{\{|\}\}).)*)\}\}\s*$", re.DOTALL)


def evaluate_defined(expr: str, scope: Mapping[str, Any]) -> Any:
    """templating.evaluate, but a missing name fails here instead of leaking an Undefined."""
    result = evaluate(expr, scope)
    if isinstance(result, Undefined):
        hint = result._undefined_message  # "'dict object' has no attribute 'x'"
        raise TemplateProblem(
            tr(f"'{expr}': 定義されていません ({hint})", f"'{expr}' is not defined ({hint})")
        )
    return result


def truthy(value: Any) -> bool:
    """Staff-friendly truth: "false", "0", "いいえ", "" and friends are false."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSY
    return bool(value)


@dataclass
class StepContext:
    """Everything a step may read or write while one item (or setup/teardown) runs."""

    page: Page
    robot: Robot
    item: dict[str, Any]
    variables: dict[str, Any]  # set/extract write here; the runner copies robot.outputs from it
    env: Mapping[str, str]
    secrets: Mapping[str, str]  # declared secrets, resolved by the runner
    run: Mapping[str, Any]  # {"id": ..., "dry_run": bool}
    run_folder: Path  # downloads/screenshots only inside it
    dry_run: bool
    timeout_ms: int
    source: str  # robot file path for messages, e.g. "robots/juminhyo_entry.yaml"
    current_step: str | None = None  # "item step 3 (fill)" – updated as steps run (evidence)
    skipped_submits: int = 0
    submit_started: bool = False  # a submit step began: the entry may have gone through (verify first)
    ocr_reader: OcrReader | None = None
    guard: ContextHandle | None = None  # found from the page when the runner does not pass it
    frame_root: FrameLocator | None = None  # set while `frame:` steps run
    locals: dict[str, Any] = field(default_factory=dict)  # for_each bindings (`as`, loop)
    screenshots: list[Path] = field(default_factory=list)  # files written by screenshot steps
    folders: Folders | None = None  # the robot's folders: under home (uploads); None: run folder only


class StepCall:
    """One step being run: its timeout, lazily built template scope and locator helpers;
    ``nested`` runs a list of steps inside it (if/for_each/frame/popup/window)."""

    __slots__ = ("_scope", "ctx", "label", "located", "nested", "step", "subject", "timeout", "where")

    def __init__(
        self, ctx: StepContext, step: Step, action: str, where: str, label: str, nested: RunList
    ) -> None:
        self.ctx = ctx
        self.nested = nested
        self.step = step
        self.where = where
        self.label = label
        self.timeout = step.timeout_ms or ctx.timeout_ms
        self.subject = action
        self.located: Locator | None = None  # the last locator this step looked for
        self._scope: dict[str, Any] | None = None

    @property
    def scope(self) -> dict[str, Any]:
        if self._scope is None:
            c = self.ctx
            scope = base_scope(item=c.item, variables=c.variables, env=c.env, secrets=c.secrets, run=c.run)
            if c.locals:
                scope.update(c.locals)
            self._scope = scope
        return self._scope

    def render(self, text: str) -> str:
        if not is_template(text):
            return text
        rendered = render(text, self.scope)
        self.shown(rendered)
        return rendered

    def shown(self, value: Any) -> Any:
        """``value``, refused (RobotDefect) when this step shows or stores it and it holds a secret."""
        if self.step.action in SECRET_SINKS:
            refuse_secret(value, self.ctx.secrets, self.where)
        return value

    def value(self, raw: Any) -> Any:
        """Render a `set:` value; a lone ``{{ expr }}`` keeps its type (lists, numbers)."""
        if isinstance(raw, str):
            m = _ONE_EXPR.match(raw)
            if m:
                return self.shown(evaluate_defined(m.group(1), self.scope))
            return self.render(raw)
        if isinstance(raw, list):
            return [self.value(v) for v in raw]
        if isinstance(raw, dict):
            return {k: self.value(v) for k, v in raw.items()}
        return raw

    @property
    def root(self) -> Page | FrameLocator:
        return self.ctx.frame_root or self.ctx.page

    async def locate(self, loc: Locator) -> PWLocator:
        rendered = filled(loc, self.render)  # rendered once: errors name the value used, not {{ … }}
        self.subject = rendered.describe()
        self.located = loc
        return await resolve_locator(self.root, rendered, timeout_ms=self.timeout)

    def inside_run_folder(self, relative: str, what: str) -> Path:
        """``run_folder / relative`` with symlinks followed; outside the run folder: RobotDefect."""
        return inside_run_folder(self.ctx.run_folder, relative, what, RobotDefect)


def filled(loc: Locator, render: Callable[[str], str]) -> Locator:
    """``loc`` with its templated strings rendered (``role`` and ``nth`` are never templates)."""
    update: dict[str, Any] = {
        key: render(value)
        for key in ("name", "label", "placeholder", "text", "test_id", "css", "xpath", "frame")
        if (value := getattr(loc, key))
    }
    if loc.any:
        update["any"] = [filled(alt, render) for alt in loc.any]
    return loc.model_copy(update=update)


def url_pattern(pattern: str) -> str | re.Pattern[str]:
    """``re:...`` is a regular expression; a path like ``/done`` matches on any host; else a glob."""
    if pattern.startswith("re:"):
        try:
            return re.compile(pattern[3:])
        except re.error as exc:
            raise RobotDefect(f"invalid regular expression '{pattern[3:]}': {exc}") from exc
    if pattern.startswith("/"):
        return "**" + pattern
    return pattern


def visible(target: PWLocator) -> PWLocator:
    """The first *visible* match (a hidden duplicate earlier in the page must not pin the wait)."""
    return target.locator("visible=true").first
