"""An upper bound on what evaluating an expression costs, computed before running it.

A native runtime (cel-cpp) evaluates without calling back into Python, so it
cannot count units while it runs the way cel-python does (:mod:`.budget`).
Instead :func:`compile_bound` reads the parsed expression once and returns a
function of the actual data that gives a number of units the evaluation cannot
exceed, *in cel-python's units*: when the bound fits the budget, the native
runtime runs with nothing to fear; when it does not (or when the expression is
beyond what this module reasons about), the caller evaluates with the portable
backend, which counts exactly and stops where the budget says. So a rule errors
for its budget on the fast backend exactly when it does on the portable one.

The bound is deliberately coarse but safe. Every value has a *shape*, three
numbers that are each an upper bound:

- its *magnitude*: for data read from the variables, the number of nodes plus
  the characters of every string inside it (measured exactly, once per
  document); for literals, their own size; ``a + b`` adds; anything the
  magnitude bounds: the size of any part of it, the work of comparing or
  concatenating it;
- its *length*: how many elements a macro over it iterates (a list's elements,
  a map's keys), never more than its magnitude;
- its *element*: the magnitude of its largest element (key or value), which is
  what a macro's variable is bound to, never more than its magnitude.

A field path into a variable (``model.spec.evaluations``) is looked up in the
data, so a macro over a three-element list is bounded by three iterations of
its body, each with the largest element bound to the macro's variable. A
macro's accumulator (``@result``) may only grow linearly (``@result + [x]``,
``@result || p``, a branch of ``?:``), so after ``n`` steps it is at most its
initial shape plus ``n`` times what one step adds; any other use of the
accumulator in a step is beyond this module (the caller counts instead).

Each node costs :data:`NODE_UNITS` (cel-python visits about ten syntax-tree
nodes per CEL operation), each macro step :data:`STEP_UNITS` plus its
condition and step at their largest, and each operation whose work grows with
its operands the magnitude of the operands. Everything that depends on the
expression alone (the tree, which names a macro binds, the shapes and costs of
subexpressions that read no variable) is worked out once, at compile time.
"""

from __future__ import annotations

import datetime as _dt
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from . import cppast
from .budget import CHARACTERS_PER_UNIT

NODE_UNITS = 12
STEP_UNITS = 8
ROOT_UNITS = 24  # starting an evaluation: a bare name costs cel-python 14 units, not 12

_CONST, _IDENT, _SELECT, _CALL, _LIST, _STRUCT, _COMPREHENSION = 3, 4, 5, 6, 7, 8, 9
# Operations whose work grows with their operands (cel-python charges for them).
_SIZED = frozenset({"_+_", "_-_", "_*_", "_/_", "_==_", "_!=_", "contains", "startsWith",
                    "endsWith", "matches", cppast.MATCHES})  # fmt: skip
_IN = frozenset({"@in", "_in_"})
# Operations whose value is a bool, a number, a type, a timestamp or a duration:
# nothing a later operation pays for by size.
_SCALAR = frozenset({
    "_<_", "_<=_", "_>_", "_>=_", "_==_", "_!=_", "!_", "@not_strictly_false",
    "@in", "_in_", "type", "size", "int", "uint", "double", "contains", "startsWith",
    "endsWith", "matches", "_-_", "_*_", "_/_", "_%_", "-_", "days", "timestamp",
    "duration", cppast.MATCHES, cppast.MOD, cppast.TIMESTAMP, cppast.DURATION,
    *cppast.RELATIONS.values(),
})  # fmt: skip
# Operations that may yield one of their operands (cel-python's `true && "x"` is "x").
_EITHER = frozenset({"_&&_", "_||_"})

Shape = tuple[int, int, int]  # magnitude, length, element
# The names the enclosing macros bind, each with the data path of the list whose
# elements it is bound to (``EACH`` standing for "every element"), if known.
Names = Mapping[str, tuple[str, tuple[Any, ...]] | None]


class _Each:
    """In a data path: every element of the list there (no field name is this object)."""

    def __repr__(self) -> str:
        return "*"


EACH = _Each()
Scope = dict[str, Shape]
# A bound reads the shapes of the data's field paths (by index) and of the
# names macros bind.
Bound = Callable[[Any, Scope], tuple[int, Shape]]
_Leaves = dict[tuple[str, tuple[Any, ...]], int]
_ONE: Shape = (1, 1, 1)
_ZERO: Shape = (0, 0, 0)


