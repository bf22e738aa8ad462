"""The closures of CEL's operators, and of calls to library functions.

``&&`` and ``||`` are commutative over errors (``error && false`` is false);
relations compare numbers of different types by value (an int meets a double
as a double, as cel-go does); ``+`` on strings and lists and the builders of
the strings extension charge the size of what they build before building it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from policygate.cel.lang.access import index, insert_entry, optional_index
from policygate.cel.lang.activation import Activation, Closure, Value, charge
from policygate.cel.lang.arith import TABLES, logical_not, negate
from policygate.cel.lang.equality import (
    ORDERED,
    cel_equal,
    contains,
    metered_contains,
    metered_equal,
)
from policygate.cel.lang.errors import EvalError, quoted
from policygate.cel.lang.values import Optional, Uint, no_overload

_NUMERIC = frozenset({int, float, Uint})


_SIZED = frozenset({str, bytes, list, tuple})
_CONTAINERS = frozenset({list, tuple, dict})


def arithmetic(function: str, left: Closure, right: Closure) -> Closure:
    table = TABLES[function]
    builds = function == "_+_"

    def arithmetic(act: Activation) -> Value:
        a = left(act)
        b = right(act)
        impl = table.get((type(a), type(b)))
        if impl is None:
            raise no_overload(function, a, b)
        if builds and type(a) in _SIZED:
            charge(act, len(a) + len(b))
        return impl(a, b)

    return arithmetic


def function_call(name: str, impl: Callable[..., Value], args: list[Closure]) -> Closure:
    count = len(args)
    builder = BUILDERS.get(name)
    if builder is not None:

        def built(act: Activation) -> Value:
            values = [a(act) for a in args]
            charge(act, builder(values))
            return impl(*values)

        return built
    if count == 0:
        return lambda act: impl()
    if count == 1:
        (only,) = args
        return lambda act: impl(only(act))
    if count == 2:
        first, second = args
        return lambda act: impl(first(act), second(act))

    def call(act: Activation) -> Value:
        return impl(*[a(act) for a in args])

    return call


def literal_matches(text_of: Closure, pattern: str, impl: Callable[..., Value]) -> Closure:
    """``s.matches("literal")``: the pattern compiled once, when the rule is; the
    same charge (the text and the pattern) and the same errors as the call."""
    from policygate.cel.lang.regex import searcher

    search = searcher(pattern)
    extra = len(pattern)

    def matches(act: Activation) -> Value:
        text = text_of(act)
        if type(text) is not str or search is None:
            charge(act, _length(text) + extra)
            return impl(text, pattern)  # its own error (a non-string, a bad pattern)
        charge(act, len(text) + extra)
        return search(text)

    return matches


def dynamic_matches(text_of: Closure, pattern_of: Closure, impl: Callable[..., Value]) -> Closure:
    """``s.matches(p)``, ``p`` computed (a record's, a parameter's): charged the text,
    the pattern and what compiling the pattern costs (:func:`regex.compile_units`),
    which is the work a new pattern makes, whether or not it was compiled before."""
    from policygate.cel.lang.regex import compile_units

    def matches(act: Activation) -> Value:
        text = text_of(act)
        pattern = pattern_of(act)
        units = _length(text) + _length(pattern)
        if type(pattern) is str:
            units += compile_units(pattern)
        charge(act, units)
        return impl(text, pattern)

    return matches


def _length(value: Value) -> int:
    return len(value) if type(value) in _SIZED or type(value) is dict else 1


def _replace_bound(values: list[Value]) -> int:
    text = values[0]
    if len(values) < 3 or type(text) is not str or type(values[2]) is not str:
        return 1
    return len(text) + len(values[2]) * (len(text) + 1)


def _rendered(value: Value) -> int:
    """What ``%s`` writes of ``value``, bounded: a string's or bytes' length, a list's
    or map's elements and keys all the way down, one unit for anything else."""
    total = 0
    stack = [value]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is str or kind is bytes:
            total += len(current)
        elif kind is list or kind is tuple:
            total += 1 + len(current)
            stack.extend(current)
        elif kind is dict:
            total += 1 + 2 * len(current)
            stack.extend(current)
            stack.extend(current.values())
        else:
            total += 1
    return total


def _text_length(values: list[Value]) -> int:
    return len(values[0]) if type(values[0]) is str else 0


def _format_bound(values: list[Value]) -> int:
    """``template.format(args)``: the template, each argument as written (a list's
    strings too) and each clause's precision (``%.1000000f`` writes a million digits)."""
    template, args = values
    if type(args) not in (list, tuple):
        return 1
    total = _length(template) + sum(_rendered(arg) for arg in args)
    if type(template) is str:
        at = template.find("%.")
        while at >= 0:
            end = at = at + 2
            while end < len(template) and "0" <= template[end] <= "9":
                end += 1
            digits = template[at:end].lstrip("0")
            total += int(digits or "0") if len(digits) <= 18 else 10**18
            at = template.find("%.", end)
    return total


