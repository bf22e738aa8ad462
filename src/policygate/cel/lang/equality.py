"""CEL's equality and ordering, heterogeneous over numbers.

Python's ``==`` is nearly CEL's (``1 == 1.0``, NaN unequal to itself), with
two exceptions this module exists for: a ``bool`` is an ``int`` in Python
(``True == 1``) but never a number in CEL, and a list compares elements by
identity first in Python (``[nan] == [nan]`` is true for one NaN object).
"""

from __future__ import annotations

from typing import Any

from policygate.cel.lang.activation import Activation, charge
from policygate.cel.lang.values import Duration, Optional, Timestamp, Uint, no_overload

#: Types whose Python ``==`` is CEL's between two values of that very type.
_SCALAR = frozenset({int, float, str, bytes, bool, Uint, type(None), Timestamp, Duration})
_NUMERIC = frozenset({int, float, Uint})
#: Types that CEL orders with ``<``; two of them must be of one type or both numeric.
ORDERED = frozenset({int, float, Uint, str, bytes, bool, Timestamp, Duration})


def cel_equal(a: Any, b: Any) -> bool:
    """``a == b`` as CEL says: numbers by value, containers element-wise, else by type."""
    ta = type(a)
    tb = type(b)
    if ta is tb:
        if ta in _SCALAR:
            return bool(a == b)
        if ta is list:
            return _list_equal(a, b)
        if ta is dict:
            return _map_equal(a, b)
        if ta is Optional:
            return a.has == b.has and (not a.has or cel_equal(a.value, b.value))
        return bool(a == b)
    if ta in _NUMERIC and tb in _NUMERIC:
        if ta is float or tb is float:  # as cel-go: an int meets a double as a double
            return bool(float(a) == float(b))
        return bool(a == b)
    if (ta is tuple or tb is tuple) and (ta is list or ta is tuple) and (tb is list or tb is tuple):
        return _list_equal(a, b)
    return False


_SEQUENCES = frozenset({list, tuple})


def metered_equal(a: Any, b: Any, act: Activation) -> bool:
    """:func:`cel_equal`, charging each list or map met inside ``a`` its length before
    its elements are compared (the caller charges ``a`` itself): ``[x] == [y]`` of two
    long lists costs what ``x == y`` costs, not one unit."""
    ta = type(a)
    tb = type(b)
    if ta in _SEQUENCES and tb in _SEQUENCES:
        if len(a) != len(b):
            return False
        return all(_inner_equal(x, y, act) for x, y in zip(a, b, strict=True))
    if ta is dict and tb is dict:
        if len(a) != len(b):
            return False
        for key, value in a.items():
            found = map_lookup(b, key)
            if found is _MISSING or not _inner_equal(value, found, act):
                return False
        return True
    if ta is Optional and tb is Optional:
        return a.has == b.has and (not a.has or _inner_equal(a.value, b.value, act))
    return cel_equal(a, b)


def _inner_equal(a: Any, b: Any, act: Activation) -> bool:
    ta = type(a)
    if ta in _SCALAR:
        return cel_equal(a, b)
    tb = type(b)
    if (ta in _SEQUENCES and tb in _SEQUENCES) or (ta is dict and tb is dict):
        charge(act, len(a))  # compared element by element
    return metered_equal(a, b, act)


def metered_contains(container: Any, element: Any, act: Activation) -> bool:
    """:func:`contains` for an element that is a list, map or optional: each
    comparison with a list or map charged as :func:`metered_equal` charges it."""
    if type(container) in _SEQUENCES:
        return any(_inner_equal(element, item, act) for item in container)
    return contains(container, element)


def _list_equal(a: Any, b: Any) -> bool:
    if len(a) != len(b):
        return False
    return all(cel_equal(x, y) for x, y in zip(a, b, strict=True))


def _map_equal(a: dict[Any, Any], b: dict[Any, Any]) -> bool:
    if len(a) != len(b):
        return False
    for key, value in a.items():
        found = map_lookup(b, key)
        if found is _MISSING or not cel_equal(value, found):
            return False
    return True


class _Missing:
    __slots__ = ()


_MISSING: Any = _Missing()


def map_lookup(mapping: dict[Any, Any], key: Any) -> Any:
    """``mapping[key]`` under CEL's key equality, or the module's missing marker.

    Python's dict already finds ``1``, ``1u`` and ``1.0`` under one another, as
    CEL's heterogeneous equality wants; only a bool must not meet ``0`` or ``1``.
    """
    tk = type(key)
    if tk is str:
        return mapping.get(key, _MISSING)
    if tk is bool or ((key == 0 or key == 1) and tk in _NUMERIC):
        if key not in mapping:  # (no walk: a record's map of 100,000 names holds none)
            return _MISSING
        want_bool = tk is bool
        for stored, value in mapping.items():
            if (type(stored) is bool) == want_bool and stored == key:
                return value
        return _MISSING
    if tk is float and key != key:
        return _MISSING
    try:
        return mapping.get(key, _MISSING)
    except TypeError:
        return _MISSING


def is_missing(value: Any) -> bool:
    """Whether :func:`map_lookup` found nothing."""
    return value is _MISSING


def cel_compare(function: str, a: Any, b: Any) -> int:
    """-1, 0 or 1 ordering ``a`` and ``b``; no overload unless one type or both numeric.

    NaN is neither less, equal nor greater: the callers test ``<`` etc. directly
    for doubles, so this is only reached through the generic path.
    """
    ta = type(a)
    tb = type(b)
    if (ta is tb and ta in ORDERED) or (ta in _NUMERIC and tb in _NUMERIC):
        return -1 if a < b else (1 if a > b else 0)
    raise no_overload(function, a, b)


def contains(container: Any, element: Any) -> bool:
    """CEL's ``element in container`` for a list (by CEL equality) or a map (a key)."""
    tc = type(container)
    if tc is list or tc is tuple:
        te = type(element)
        if te is str:  # (a string equals a string only: no other CEL value == one)
            return element in container
        if te is float:
            for item in container:
                if type(item) is te and item == element:
                    return True
                if te is float and type(item) in _NUMERIC and item == element:
                    return True
            return False
        return any(cel_equal(item, element) for item in container)
    if tc is dict:
        return map_lookup(container, element) is not _MISSING
    raise no_overload("@in", element, container)
