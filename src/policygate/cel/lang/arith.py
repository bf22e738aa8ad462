"""CEL's arithmetic: one table per operator, keyed by the operands' Python types.

A dispatch on ``(type(a), type(b))`` is one dict lookup where an
``isinstance`` chain would be many tests, and it keeps ``bool`` (an ``int`` in
Python) out of arithmetic, as CEL wants. Integer results are checked for
64-bit overflow; division and modulo by zero are errors on integers and IEEE
results on doubles; ``%`` has no overload on doubles or strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policygate.cel.lang.errors import EvalError
from policygate.cel.lang.values import (
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    Duration,
    Timestamp,
    Uint,
    make_uint,
    no_overload,
)

Binary = Callable[[Any, Any], Any]


def _int(value: int) -> int:
    if value < INT64_MIN or value > INT64_MAX:
        raise EvalError("integer overflow", "overflow")
    return value


def _uint(value: int) -> Uint:
    if value < 0 or value > UINT64_MAX:
        raise EvalError("unsigned integer overflow", "overflow")
    return Uint(value)


def _div_int(a: int, b: int) -> int:
    if b == 0:
        raise EvalError("divide by zero", "division_by_zero")
    q = abs(a) // abs(b)
    return _int(q if (a < 0) == (b < 0) else -q)


def _mod_int(a: int, b: int) -> int:
    if b == 0:
        raise EvalError("modulus by zero", "modulus_by_zero")
    if a == INT64_MIN and b == -1:  # as cel-go: the quotient overflows, so does the remainder
        raise EvalError("integer overflow", "overflow")
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


def _div_uint(a: int, b: int) -> Uint:
    if b == 0:
        raise EvalError("divide by zero", "division_by_zero")
    return Uint(a // b)


def _mod_uint(a: int, b: int) -> Uint:
    if b == 0:
        raise EvalError("modulus by zero", "modulus_by_zero")
    return Uint(a % b)


def _div_double(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return float("nan")
        negative = (a < 0) != (str(b)[0] == "-")
        return float("-inf") if negative else float("inf")


def _timestamp(nanos: int) -> Timestamp:
    return Timestamp(nanos)


def _duration(nanos: int) -> Duration:
    return Duration(nanos)


ADD: dict[tuple[type, type], Binary] = {
    (int, int): lambda a, b: _int(a + b),
    (Uint, Uint): lambda a, b: _uint(a + b),
    (float, float): lambda a, b: a + b,
    (str, str): lambda a, b: a + b,
    (bytes, bytes): lambda a, b: a + b,
    (list, list): lambda a, b: a + b,
    (tuple, list): lambda a, b: list(a) + b,
    (list, tuple): lambda a, b: a + list(b),
    (tuple, tuple): lambda a, b: list(a) + list(b),
    (Timestamp, Duration): lambda a, b: _timestamp(a.nanos + b.nanos),
    (Duration, Timestamp): lambda a, b: _timestamp(a.nanos + b.nanos),
    (Duration, Duration): lambda a, b: _duration(a.nanos + b.nanos),
}

SUB: dict[tuple[type, type], Binary] = {
    (int, int): lambda a, b: _int(a - b),
    (Uint, Uint): lambda a, b: _uint(a - b),
    (float, float): lambda a, b: a - b,
    (Timestamp, Timestamp): lambda a, b: _duration(a.nanos - b.nanos),
    (Timestamp, Duration): lambda a, b: _timestamp(a.nanos - b.nanos),
    (Duration, Duration): lambda a, b: _duration(a.nanos - b.nanos),
}

MUL: dict[tuple[type, type], Binary] = {
    (int, int): lambda a, b: _int(a * b),
    (Uint, Uint): lambda a, b: _uint(a * b),
    (float, float): lambda a, b: a * b,
}

DIV: dict[tuple[type, type], Binary] = {
    (int, int): _div_int,
    (Uint, Uint): _div_uint,
    (float, float): _div_double,
}

MOD: dict[tuple[type, type], Binary] = {
    (int, int): _mod_int,
    (Uint, Uint): _mod_uint,
}

TABLES: dict[str, dict[tuple[type, type], Binary]] = {
    "_+_": ADD,
    "_-_": SUB,
    "_*_": MUL,
    "_/_": DIV,
    "_%_": MOD,
}


def negate(value: Any) -> Any:
    """``-x`` on an int (overflow at the minimum), a double or a duration."""
    t = type(value)
    if t is int:
        return _int(-value)
    if t is float:
        return -value
    if t is Duration:
        return Duration(-value.nanos)
    raise no_overload("-_", value)


def logical_not(value: Any) -> bool:
    """``!x`` on a bool only."""
    if value is True:
        return False
    if value is False:
        return True
    raise no_overload("!_", value)


__all__ = ["ADD", "DIV", "MOD", "MUL", "SUB", "TABLES", "make_uint", "negate", "logical_not"]