class _Unbounded(Exception):
    """The expression is beyond this module."""


def compile_bound(root: cppast.Node | None) -> Callable[..., int | None] | None:
    """``units(variables, limit, known=None)``: what evaluating ``root`` on
    ``variables`` can spend at most, or ``None`` when that is more than
    ``limit``; ``None`` instead of a function when the expression is beyond this
    module. ``known`` caches the shapes looked up in ``variables`` (the caller
    keeps one per activation, so rules reading the same paths share them).

    The bound depends on the data only through the shapes of the field paths the
    expression reads, and it grows with them: a bound worked out for larger
    shapes holds for smaller ones. So the function keeps one such bound, for
    shapes somewhat larger than the first data it saw, and answers with it for
    every evaluation whose shapes it covers: one lookup per field path.
    """
    if root is None:
        return None
    leaves: dict[tuple[str, tuple[str, ...]], int] = {}
    try:
        walk = _compile(root, {}, leaves)
    except (_Unbounded, RecursionError, ValueError):
        return None
    paths = list(leaves)
    # The shapes covered and their bound, replaced as one (threads may share a program).
    envelope: list[tuple[list[Shape], int] | None] = [None]

    def exact(shapes: list[Shape]) -> int | None:
        try:
            cost, _ = walk(shapes, {})
        except (_Unbounded, RecursionError):
            return None
        return ROOT_UNITS + cost

    def units(
        variables: Mapping[str, Any], limit: int, known: dict[Any, Any] | None = None
    ) -> int | None:
        if known is None:
            known = {}
        memo = known.get(MEMO)
        if memo is None:
            memo = known[MEMO] = Memo()
        shapes = []
        for path in paths:
            found = known.get(path)
            if found is None:  # not looked up in these variables by another rule yet
                found = known[path] = _lookup(variables, path[0], path[1], memo)
            shapes.append(found)
        covered = envelope[0]
        if covered is not None and covered[1] <= limit:
            for have, most in zip(shapes, covered[0], strict=False):
                if have[0] > most[0] or have[1] > most[1] or have[2] > most[2]:
                    break
            else:
                return covered[1]
        cost = exact(shapes)
        if cost is None or cost > limit:
            return None
        larger = [(_grow(a), _grow(b), _grow(c)) for a, b, c in shapes]
        wider = exact(larger)
        if wider is not None and wider <= limit:
            envelope[0] = (larger, wider)
            return wider
        if covered is None:
            envelope[0] = (shapes, cost)
        return cost

    return units


def path_units(steps: int) -> int:
    """The bound of an expression that is a variable's field path of ``steps`` fields
    (whatever the data: reading a field does not depend on its size)."""
    return ROOT_UNITS + NODE_UNITS * (1 + steps)


def _grow(size: int) -> int:
    return size + size // 2 + 4


def _lookup(
    variables: Mapping[str, Any], name: str, keys: tuple[Any, ...], memo: Memo
) -> Shape:
    value = variables.get(name, _MISSING)
    if value is _MISSING:
        return _ONE  # an error at run time, or a type name
    return _find(value, keys, 0, memo)


def _find(value: Any, keys: tuple[Any, ...], start: int, memo: Memo) -> Shape:
    """The shape of ``value`` at ``keys[start:]``: at :data:`EACH`, the largest over
    the list's elements (a macro over a map binds its keys, strings without fields)."""
    for position in range(start, len(keys)):
        key = keys[position]
        if key is EACH:
            if type(value) is not list and not isinstance(value, (list, tuple)):
                return _ONE  # an error at run time
            if position + 2 == len(keys) and keys[-1] is not EACH:
                return _largest_field(value, keys, position + 1, memo)
            largest = _ONE
            for element in value:
                found = _find(element, keys, position + 1, memo)
                if found is not largest and found != _ONE:
                    largest = (max(largest[0], found[0]), max(largest[1], found[1]),
                               max(largest[2], found[2]))  # fmt: skip
            return largest
        if type(value) is not dict and not isinstance(value, Mapping):
            return _ONE  # an error (or has() false) at run time
        value = value.get(key, _MISSING)
        if value is _MISSING:
            return _ONE
    return shape(value, memo)


