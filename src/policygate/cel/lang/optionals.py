"""Optional values as cel-go has them: ``optional.of``, ``.value()``, ``.orValue()``...

The syntax (``a.?b``, ``m[?k]``, ``[?x]``, ``{?k: v}``) is compiled in
:mod:`policygate.cel.lang.compiler`; these are the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policygate.cel.lang.errors import EvalError
from policygate.cel.lang.values import NONE, Duration, Optional, Timestamp, no_overload

Function = Callable[..., Any]


def of(value: Any) -> Optional:
    """``optional.of(x)``."""
    return Optional(True, value)


def _is_zero(value: Any) -> bool:
    t = type(value)
    if value is None or value is False:
        return True
    if t is Duration or t is Timestamp:
        return bool(value.nanos == 0)
    if t is bool:
        return False
    if t in (int, float, str, bytes, list, dict, tuple) or isinstance(value, int):
        return not value
    return False


def of_non_zero_value(value: Any) -> Optional:
    """``optional.ofNonZeroValue(x)``: none for a zero value (0, '', [], {}, false, null)."""
    return NONE if _is_zero(value) else Optional(True, value)


def none() -> Optional:
    """``optional.none()``."""
    return NONE


def _optional(function: str, value: Any, *rest: Any) -> Optional:
    if type(value) is not Optional:
        raise no_overload(function, value, *rest)
    return value


def has_value(opt: Any) -> bool:
    """``opt.hasValue()``."""
    return _optional("hasValue", opt).has


def value(opt: Any) -> Any:
    """``opt.value()``: an error on none."""
    found = _optional("value", opt)
    if not found.has:
        raise EvalError("optional.none() dereference", "invalid_argument")
    return found.value


def or_value(opt: Any, default: Any) -> Any:
    """``opt.orValue(default)``."""
    found = _optional("orValue", opt, default)
    return found.value if found.has else default


def or_optional(opt: Any, other: Any) -> Optional:
    """``opt.or(other)``: ``opt`` when it has a value, else ``other`` (an optional)."""
    found = _optional("or", opt, other)
    if found.has:
        return found
    return _optional("or", other, opt)


OPTIONALS: dict[str, tuple[Function, frozenset[int]]] = {
    "optional.of": (of, frozenset({1})),
    "optional.ofNonZeroValue": (of_non_zero_value, frozenset({1})),
    "optional.none": (none, frozenset({0})),
    "hasValue": (has_value, frozenset({1})),
    "value": (value, frozenset({1})),
    "orValue": (or_value, frozenset({2})),
    "or": (or_optional, frozenset({2})),
}
