"""Step values are Jinja2 templates rendered in a sandbox with strict undefined names.

Names available to a template: ``item`` (the current data row), ``vars`` (values set or extracted
by steps), ``env`` (the environment variables the robot declares under ``env:``), ``secret``
(declared secrets only), ``run`` (id, dry_run) and ``today`` (a date). A template that refers to a
missing column or variable fails naming it.

Rendering has a hard budget (:data:`MAX_OPERATIONS` loop iterations and calls,
:data:`MAX_SECONDS` of wall time, :data:`MAX_OUTPUT` characters, bounded ``*``/``**``/``%``): the
engine renders on the event loop thread, where neither the item time limit nor SIGTERM can
interrupt a CPU-bound template, so the template itself must stop. Every ``{% for %}`` iterable is
wrapped in a counting iterator at compile time and every call passes the sandbox's ``call``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OPERATIONS = 1_000_000  # loop iterations + calls per render
MAX_SECONDS = 2.0  # wall time per render
MAX_OUTPUT = 1_000_000  # characters of output (and of one string/list built by * or %)
_BUDGET_NAME = "dxrpa_budget_iter"
_FORMAT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\d+|\*)?(?:\.(\d+|\*))?")


class TemplateProblem(ValueError):
    """A template that cannot compile or render; the message names what is wrong."""


class _BudgetExceeded(Exception):
    """Raised inside a render that used up its budget; turned into a TemplateProblem."""


class _Budget(threading.local):
    """The running render's remaining operations and deadline (per thread; none outside a render)."""

    def __init__(self) -> None:
        self.active = False
        self.ops = 0
        self.deadline = 0.0

    def start(self) -> None:
        self.active, self.ops, self.deadline = True, 0, time.monotonic() + MAX_SECONDS

    def tick(self) -> None:
        if not self.active:
            return
        self.ops += 1
        if self.ops > MAX_OPERATIONS:
            raise _BudgetExceeded(f"more than {MAX_OPERATIONS:,} loop steps or calls")
        if self.ops % 1024 == 0:
            self.check_time()

    def check_time(self) -> None:
        if self.active and time.monotonic() > self.deadline:
            raise _BudgetExceeded(f"more than {MAX_SECONDS:g} s")


_budget = _Budget()


def _budget_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    for value in iterable:
        _budget.tick()
        yield value


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


class _BudgetedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox plus a per-render operation/time budget and bounded size-multiplying operators."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name(_BUDGET_NAME, "load"), [loop.iter], [], None, None)
        return tree

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _budget.tick()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(n, int) and size * n > MAX_OUTPUT:
                    raise _BudgetExceeded(f"a value longer than {MAX_OUTPUT:,}")
        elif operator == "**":
            if isinstance(right, int) and abs(right) > 64 and not (isinstance(left, int) and abs(left) <= 1):
                raise _BudgetExceeded("an exponent above 64")
        elif operator == "%" and isinstance(left, str):
            widths = [w for pair in _FORMAT_WIDTH.findall(left) for w in pair if w]
            if any(w == "*" or int(w) > 10_000 for w in widths):
                raise _BudgetExceeded("a format width above 10,000")
            result = super().call_binop(context, operator, left, right)
            if len(result) > MAX_OUTPUT:
                raise _BudgetExceeded(f"a value longer than {MAX_OUTPUT:,}")
            return result
        return super().call_binop(context, operator, left, right)


_env = _BudgetedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_env.globals[_BUDGET_NAME] = _budget_iter


def _zfill(value: Any, width: Any) -> str:
    if int(width) > MAX_OUTPUT:
        raise _BudgetExceeded(f"a value longer than {MAX_OUTPUT:,}")
    return str(value).zfill(int(width))