def _largest_field(elements: Any, keys: tuple[Any, ...], last: int, memo: Memo) -> Shape:
    """:func:`_find` of the field ``keys[last]`` of each of ``elements`` (the
    common ``model.spec.approvals.all(a, a.role ...)``), in one loop."""
    field = keys[last]
    longest = -1  # the longest string found
    largest = _ONE  # the largest of anything else
    for element in elements:
        if type(element) is dict:
            value: Any = element.get(field)  # missing: None, a scalar's shape
            kind = type(value)
            if kind is str:
                if len(value) > longest:
                    longest = len(value)
                continue
            if kind in _SCALARS:
                continue
            found = shape(value, memo)
        else:
            found = _find(element, keys, last, memo)
        if found != _ONE:
            largest = (max(largest[0], found[0]), max(largest[1], found[1]),
                       max(largest[2], found[2]))  # fmt: skip
    if longest < 0:
        return largest
    size = 1 + longest // CHARACTERS_PER_UNIT + longest  # as shape() measures a string
    return (max(largest[0], size), max(largest[1], size), max(largest[2], size))


def bound(root: cppast.Node | None, variables: Mapping[str, Any], limit: int) -> int | None:
    """Units evaluating ``root`` on ``variables`` can spend at most, or ``None`` when
    that is more than ``limit`` or cannot be told (compiles the bound every call:
    programs keep the result of :func:`compile_bound`)."""
    units = compile_bound(root)
    return None if units is None else units(variables, limit)


# --------------------------------------------------------------------------- compiling


def _constant(cost: int, shape: Shape) -> Bound:
    result = (cost, shape)

    def constant(shapes: Any, scope: Scope) -> tuple[int, Shape]:
        return result

    _CONSTANTS.add(constant)
    return constant


# The bounds that read no variable (weakly held: programs own their bounds).
_CONSTANTS: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def _compile(node: cppast.Node, bound_names: Names, leaves: _Leaves) -> Bound:
    """The bound of ``node`` as a function of the variables and the shapes of the
    names the enclosing macros bind (``bound_names``, known at compile time)."""
    kind = node.kind
    if kind == _CONST:
        text = node.string_value()
        size = 1 + (len(text) if text is not None else _bytes_length(node))
        return _constant(NODE_UNITS, (size, size, size))
    if kind in (_IDENT, _SELECT):
        return _reference(node, bound_names, leaves)
    if kind == _COMPREHENSION:
        return _comprehension(node, bound_names, leaves)
    if kind not in (_CALL, _LIST, _STRUCT):
        raise _Unbounded
    function = node.function or "" if kind == _CALL else ""
    if kind == _CALL and _call(function) == (_scalar, _no_extra):
        # A bool, a number or a type, whose work does not grow with its operands:
        # a variable's (or field's) shape cannot matter, only its fixed cost.
        children = [_reference_cost(child) or _compile(child, bound_names, leaves)
                    for child in node.children()]  # fmt: skip
    else:
        children = [_compile(child, bound_names, leaves) for child in node.children()]
    combine: Callable[[list[Shape]], Shape]
    extra: Callable[[list[Shape]], int]
    if kind == _LIST:
        count = len(children)

        def combine(parts: list[Shape]) -> Shape:
            return (1 + sum(p[0] for p in parts), count, max((p[0] for p in parts), default=1))

        extra = _no_extra
    elif kind == _STRUCT:

        def combine(parts: list[Shape]) -> Shape:
            total = 1 + sum(p[0] for p in parts)
            return (total, total, total)

        extra = _no_extra
    else:
        combine, extra = _call(function)
    static = _static(children)
    if static is not None:  # reads no variable: worked out now
        parts = [shape for _, shape in static]
        cost = NODE_UNITS + sum(c for c, _ in static) + extra(parts)
        return _constant(cost, combine(parts))

    def walk(shapes: Any, scope: Scope) -> tuple[int, Shape]:
        cost = NODE_UNITS
        parts = []
        for child in children:
            child_cost, shape = child(shapes, scope)
            cost += child_cost
            parts.append(shape)
        return cost + extra(parts), combine(parts)

    return walk


