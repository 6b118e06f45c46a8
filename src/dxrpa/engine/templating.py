"""Step values are Jinja2 templates rendered in a sandbox with strict undefined names.

Names available to a template: ``item`` (the current data row), ``vars`` (values set or extracted
by steps), ``env`` (environment variables), ``secret`` (declared secrets only), ``run`` (id, dry_run)
and ``today`` (a date). A template that refers to a missing column or variable fails naming it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_env.filters["zfill"] = lambda v, n: str(v).zfill(int(n))
_env.filters["digits"] = lambda v: "".join(c for c in str(v) if c.isdigit())


class TemplateProblem(ValueError):
    """A template that cannot compile or render; the message names what is wrong."""


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@lru_cache(maxsize=4096)
def _compile(text: str) -> Any:
    try:
        return _env.from_string(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error in '{text}': {exc.message}") from None


@lru_cache(maxsize=1024)
def _compile_expr(expr: str) -> Any:
    try:
        return _env.compile_expression(expr, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"expression syntax error in '{expr}': {exc.message}") from None


def render(text: str, scope: Mapping[str, Any]) -> str:
    """Render a template string; plain strings pass through untouched (fast path)."""
    if not is_template(text):
        return text
    try:
        return str(_compile(text).render(scope))
    except UndefinedError as exc:
        raise TemplateProblem(f"'{text}': {_explain_undefined(exc)}") from None


def evaluate(expr: str, scope: Mapping[str, Any]) -> Any:
    """Evaluate a bare Jinja expression (``if: condition``, ``for_each: in``)."""
    expr = expr.strip()
    if expr.startswith("{{") and expr.endswith("}}"):
        expr = expr[2:-2].strip()
    try:
        value = _compile_expr(expr)(**scope)
    except UndefinedError as exc:
        raise TemplateProblem(f"'{expr}': {_explain_undefined(exc)}") from None
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


def references(text: str, root: str) -> set[str]:
    """Attribute names used on ``root`` (``item.氏名`` → {"氏名"}; ``item['x']`` too)."""
    if not is_template(text):
        return set()
    try:
        tree = _env.parse(text)
    except TemplateSyntaxError:
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


def base_scope(
    *,
    item: Mapping[str, Any],
    variables: Mapping[str, Any],
    env: Mapping[str, str],
    secrets: Mapping[str, str],
    run: Mapping[str, Any],
) -> dict[str, Any]:
    return {"item": item, "vars": variables, "env": env, "secret": secrets, "run": run, "today": date.today()}