BUILDERS: dict[str, Callable[[list[Value]], int]] = {
    "replace": _replace_bound,
    "join": lambda v: (
        sum(_length(x) for x in v[0]) + _length(v[-1]) * _length(v[0])
        if type(v[0]) in (list, tuple)
        else 1
    ),
    "split": lambda v: _length(v[0]),
    "format": _format_bound,
    # Conversions that copy a text: string(bytes), bytes(string).
    "string": lambda v: _length(v[0]),
    "bytes": lambda v: _length(v[0]),
    # Conversions that read a text (a megabyte of digits is read, and refused, by a
    # regular expression that takes 50 ms in double()); timestamp() and duration()
    # remember the texts they read, and bool() looks its text up.
    "int": _text_length,
    "uint": _text_length,
    "double": _text_length,
    "lowerAscii": lambda v: _length(v[0]),
    "upperAscii": lambda v: _length(v[0]),
    "reverse": lambda v: _length(v[0]),
    "strings.quote": lambda v: 2 * _length(v[0]),
    "substring": lambda v: _length(v[0]),
    "trim": lambda v: _length(v[0]),
    # Scans: the text is read once (RE2 and str.find are linear), so a rule that
    # searches a megabyte a thousand times pays for it.
    "contains": lambda v: _length(v[0]),
    "startsWith": lambda v: _length(v[-1]),
    "endsWith": lambda v: _length(v[-1]),
    "indexOf": lambda v: _length(v[0]),
    "lastIndexOf": lambda v: _length(v[0]),
    "matches": lambda v: _length(v[0]) + _length(v[-1]),
}


# -- operators ------------------------------------------------------------------


def _and(args: list[Closure], costs: list[int]) -> Closure:
    left, right = args
    left_cost, right_cost = costs

    def and_(act: Activation) -> Value:
        act.budget -= left_cost
        if act.budget < 0:
            act.overdraw()
        try:
            a = left(act)
        except EvalError as error:
            a = error
        if a is False:
            return False
        act.budget -= right_cost
        if act.budget < 0:
            act.overdraw()
        try:
            b = right(act)
        except EvalError as error:
            b = error
        if b is False:
            return False
        if a is True and b is True:
            return True
        raise _logic_error("_&&_", a, b)

    return and_


def _or(args: list[Closure], costs: list[int]) -> Closure:
    left, right = args
    left_cost, right_cost = costs

    def or_(act: Activation) -> Value:
        act.budget -= left_cost
        if act.budget < 0:
            act.overdraw()
        try:
            a = left(act)
        except EvalError as error:
            a = error
        if a is True:
            return True
        act.budget -= right_cost
        if act.budget < 0:
            act.overdraw()
        try:
            b = right(act)
        except EvalError as error:
            b = error
        if b is True:
            return True
        if a is False and b is False:
            return False
        raise _logic_error("_||_", a, b)

    return or_


Shape = int | tuple["Shape", "Shape"]  # a chain's tree: a leaf's index, or (left, right)


def _fold_error(function: str, decisive: bool, node: Shape, outcomes: list[Value]) -> Value:
    """What the tree of nodes ``node`` ends in, its leaves' ``outcomes`` given (none
    of them ``decisive``): an error, or the bool every leaf gave."""
    if isinstance(node, int):
        return outcomes[node]
    a = _fold_error(function, decisive, node[0], outcomes)
    b = _fold_error(function, decisive, node[1], outcomes)
    if a is not decisive and b is not decisive and type(a) is bool and type(b) is bool:
        return a
    return _logic_error(function, a, b)


def _guarded_chain(
    function: str,
    pairs: tuple[tuple[Closure, int], ...],
    shape: Shape,
    guard: tuple[str, tuple[str, ...]],
) -> Closure:
    """:func:`logic_chain` for an ``&&`` chain that starts with a path's guards."""
    name, fields = guard
    count = len(pairs)
    guards = tuple(zip(fields, (cost for _, cost in pairs), strict=False))
    # The leaves left to run from each position, with their positions.
    steps = [(leaf, cost, position) for position, (leaf, cost) in enumerate(pairs)]
    rests = tuple(tuple(steps[k:]) for k in range(count + 1))

    def chain(act: Activation) -> Value:
        start = 0
        value = act.variables.get(name, _UNBOUND)
        for field, cost in guards:  # has(x.f1), has(x.f1.f2), ... on plain maps
            if type(value) is not dict:
                break  # (not a map, or x unbound: the leaf runs as it is)
            act.budget -= cost
            if act.budget < 0:
                act.overdraw()
            if field not in value:
                return False
            value = value[field]
            start += 1
        outcomes: list[Value] | None = None
        for leaf, cost, position in rests[start]:
            act.budget -= cost
            if act.budget < 0:
                act.overdraw()
            try:
                value = leaf(act)
            except EvalError as error:
                value = error
            if value is False:
                return False
            if type(value) is not bool:
                if outcomes is None:
                    outcomes = [True] * count
                outcomes[position] = value
        if outcomes is None:
            return True
        ended = _fold_error(function, False, shape, outcomes)
        if isinstance(ended, EvalError):
            raise ended
        return ended  # pragma: no cover - a fold of bools only is no error, and not reached

    return chain