def _static(children: list[Bound]) -> list[tuple[int, Shape]] | None:
    """The children's bounds when none of them reads a variable."""
    results = []
    for child in children:
        if child not in _CONSTANTS:
            return None
        results.append(child({}, {}))
    return results


def _no_extra(parts: list[Shape]) -> int:
    return 0


def _sized(parts: list[Shape]) -> int:
    return sum(p[0] for p in parts)  # at least one unit per element or ten characters


def _membership(parts: list[Shape]) -> int:
    # One unit per element of the container, and comparing the item with each.
    total = 2 * sum(p[0] for p in parts)
    if len(parts) == 2:
        total += parts[1][1] * parts[0][0]
    return total


def _scalar(parts: list[Shape]) -> Shape:
    return _ONE


def _plus(parts: list[Shape]) -> Shape:
    largest = max((p[2] for p in parts), default=1)
    return (sum(p[0] for p in parts), sum(p[1] for p in parts), largest)


def _largest(parts: list[Shape]) -> Shape:
    return (max((p[0] for p in parts), default=1), max((p[1] for p in parts), default=1),
            max((p[2] for p in parts), default=1))  # fmt: skip


def _choice(parts: list[Shape]) -> Shape:
    return _largest(parts[1:])


def _index(parts: list[Shape]) -> Shape:
    element = parts[0][2] if parts else 1
    return (element, element, element)


def _other(parts: list[Shape]) -> Shape:
    # A conversion of one operand, a field of it: no bigger than it (plus a number's text).
    total = max((p[0] for p in parts), default=1) + 32
    return (total, total, total)


def _call(function: str) -> tuple[Callable[[list[Shape]], Shape], Callable[[list[Shape]], int]]:
    extra = _membership if function in _IN else _sized if function in _SIZED else _no_extra
    if function == "_+_":
        return _plus, extra
    if function == "_?_:_":
        return _choice, extra
    if function in _EITHER:
        return _largest, extra
    if function in _SCALAR:
        return _scalar, extra
    if function == "_[_]":
        return _index, extra
    return _other, extra


def _reference(node: cppast.Node, bound_names: Names, leaves: _Leaves) -> Bound:
    """A variable or a field path into one: its shape from the data itself."""
    path: list[str] = []
    current = node
    while current.kind == _SELECT:
        name = current.field_name
        operand = current.operand
        if name is None or operand is None:
            raise _Unbounded
        path.append(name)
        current = operand
    steps = len(path)
    if current.kind != _IDENT:  # a field of a computed value: no bigger than it
        inner = _compile(current, bound_names, leaves)

        def computed(shapes: Any, scope: Scope) -> tuple[int, Shape]:
            cost, shape = inner(shapes, scope)
            return cost + NODE_UNITS * steps, (shape[0], shape[0], shape[0])

        return computed
    name = _ident(current)
    cost = NODE_UNITS * (1 + steps)
    if node.test_only or (not path and name in _TYPE_NAMES):
        return _constant(cost, _ONE)  # has(): a bool; a type name: a type
    if name in bound_names:
        if not path:
            return lambda shapes, scope: (cost, scope[name])
        origin = bound_names[name]
        if origin is not None:  # a field of a list's element: looked up in every element
            where = (origin[0], origin[1] + tuple(reversed(path)))
            index = leaves.setdefault(where, len(leaves))
            return lambda shapes, scope: (cost, shapes[index])

        def field(shapes: Any, scope: Scope) -> tuple[int, Shape]:
            total = scope[name][0]  # a part of the value is no bigger than it
            return cost, (total, total, total)

        return field
    index = leaves.setdefault((name, tuple(reversed(path))), len(leaves))

    def data(shapes: Any, scope: Scope) -> tuple[int, Shape]:
        return cost, shapes[index]

    return data


_MISSING = object()
# Names that are types in CEL (the rewrites compare `type(x) == map`). policygate's
# variables (model, params, now, inputs, item, key, index) never take these names.
_TYPE_NAMES = frozenset({"map", "list", "int", "uint", "double", "string", "bool", "bytes",
                         "null_type", "type", "timestamp", "duration"})  # fmt: skip


def _reference_cost(node: cppast.Node) -> Bound | None:
    """A variable or a field path of one, as its fixed cost alone, where its shape
    does not matter; ``None`` for anything else."""
    steps = 0
    while node.kind == _SELECT:
        operand = node.operand
        if operand is None or node.field_name is None:
            return None
        steps += 1
        node = operand
    if node.kind != _IDENT or not isinstance(node.body.get(1), bytes):
        return None
    return _constant(NODE_UNITS * (1 + steps), _ONE)


