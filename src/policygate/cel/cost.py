"""An upper bound on what evaluating an expression costs, computed before running it.

A native runtime (cel-cpp) evaluates without calling back into Python, so it
cannot count units while it runs the way cel-python does (:mod:`.budget`).
Instead :func:`bound` reads the parsed expression and the sizes of the actual
data and returns a number of units that the evaluation cannot exceed, *in
cel-python's units*: when the bound fits the budget, the native runtime runs
with nothing to fear; when it does not (or when the expression is beyond what
this module reasons about), the caller evaluates with the portable backend,
which counts exactly and stops where the budget says. So a rule errors for its
budget on the fast backend exactly when it does on the portable one.

The bound is deliberately coarse but safe:

- every value has a *magnitude*: for data read from the variables, the number
  of nodes plus the characters of every string inside it (measured exactly,
  once per document); for literals, their own size; ``a + b`` adds; a macro's
  result is at most its iterations times its step. Anything the magnitude of a
  value bounds: its length (the iterations of a macro over it), the size of
  any part of it, the work of comparing or concatenating it;
- a field path into a variable (``model.spec.evaluations``) is looked up in the
  data, so a macro over a three-element list is bounded by three iterations,
  not by the largest list anywhere in the record;
- each node costs :data:`NODE_UNITS` (cel-python visits about ten syntax-tree
  nodes per CEL operation), each macro step :data:`STEP_UNITS`, and each
  operation whose work grows with its operands the magnitude of the operands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import cppast
from .budget import CHARACTERS_PER_UNIT

NODE_UNITS = 12
STEP_UNITS = 8

_CONST, _IDENT, _SELECT, _CALL, _LIST, _STRUCT, _COMPREHENSION = 3, 4, 5, 6, 7, 8, 9
_SIZED = frozenset({"_+_", "_==_", "_!=_", "contains", "startsWith", "endsWith", "matches"})
_IN = frozenset({"@in", "_in_"})


class _Unbounded(Exception):
    """The bound is over the limit, or the expression is beyond this module."""


def bound(root: cppast.Node | None, variables: Mapping[str, Any], limit: int) -> int | None:
    """Units evaluating ``root`` on ``variables`` can spend at most, or ``None`` when
    that is more than ``limit`` or cannot be told."""
    if root is None:
        return None
    walker = _Walker(variables, limit)
    try:
        units, _ = walker.node(root, {})
    except (_Unbounded, RecursionError):
        return None
    return units if units <= limit else None


class _Walker:
    def __init__(self, variables: Mapping[str, Any], limit: int) -> None:
        self.variables = variables
        self.limit = limit

    def node(self, node: cppast.Node, scope: dict[str, int]) -> tuple[int, int]:
        """``(cost, magnitude)`` of evaluating ``node`` once; ``scope`` holds the
        magnitudes of the variables a macro binds."""
        kind = node.kind
        if kind == _CONST:
            text = node.string_value()
            return NODE_UNITS, 1 + (len(text) if text is not None else _bytes_length(node))
        if kind in (_IDENT, _SELECT):
            return self._reference(node, scope)
        if kind == _COMPREHENSION:
            return self._comprehension(node, scope)
        if kind not in (_CALL, _LIST, _STRUCT):
            raise _Unbounded
        cost, magnitudes = NODE_UNITS, []
        for child in node.children():
            child_cost, magnitude = self.node(child, scope)
            cost += child_cost
            magnitudes.append(magnitude)
        if kind != _CALL:
            return self._check(cost), 1 + sum(magnitudes)
        function = node.function or ""
        if function in _SIZED:
            cost += sum(magnitudes)  # at least one unit per element or ten characters
        elif function in _IN:
            cost += 2 * sum(magnitudes)
        if function == "_+_":
            magnitude = sum(magnitudes)
        elif function == "_?_:_":
            magnitude = max(magnitudes[1:], default=1)
        else:  # a size, a bool, a number, a conversion of one operand: no bigger than that
            magnitude = max(magnitudes, default=1) + 32
        return self._check(cost), magnitude

    def _reference(self, node: cppast.Node, scope: dict[str, int]) -> tuple[int, int]:
        """A variable or a field path into one: its magnitude from the data itself."""
        path: list[str] = []
        current = node
        while current.kind == _SELECT:
            name = current.field_name
            operand = current.operand
            if name is None or operand is None:
                raise _Unbounded
            path.append(name)
            current = operand
        if current.kind != _IDENT:  # a field of a computed value: no bigger than it
            cost, magnitude = self.node(current, scope)
            return self._check(cost + NODE_UNITS * len(path)), magnitude
        name = _ident(current)
        cost = NODE_UNITS * (1 + len(path))
        if name in scope:
            return cost, scope[name]
        if name not in self.variables:
            return cost, 1  # an error or a type name at run time
        value = self.variables[name]
        for key in reversed(path):
            if not isinstance(value, Mapping) or key not in value:
                return cost, 1  # missing: an error (or has() false) at run time
            value = value[key]
        return cost, measure(value)

    def _comprehension(self, node: cppast.Node, scope: dict[str, int]) -> tuple[int, int]:
        fields = {number: value for number, _, value in node.body.fields}
        iter_var, accu_var = fields.get(1), fields.get(3)
        parts = [fields.get(n) for n in (2, 4, 5, 6, 7)]
        if not isinstance(iter_var, bytes) or not isinstance(accu_var, bytes):
            raise _Unbounded
        nodes = [p for p in parts if isinstance(p, cppast.Node)]
        if len(nodes) != len(parts):
            raise _Unbounded
        iter_range, init, condition, step, result = nodes
        range_cost, steps = self.node(iter_range, scope)
        init_cost, init_magnitude = self.node(init, scope)
        inner = dict(scope)
        inner[iter_var.decode()] = steps
        inner[accu_var.decode()] = init_magnitude
        condition_cost, _ = self.node(condition, inner)
        step_cost, step_magnitude = self.node(step, inner)
        accumulated = init_magnitude + steps * (step_magnitude + 1)
        inner[accu_var.decode()] = accumulated
        result_cost, result_magnitude = self.node(result, inner)
        cost = range_cost + init_cost + result_cost
        cost += steps * (condition_cost + step_cost + STEP_UNITS)
        return self._check(cost), max(result_magnitude, 1)

    def _check(self, cost: int) -> int:
        if cost > self.limit:
            raise _Unbounded
        return cost


def _ident(node: cppast.Node) -> str:
    name = node.body.get(1)
    if not isinstance(name, bytes):
        raise _Unbounded
    return name.decode()


def _bytes_length(node: cppast.Node) -> int:
    value = node.body.get(7)  # Constant.bytes_value
    return len(value) if isinstance(value, bytes) else 0


# A document is measured once, however many rules read it: keyed by identity,
# holding the value so that its id cannot be reused while it is cached.
_MEASURED: dict[int, tuple[Any, int]] = {}
_MEASURED_MAX = 256


def measure(value: Any) -> int:
    """Nodes of ``value`` plus the characters of every string in it, in units."""
    if isinstance(value, (str, bytes)):
        return 1 + len(value) // CHARACTERS_PER_UNIT + len(value)
    if not isinstance(value, (Mapping, list, tuple)):
        return 1
    cached = _MEASURED.get(id(value))
    if cached is not None and cached[0] is value:
        return cached[1]
    total = 0
    stack = [value]
    while stack:
        current = stack.pop()
        total += 1
        if isinstance(current, (str, bytes)):
            total += len(current)
        elif isinstance(current, Mapping):
            for key, item in current.items():
                total += 1 + len(key) if isinstance(key, str) else 1
                stack.append(item)
        elif isinstance(current, (list, tuple)):
            stack.extend(current)
    if len(_MEASURED) >= _MEASURED_MAX:
        _MEASURED.clear()
    _MEASURED[id(value)] = (value, total)
    return total


def parse(serialized: bytes) -> cppast.Node | None:
    """The root of a serialized parsed expression, ``None`` if it cannot be read."""
    try:
        return cppast.Parsed.decode(serialized).root
    except (cppast.WireError, RecursionError, ValueError):
        return None


__all__ = ["NODE_UNITS", "STEP_UNITS", "bound", "measure", "parse"]
