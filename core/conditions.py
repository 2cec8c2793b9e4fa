"""A small, safe condition language for plays, the renewal timeline and the forecast.

Teams write conditions in YAML as one-line expressions over named facts::

    alert.usage_decline and alert.usage_decline.change <= -0.5
    arr > 5000 and band in ('Yellow', 'Orange', 'Red')

The text is parsed with Python's own parser and then only a whitelist of node
kinds is accepted: ``and``/``or``/``not``, comparisons (``== != < <= > >= in
not in``), names with dotted paths, numbers, strings, ``true``/``false``/
``none`` and tuples or lists of literals. There are no calls, no subscripts and
no arithmetic, so a condition can read facts but never run anything. Names are
checked against the fact vocabulary when the configuration loads, so a typo is
an error that names the key, not a condition that is silently never true.

A missing fact is ``None``: ordering comparisons with ``None`` are false, so
``band in ('Orange', 'Red')`` is simply false for an account with no scorecard.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_LITERALS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}
_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ConditionError(ValueError):
    """A condition does not parse, uses something outside the language, or names an unknown fact."""


def _path(node: ast.expr) -> str | None:
    """``alert.usage_decline.change`` for a chain of attributes over a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


@dataclass(frozen=True)
class Condition:
    """A parsed condition; ``names`` are the fact paths it reads, for validation and for evidence."""

    source: str
    tree: ast.Expression
    names: tuple[str, ...]

    def evaluate(self, facts: Mapping[str, Any]) -> bool:
        return bool(_eval(self.tree.body, facts))

    def evidence(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The value of every fact the condition read: what a run records as the reason it opened."""
        return {name: json_safe(lookup(facts, name)) for name in self.names}


def parse(source: str) -> Condition:
    text = source.strip()
    if not text:
        raise ConditionError("empty condition")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"cannot parse {text!r}: {exc.msg}") from None
    names: list[str] = []
    _check(tree.body, names)
    return Condition(text, tree, tuple(dict.fromkeys(names)))


def _check(node: ast.expr, names: list[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        if isinstance(node.op, ast.USub) and not (
            isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int | float)
        ):
            raise ConditionError("a minus sign may only precede a number")
        _check(node.operand, names)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if not isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn, *_ORDER)):
                raise ConditionError(f"comparison {type(op).__name__} is not allowed")
        for operand in (node.left, *node.comparators):
            _check(operand, names)
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            if not isinstance(element, ast.Constant) and _literal(element) is _NOT_LITERAL:
                raise ConditionError("a list may hold only numbers, strings, true, false or none")
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float | str | bool) and node.value is not None:
            raise ConditionError(f"constant {node.value!r} is not allowed")
    elif isinstance(node, ast.Name | ast.Attribute):
        path = _path(node)
        if path is None:
            raise ConditionError("only dotted fact names are allowed, such as alert.usage_decline.change")
        if path not in _LITERALS:
            names.append(path)
    else:
        raise ConditionError(f"{type(node).__name__} is not allowed; use and/or/not, comparisons, names and literals")


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _LITERALS:
        return _LITERALS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    return _NOT_LITERAL


def lookup(facts: Mapping[str, Any], path: str) -> Any:
    """A fact by dotted path: flat keys first (``band``), then nested mappings (``alert.x.change``)."""
    if path in facts:
        return facts[path]
    head, _, rest = path.partition(".")
    value: Any = facts.get(head)
    while rest and value is not None:
        key, _, rest = rest.partition(".")
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _eval(node: ast.expr, facts: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, facts) for v in node.values)
        return any(_eval(v, facts) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return not _eval(node.operand, facts) if isinstance(node.op, ast.Not) else -_eval(node.operand, facts)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, facts)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, facts)
            if not _compare(op, left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_literal(e) for e in node.elts)
    literal = _literal(node)
    if literal is not _NOT_LITERAL:
        return literal
    path = _path(node)
    assert path is not None  # checked at parse time
    return lookup(facts, path)


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, ast.Eq):
        return bool(left == right)
    if isinstance(op, ast.NotEq):
        return bool(left != right)
    if isinstance(op, ast.In | ast.NotIn):
        inside = isinstance(right, tuple | list | set | frozenset | str) and left in right
        return inside if isinstance(op, ast.In) else not inside
    if left is None or right is None:
        return False
    try:
        return _ORDER[type(op)](left, right)
    except TypeError:
        return False


@dataclass(frozen=True)
class Term:
    """One comparison or fact test of a condition (``days_to_renewal <= 90``, ``not engaged``)."""

    source: str
    names: tuple[str, ...]
    negated: bool


def _term(node: ast.expr, negated: bool = False) -> Term:
    names: list[str] = []
    _check(node, names)
    text = ast.unparse(node)
    return Term(f"not {text}" if negated else text, tuple(dict.fromkeys(names)), negated)


def _held(node: ast.expr, facts: Mapping[str, Any]) -> list[Term]:
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return [t for v in node.values for t in _held(v, facts)]
        return [t for v in node.values if _eval(v, facts) for t in _held(v, facts)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and not isinstance(node.operand, ast.BoolOp):
        return [_term(node.operand, negated=True)]
    return [_term(node)]


def held_branches(condition: Condition, facts: Mapping[str, Any]) -> list[list[Term]]:
    """The terms that made the condition true, per true branch of a top-level ``or``: every term of an
    ``and``, only the true branches of an ``or``.

    A label names these rather than the whole rule, so a reader sees why, not everything that could have been.
    Empty when the condition does not hold or holds on a bare literal (``true``).
    """
    if not condition.evaluate(facts):
        return []
    body = condition.tree.body
    branches = body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.Or) else [body]
    held = [[t for t in _held(b, facts) if t.names] for b in branches if _eval(b, facts)]
    return [b for b in held if b]


def held_terms(condition: Condition, facts: Mapping[str, Any]) -> list[Term]:
    return [t for branch in held_branches(condition, facts) for t in branch]


def summary(condition: Condition) -> str:
    """A short form of a long condition: how its terms combine and the facts they read (alerts by type)."""
    names = list(dict.fromkeys(".".join(n.split(".")[:2]) if n.startswith("alert.") else n for n in condition.names))
    body = condition.tree.body
    if isinstance(body, ast.BoolOp):
        return f"{'all' if isinstance(body.op, ast.And) else 'any'} of: {', '.join(names)}"
    return ", ".join(names) or condition.source


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return str(value)


def unknown_names(condition: Condition, known: Iterable[str], prefixes: Iterable[str] = ()) -> list[str]:
    """Names the condition reads that are neither a known fact nor under a known prefix (``alert.``)."""
    exact = set(known)
    starts = tuple(prefixes)
    return [n for n in condition.names if n not in exact and not n.startswith(starts)]


def checked(source: str, known: Iterable[str], prefixes: Iterable[str] = ()) -> str:
    """A configuration's condition, validated: parses, and reads only known facts. ``ValueError`` otherwise,
    which pydantic reports under the key that holds the condition."""
    try:
        condition = parse(source)
    except ConditionError as exc:
        raise ValueError(str(exc)) from None
    names = set(known)
    starts = tuple(prefixes)
    unknown = unknown_names(condition, names, starts)
    if unknown:
        listed = ", ".join(sorted(names)) + "".join(f", {p}<name>" for p in starts)
        raise ValueError(f"unknown fact(s) {', '.join(unknown)}; known: {listed}")
    return source