def _comprehension(node: cppast.Node, bound_names: Names, leaves: _Leaves) -> Bound:
    fields = {number: value for number, _, value in node.body.fields}
    iter_var, accu_var = fields.get(1), fields.get(3)
    parts = [fields.get(n) for n in (2, 4, 5, 6, 7)]
    if not isinstance(iter_var, bytes) or not isinstance(accu_var, bytes):
        raise _Unbounded
    nodes = [p for p in parts if isinstance(p, cppast.Node)]
    if len(nodes) != len(parts):
        raise _Unbounded
    item, accu = iter_var.decode(), accu_var.decode()
    iter_range, init, condition, step, result = nodes
    # A macro over a list read from the data binds its variable to the list's
    # elements: a field of it is looked up in them (``m.attribute`` of
    # ``model.spec.fairness.metrics``), not bounded by the whole element.
    inner_names = {**bound_names, item: _elements_of(iter_range, bound_names), accu: None}
    range_bound = _compile(iter_range, bound_names, leaves)
    init_bound = _compile(init, bound_names, leaves)
    condition_bound = _compile(condition, inner_names, leaves)
    step_bound = _compile(step, inner_names, leaves)
    result_bound = _compile(result, {**bound_names, accu: None}, leaves)
    linear = _linear(step, accu)

    def walk(shapes: Any, scope: Scope) -> tuple[int, Shape]:
        range_cost, (_, steps, element) = range_bound(shapes, scope)
        init_cost, accumulated = init_bound(shapes, scope)
        cost = range_cost + init_cost
        if steps:
            inner = dict(scope)
            inner[item] = (element, element, element)
            if linear:  # after n steps: the initial value and n times one step's growth
                inner[accu] = _ZERO
                _, grows = step_bound(shapes, inner)
                accumulated = (accumulated[0] + steps * grows[0],
                               accumulated[1] + steps * grows[1],
                               max(accumulated[2], grows[2]))  # fmt: skip
            else:
                inner[accu] = accumulated
                _, once = step_bound(shapes, inner)
                if not _within(once, accumulated):
                    raise _Unbounded  # a step that may grow the accumulator otherwise
            inner[accu] = accumulated  # every step costs at most what the last one does
            condition_cost, _ = condition_bound(shapes, inner)
            step_cost, _ = step_bound(shapes, inner)
            cost += steps * (condition_cost + step_cost + STEP_UNITS)
        outer = dict(scope)
        outer[accu] = accumulated
        result_cost, result_shape = result_bound(shapes, outer)
        return cost + result_cost, result_shape

    return walk


def _elements_of(node: cppast.Node, bound_names: Names) -> tuple[str, tuple[Any, ...]] | None:
    """The data path whose elements a macro over ``node`` binds its variable to:
    ``node`` is a variable (not one a macro binds, unless that one has a path
    itself) or a field path into one; ``None`` for anything computed."""
    path: list[str] = []
    current = node
    while current.kind == _SELECT:
        if current.test_only or current.field_name is None or current.operand is None:
            return None
        path.append(current.field_name)
        current = current.operand
    if current.kind != _IDENT:
        return None
    name = _ident(current)
    keys = tuple(reversed(path))
    if name in bound_names:
        origin = bound_names[name]
        if origin is None:
            return None
        return origin[0], origin[1] + keys + (EACH,)
    if not keys and name in _TYPE_NAMES:
        return None
    return name, keys + (EACH,)


def _within(a: Shape, b: Shape) -> bool:
    return a[0] <= b[0] and a[1] <= b[1] and a[2] <= b[2]