_UNBOUND = object()


def logic_chain(
    function: str,
    leaves: list[Closure],
    charges: list[int],
    shape: Shape,
    guard: tuple[str, tuple[str, ...]] | None = None,
) -> Closure:
    """A chain of ``&&`` (or ``||``) nodes in one closure, with the meaning, order and
    charges of the nodes it replaces: the leaves run in turn, each after its
    ``charges`` (its block and those of the nodes first entered on the way to it);
    the first ``false`` (``true``) decides; otherwise every leaf ran, and the error
    is the one the tree of nodes (``shape``) would have ended in.

    ``guard`` is ``(name, fields)`` when an ``&&`` chain starts with the guards of
    a path, ``has(x.a) && has(x.a.b) && has(x.a.b.c) && ...`` (``x`` the variable
    ``name``, one leaf per field): those leaves are decided in one walk down the
    path, each charged as it is reached, as long as each value walked is a map;
    at the first that is not one (or an unbound ``x``), the leaves from there run
    as they are."""
    decisive = function == "_||_"  # the value that decides: true for ||, false for &&
    pairs = tuple(zip(leaves, charges, strict=True))
    count = len(pairs)
    if guard is not None:
        assert function == "_&&_" and len(guard[1]) <= count
        return _guarded_chain(function, pairs, shape, guard)

    def chain(act: Activation) -> Value:
        outcomes: list[Value] | None = None
        for position, (leaf, cost) in enumerate(pairs):
            act.budget -= cost
            if act.budget < 0:
                act.overdraw()
            try:
                value = leaf(act)
            except EvalError as error:
                value = error
            if value is decisive:
                return decisive
            if type(value) is not bool:
                if outcomes is None:
                    outcomes = [not decisive] * count
                outcomes[position] = value
        if outcomes is None:
            return not decisive
        ended = _fold_error(function, decisive, shape, outcomes)
        if isinstance(ended, EvalError):
            raise ended
        return ended  # pragma: no cover - a fold of bools only is no error, and not reached

    return chain


def _logic_error(function: str, a: Value, b: Value) -> EvalError:
    """The error an ``&&``/``||`` that could not absorb it ends in (the left one first)."""
    if isinstance(a, EvalError):
        return a
    if isinstance(b, EvalError):
        return b
    return no_overload(function, a if type(a) is not bool else b)


def _conditional(args: list[Closure], costs: list[int]) -> Closure:
    condition, then, otherwise = args
    condition_cost, then_cost, otherwise_cost = costs

    def conditional(act: Activation) -> Value:
        act.budget -= condition_cost
        if act.budget < 0:
            act.overdraw()
        chosen = condition(act)
        if chosen is True:
            act.budget -= then_cost
            if act.budget < 0:
                act.overdraw()
            return then(act)
        if chosen is False:
            act.budget -= otherwise_cost
            if act.budget < 0:
                act.overdraw()
            return otherwise(act)
        raise no_overload("_?_:_", chosen)

    return conditional


def _not(args: list[Closure]) -> Closure:
    (operand,) = args
    return lambda act: logical_not(operand(act))


def _negate(args: list[Closure]) -> Closure:
    (operand,) = args
    return lambda act: negate(operand(act))


def _compared(a: Value, b: Value, act: Activation) -> bool:
    """CEL equality past the fast path (two strings, doubles or ints): two lists or
    maps are charged the first one's length and compared element by element, each
    list or map inside charged too (:func:`metered_equal`), as are optionals."""
    if type(a) in _CONTAINERS and type(b) in _CONTAINERS:
        charge(act, len(a))
        return metered_equal(a, b, act)
    if type(a) is Optional:
        return metered_equal(a, b, act)
    return cel_equal(a, b)


def _equal(args: list[Closure]) -> Closure:
    left, right = args

    def equal(act: Activation) -> Value:
        a = left(act)
        b = right(act)
        ta = type(a)
        if ta is type(b) and (ta is str or ta is float or ta is int):
            return a == b
        return _compared(a, b, act)

    return equal