_env.filters["zfill"] = _zfill
_env.filters["digits"] = lambda v: "".join(c for c in str(v) if c.isdigit())


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@lru_cache(maxsize=4096)
def _compile(text: str) -> Any:
    try:
        return _env.from_string(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error in '{text}': {exc.message}") from exc


@lru_cache(maxsize=1024)
def _compile_expr(expr: str) -> Any:
    try:
        return _env.compile_expression(expr, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"expression syntax error in '{expr}': {exc.message}") from exc


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."


def _over_budget(text: str, exc: BaseException) -> TemplateProblem:
    what = str(exc) if isinstance(exc, _BudgetExceeded) else "too deep recursion or too much memory"
    return TemplateProblem(
        f"template '{_short(text)}' exceeds the rendering budget ({what}): simplify the template"
    )


def _bounded(text: str, work: Any) -> Any:
    """Run ``work()`` under a fresh budget (a nested render shares the outer one)."""
    if _budget.active:
        return work()
    _budget.start()
    try:
        return work()
    except (_BudgetExceeded, RecursionError, MemoryError) as exc:
        raise _over_budget(text, exc) from exc
    finally:
        _budget.active = False


def _render_chunks(template: Any, scope: Mapping[str, Any]) -> str:
    out: list[str] = []
    size = 0
    for chunk in template.generate(scope):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise _BudgetExceeded(f"more than {MAX_OUTPUT:,} characters of output")
        _budget.check_time()
        out.append(chunk)
    return "".join(out)


def render(text: str, scope: Mapping[str, Any]) -> str:
    """Render a template string; plain strings pass through untouched (fast path)."""
    if not is_template(text):
        return text
    template = _compile(text)
    try:
        return str(_bounded(text, lambda: _render_chunks(template, scope)))
    except UndefinedError as exc:
        raise TemplateProblem(f"'{text}': {_explain_undefined(exc)}") from exc


def evaluate(expr: str, scope: Mapping[str, Any]) -> Any:
    """Evaluate a bare Jinja expression (``if: condition``, ``for_each: in``)."""
    expr = expr.strip()
    if expr.startswith("{{") and expr.endswith("}}"):
        expr = expr[2:-2].strip()
    compiled = _compile_expr(expr)
    try:
        value = _bounded(expr, lambda: compiled(**scope))
    except UndefinedError as exc:
        raise TemplateProblem(f"'{expr}': {_explain_undefined(exc)}") from exc
    if isinstance(value, Undefined):
        raise TemplateProblem(f"'{expr}': {_explain_undefined(UndefinedError(value._undefined_message))}")
    return value


def _explain_undefined(exc: UndefinedError) -> str:
    msg = str(exc.message or exc)
    # "'dict object' has no attribute '氏名'" → say which column is missing
    if "has no attribute" in msg:
        name = msg.rsplit("has no attribute", 1)[1].strip(" '\"")
        return f"'{name}' is not defined (a missing data column or variable)"
    return msg


def validate_syntax(text: str) -> None:
    if is_template(text):
        _compile(text)


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _tree(text: str) -> nodes.Template | None:
    """The parsed template, or None for plain text or a syntax error (reported elsewhere)."""
    if not is_template(text):
        return None
    try:
        return _env.parse(text)
    except TemplateSyntaxError:
        return None


def references(text: str, root: str) -> set[str]:
    """Attribute names used on ``root`` (``item.氏名`` → {"氏名"}; ``item['x']`` too)."""
    tree = _tree(text)
    if tree is None:
        return set()
    found: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == root:
            found.add(node.attr)
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.node, nodes.Name)
            and node.node.name == root
            and isinstance(node.arg, nodes.Const)
        ):
            found.add(str(node.arg.value))
    return found


def bare_use(text: str, root: str) -> bool:
    """Whether ``root`` is used other than as ``root.NAME`` / ``root['NAME']`` (``{{ secret }}``,
    ``secret[item.x]``, ``secret|list``): such a use can reach values that were never declared."""
    tree = _tree(text)
    if tree is None:
        return False
    direct: set[int] = set()
    for node in _walk(tree):
        if (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)) or (
            isinstance(node, nodes.Getitem)
            and isinstance(node.node, nodes.Name)
            and isinstance(node.arg, nodes.Const)
        ):
            direct.add(id(node.node))
    return any(
        isinstance(node, nodes.Name) and node.name == root and node.ctx == "load" and id(node) not in direct
        for node in _walk(tree)
    )


def transformed_use(text: str, root: str) -> bool:
    """Whether a ``root.NAME`` value is anything but printed whole (``{{ secret.X }}``): a filter,
    slice, operator, test or method on it (``secret.X|reverse``, ``secret.X[:4]``, ``secret.X|join('.')``)
    makes a form of the value that no redactor can know, so it could reach a log or an output."""
    tree = _tree(text)
    if tree is None:
        return False

    def on_root(node: nodes.Node) -> bool:
        return isinstance(node, nodes.Getattr | nodes.Getitem) and (
            isinstance(node.node, nodes.Name) and node.node.name == root
        )

    def visit(node: nodes.Node, parent: nodes.Node | None) -> bool:
        if on_root(node):
            return not isinstance(parent, nodes.Output)
        return any(visit(child, node) for child in node.iter_child_nodes())

    return visit(tree, None)


def base_scope(
    *,
    item: Mapping[str, Any],
    variables: Mapping[str, Any],
    env: Mapping[str, str],
    secrets: Mapping[str, str],
    run: Mapping[str, Any],
) -> dict[str, Any]:
    return {"item": item, "vars": variables, "env": env, "secret": secrets, "run": run, "today": date.today()}