def _linear(node: cppast.Node, name: str) -> bool:
    """Whether the shape of ``node`` grows with the shape of ``name`` at most by
    adding it once: ``name`` passes through unchanged or is added to (an operand
    of ``+``, ``&&``, ``||``, a branch of ``?:``, the value of a rewrite's
    binding), or only feeds an operation whose value is a bool, a number or a
    type. Then a step adds to the accumulator at most what it adds to an empty one."""
    if not _reads(node, name):
        return True
    kind = node.kind
    if kind == _IDENT:
        return True
    if kind == _COMPREHENSION:
        return _linear_binding(node, name)
    if kind != _CALL:
        return False
    function, args = node.function or "", node.args
    if _call(function)[0] is _scalar:
        return True  # its value's shape is the same whatever its operands
    if node.target is not None:
        return False
    if function in ("_+_", "_&&_", "_||_") and len(args) == 2:
        readers = [arg for arg in args if _reads(arg, name)]
        return len(readers) == 1 and _linear(readers[0], name)
    if function == "_?_:_" and len(args) == 3:  # the condition's value is not the result
        return all(_linear(arg, name) for arg in args[1:])
    return False


def _linear_binding(node: cppast.Node, name: str) -> bool:
    """:func:`_linear` for a rewrite's ``cel.bind(v, value, body)`` (a
    comprehension over ``[0]`` that stops before its first step, see
    :meth:`cppast._Builder.bind`): linear when ``name`` reaches the body once,
    either through ``value`` (and the body is linear in ``v``) or directly."""
    fields = {number: value for number, _, value in node.body.fields}
    iter_range, init, result = fields.get(2), fields.get(4), fields.get(7)
    accu, condition = fields.get(3), fields.get(5)
    if not (isinstance(iter_range, cppast.Node) and iter_range.kind == _LIST
            and all(c.kind == _CONST for c in iter_range.children())
            and len(list(iter_range.children())) <= 1
            and isinstance(condition, cppast.Node) and condition.kind == _CONST
            and not _reads(condition, name)):  # fmt: skip
        return False  # a macro over something: it may read the accumulator many times
    if not (isinstance(init, cppast.Node) and isinstance(result, cppast.Node)):
        return False
    if not isinstance(accu, bytes):
        return False
    bound_name = accu.decode()
    if _reads(init, name):
        body_reads = bound_name != name and _reads(result, name)
        return not body_reads and _linear(init, name) and _linear(result, bound_name)
    return bound_name == name or _linear(result, name)


def _reads(node: cppast.Node, name: str) -> bool:
    """Whether ``name`` occurs free in ``node`` (a macro that binds it hides it)."""
    if node.kind == _IDENT:
        return node.body.get(1) == name.encode()
    if node.kind == _COMPREHENSION:
        fields = {number: value for number, _, value in node.body.fields}
        bound_here = {fields.get(1), fields.get(3)}
        for number in (2, 4):
            part = fields.get(number)
            if isinstance(part, cppast.Node) and _reads(part, name):
                return True
        if name.encode() in bound_here:
            return False
        for number in (5, 6, 7):
            part = fields.get(number)
            if isinstance(part, cppast.Node) and _reads(part, name):
                return True
        return False
    return any(_reads(child, name) for child in node.children())


reads = _reads  # for the fused evaluation (celcpp): does a check read ``index``?


def _ident(node: cppast.Node) -> str:
    name = node.body.get(1)
    if not isinstance(name, bytes):
        raise _Unbounded
    return name.decode()


def _bytes_length(node: cppast.Node) -> int:
    value = node.body.get(7)  # Constant.bytes_value
    return len(value) if isinstance(value, bytes) else 0


# --------------------------------------------------------------------------- measuring data

class Memo:
    """What was measured in one activation's variables, so that a document is
    measured once however many rules read it: by identity, holding each value so
    that its id cannot be reused while it is kept.

    It lives in the activation's ``known`` (under :data:`MEMO`) and goes with it:
    a cache shared by every evaluation kept each record's converted maps and lists
    alive past its evaluation, and Python's collector, which walks everything
    that lives long, cost W1 a sixth of its time."""

    __slots__ = ("totals", "shapes")

    def __init__(self) -> None:
        self.totals: dict[int, tuple[Any, int]] = {}
        self.shapes: dict[int, tuple[Any, Shape]] = {}


MEMO = ("#memo", ())  # its key in ``known``: no variable is named "#memo"


def measure(value: Any, memo: Memo | None = None) -> int:
    """Nodes of ``value`` plus the characters of every string in it, in units."""
    kind = type(value)
    if kind is str or kind is bytes or isinstance(value, (str, bytes)):
        return 1 + len(value) // CHARACTERS_PER_UNIT + len(value)
    if kind is not dict and kind is not list and not isinstance(value, (Mapping, list, tuple)):
        return 1
    if memo is None:
        memo = Memo()
    try:
        return _total(value, 0, memo)
    except _Deep:
        pass
    total = 0  # a deep document: one walk without recursion, caching only the whole
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
    memo.totals[id(value)] = (value, total)
    return total