def equal_constant(operand: Closure, constant: Value, constant_first: bool) -> Closure:
    """``x == "a"`` (or ``"a" == x``), ``constant`` a literal string or number: the
    constant's closure left out (a literal is its value, and cannot fail), what
    :func:`_equal` does after it (a constant is no container: nothing to charge)."""
    kind = type(constant)
    assert kind is str or kind is float or kind is int

    if constant_first:

        def equal_first(act: Activation) -> Value:
            b = operand(act)
            if type(b) is kind:
                return constant == b
            return cel_equal(constant, b)

        return equal_first

    def equal(act: Activation) -> Value:
        a = operand(act)
        if type(a) is kind:
            return a == constant
        return cel_equal(a, constant)

    return equal


def equal_local(operand: Closure, name: str) -> Closure:
    """``x == v``, ``v`` a loop variable (no accumulator): its closure's read inlined."""

    def equal(act: Activation) -> Value:
        a = operand(act)
        b = act.locals[name]
        ta = type(a)
        if ta is type(b) and (ta is str or ta is float or ta is int):
            return a == b
        return _compared(a, b, act)

    return equal


def _not_equal(args: list[Closure]) -> Closure:
    left, right = args

    def not_equal(act: Activation) -> Value:
        a = left(act)
        b = right(act)
        ta = type(a)
        if ta is type(b) and (ta is str or ta is float or ta is int):
            return a != b
        return not _compared(a, b, act)

    return not_equal


def _relation(function: str, compare: Callable[[Value, Value], bool]) -> Callable[..., Closure]:
    def make(args: list[Closure]) -> Closure:
        left, right = args

        def relation(act: Activation) -> Value:
            a = left(act)
            b = right(act)
            ta = type(a)
            tb = type(b)
            if ta is tb and ta in ORDERED:
                return compare(a, b)
            if ta in _NUMERIC and tb in _NUMERIC:
                if ta is float or tb is float:  # cel-go compares an int with a double as doubles
                    return compare(float(a), float(b))
                return compare(a, b)
            raise no_overload(function, a, b)

        return relation

    return make


def _in(args: list[Closure]) -> Closure:
    element, container = args

    def in_(act: Activation) -> Value:
        value = element(act)
        within = container(act)
        if type(within) is list or type(within) is tuple:
            charge(act, len(within))  # a list is searched element by element
            if type(value) in _CONTAINERS or type(value) is Optional:
                return metered_contains(within, value, act)
        return contains(within, value)

    return in_


def _index_op(args: list[Closure]) -> Closure:
    container, key = args

    def subscript(act: Activation) -> Value:
        value = container(act)
        k = key(act)
        if type(value) is dict and type(k) is str:
            try:
                return value[k]
            except KeyError:
                raise EvalError(f"no such key: {quoted(k)}", "no_such_key") from None
        return index(value, k)

    return subscript


def _optional_index_op(args: list[Closure]) -> Closure:
    container, key = args
    return lambda act: optional_index(container(act), key(act))


def _not_strictly_false(args: list[Closure]) -> Closure:
    (operand,) = args

    def not_strictly_false(act: Activation) -> Value:
        try:
            return operand(act) is not False
        except EvalError:
            return True

    return not_strictly_false


def _map_insert(args: list[Closure]) -> Closure:
    accu, key, value = args

    def insert(act: Activation) -> Value:
        out = accu(act)
        k = key(act)
        charge(act, 1)
        insert_entry(out, k, value(act))
        return out

    return insert


#: The operators that evaluate their operands conditionally: each operand is its
#: own block, charged (its units given in ``costs``) only when it is evaluated.
CONTROL: dict[str, Callable[[list[Closure], list[int]], Closure]] = {
    "_&&_": _and,
    "_||_": _or,
    "_?_:_": _conditional,
}
CONTROL_ARITY = {"_&&_": 2, "_||_": 2, "_?_:_": 3}

SPECIAL: dict[str, Callable[[list[Closure]], Closure]] = {
    "!_": _not,
    "-_": _negate,
    "_==_": _equal,
    "_!=_": _not_equal,
    "_<_": _relation("_<_", operator.lt),
    "_<=_": _relation("_<=_", operator.le),
    "_>_": _relation("_>_", operator.gt),
    "_>=_": _relation("_>=_", operator.ge),
    "@in": _in,
    "_[_]": _index_op,
    "_[?_]": _optional_index_op,
    "@not_strictly_false": _not_strictly_false,
    "@mapInsert": _map_insert,
}
SPECIAL_ARITY = {
    "!_": 1,
    "-_": 1,
    "_==_": 2,
    "_!=_": 2,
    "_<_": 2,
    "_<=_": 2,
    "_>_": 2,
    "_>=_": 2,
    "@in": 2,
    "_[_]": 2,
    "_[?_]": 2,
    "@not_strictly_false": 1,
    "@mapInsert": 3,
}