class _Deep(Exception):
    pass


_SCALARS = frozenset({float, int, bool, type(None)})
_ATOMS = frozenset({_dt.datetime, _dt.timedelta})  # measured 1, as any other non-container


_DEPTH = 64


def _total(value: Any, depth: int, memo: Memo) -> int:
    """:func:`measure` of a part of a document, remembering every map and list in
    it, so that measuring a part of a measured document is a lookup."""
    kind = type(value)
    if kind is str or kind is bytes:
        return 1 + len(value)
    if kind is dict or kind is list or isinstance(value, (Mapping, list, tuple)):
        cached = memo.totals.get(id(value))
        if cached is not None and cached[0] is value:
            return cached[1]
        if depth > _DEPTH:
            raise _Deep
        total = 1
        if kind is dict:  # the common case, its scalars counted here (as below)
            for key, item in value.items():
                total += (1 + len(key)) if isinstance(key, str) else 1
                if type(item) is str:
                    total += 1 + len(item)
                elif type(item) in _SCALARS:
                    total += 1
                else:
                    total += _total(item, depth + 1, memo)
        elif kind is list:
            for item in value:
                if type(item) is str:
                    total += 1 + len(item)
                elif type(item) in _SCALARS:
                    total += 1
                else:
                    total += _total(item, depth + 1, memo)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                total += (1 + len(key) if isinstance(key, str) else 1) + _total(
                    item, depth + 1, memo
                )
        else:
            for item in value:
                total += _total(item, depth + 1, memo)
        memo.totals[id(value)] = (value, total)
        return total
    if isinstance(value, (str, bytes)):
        return 1 + len(value)
    return 1


def shape(value: Any, memo: Memo | None = None) -> Shape:
    """``(magnitude, length, largest element)`` of a value from the data (for a
    map, its magnitude stands for its largest key or value)."""
    kind = type(value)
    if kind in _SCALARS or kind in _ATOMS:
        return _ONE
    if kind is str:
        size = 1 + len(value) // CHARACTERS_PER_UNIT + len(value)  # as measure() counts
        return (size, size, size)
    if memo is None:
        memo = Memo()
    if kind is not list and not isinstance(value, (list, tuple)):
        size = measure(value, memo)
        if kind is dict or isinstance(value, Mapping):
            return (size, min(len(value), size), size)
        return (size, size, size)
    cached = memo.shapes.get(id(value))
    if cached is not None and cached[0] is value:
        return cached[1]
    try:
        total, element = _sizes(value, memo)
    except _Deep:
        total = measure(value, memo)
        element = max((measure(item, memo) for item in value), default=1)
    result = (total, min(len(value), total), min(element, total))
    memo.shapes[id(value)] = (value, result)
    return result


def _sizes(items: Any, memo: Memo) -> tuple[int, int]:
    """:func:`measure` of a list and the largest :func:`measure` of its elements,
    in one pass (raises :class:`_Deep` for a document too deep to recurse into)."""
    total = element = 1
    for item in items:
        kind = type(item)
        if kind is str:
            total += 1 + len(item)
            size = 1 + len(item) // CHARACTERS_PER_UNIT + len(item)
        elif kind in _SCALARS:
            total += 1
            continue
        elif kind is dict or kind is list:
            size = _total(item, 1, memo)
            total += size
        else:  # counted within a list as _total() counts it, alone as measure() does
            total += _total(item, 1, memo)
            size = measure(item, memo)
        if size > element:
            element = size
    memo.totals[id(items)] = (items, total)
    return total, element


def parse(serialized: bytes) -> cppast.Node | None:
    """The root of a serialized parsed expression, ``None`` if it cannot be read."""
    try:
        return cppast.read(serialized)
    except (cppast.WireError, RecursionError, ValueError):
        return None


__all__ = [
    "NODE_UNITS",
    "ROOT_UNITS",
    "STEP_UNITS",
    "bound",
    "compile_bound",
    "measure",
    "parse",
    "shape",
]
