"""CEL's standard functions and conversions (langdef.md, "Standard Definitions").

Each function takes its receiver first (``s.startsWith(p)`` is
``startsWith(s, p)``), tests the Python types it accepts and otherwise raises
CEL's "no such overload". :data:`STANDARD` maps each name to its function and
the argument counts it takes, which the checker uses for arity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from policygate.cel.lang import timefns
from policygate.cel.lang.errors import EvalError, quoted
from policygate.cel.lang.regex import search
from policygate.cel.lang.values import (
    INT64_MAX,
    INT64_MIN,
    NANOS,
    UINT64_MAX,
    CelType,
    Duration,
    Timestamp,
    Uint,
    check_int,
    format_duration,
    format_timestamp,
    no_overload,
    type_of,
)

Function = Callable[..., Any]

_INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_UINT_TEXT = re.compile(r"[0-9]+\Z")  # Go's ParseUint: no sign, not even +
_FLOAT_TEXT = re.compile(
    # [0-9]+(?:\.[0-9]*)? rather than [0-9]+\.?[0-9]*: two digit runs side by side
    # backtrack in quadratic time on a long run of digits that is not a number
    r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\Z",
    re.IGNORECASE,
)
_HEX_FLOAT_TEXT = re.compile(
    r"[+-]?0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+\Z"  # linear
)
#: Digits of the longest 64-bit integer: a longer text is out of range unconverted.
_MAX_DIGITS = 20
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def to_int(value: Any) -> int:
    """``int(x)``: from uint (range), double (truncated, range), string, timestamp."""
    t = type(value)
    if t is int:
        return value
    if t is Uint:
        if value > INT64_MAX:
            raise EvalError("range error: uint too large for int", "range")
        return int(value)
    if t is float:
        if value != value or value <= INT64_MIN or value >= INT64_MAX:
            raise EvalError("range error: double out of int range", "range")
        return int(value)
    if t is str:
        if not _INT_TEXT.match(value):
            raise EvalError(f"cannot convert {quoted(value)} to int", "conversion")
        digits = value.lstrip("+-").lstrip("0")
        if len(digits) > _MAX_DIGITS:  # never converted: int()'s limit
            raise EvalError("range error: int out of range", "range")
        parsed = -int(digits or "0") if value[0] == "-" else int(digits or "0")
        if parsed < INT64_MIN or parsed > INT64_MAX:
            raise EvalError("range error: int out of range", "range")
        return parsed
    if t is Timestamp:
        return value.nanos // NANOS
    raise no_overload("int", value)


def to_uint(value: Any) -> Uint:
    """``uint(x)``: from int (no negatives), double (truncated, range), string."""
    t = type(value)
    if t is Uint:
        return value
    if t is int:
        if value < 0:
            raise EvalError("range error: negative int to uint", "range")
        return Uint(value)
    if t is float:
        if value != value or value < 0 or value >= UINT64_MAX:
            raise EvalError("range error: double out of uint range", "range")
        return Uint(int(value))
    if t is str:
        digits = value.lstrip("0") or "0"  # (int() refuses more than 4,300 digits, zeros too)
        if not _UINT_TEXT.match(value) or len(digits) > _MAX_DIGITS or int(digits) > UINT64_MAX:
            raise EvalError(f"cannot convert {quoted(value)} to uint", "conversion")
        return Uint(int(digits))
    raise no_overload("uint", value)


def to_double(value: Any) -> float:
    """``double(x)``: from int, uint or string."""
    t = type(value)
    if t is float:
        return value
    if t is int or t is Uint:
        return float(value)
    if t is str:
        if _HEX_FLOAT_TEXT.match(value):  # Go's ParseFloat reads 0x1p-2 too
            try:
                return float.fromhex(value)
            except OverflowError:  # past the double range: as below
                raise EvalError(f"cannot convert {quoted(value)} to double", "conversion") from None
        if not _FLOAT_TEXT.match(value):
            raise EvalError(f"cannot convert {quoted(value)} to double", "conversion")
        parsed = float(value)
        if math.isinf(parsed) and value.lstrip("+-")[:1] not in ("i", "I"):
            # A finite number past the double range: Go's ParseFloat gives ±Inf with
            # ErrRange, which cel-go's double() refuses (cel-cpp gives the infinity).
            raise EvalError(f"cannot convert {quoted(value)} to double", "conversion")
        return parsed
    raise no_overload("double", value)


def format_double(value: float) -> str:
    """A double as cel-go writes it (Go's ``strconv.FormatFloat(v, 'g', -1, 64)``)."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    from decimal import Decimal  # on first use: only a double made a string needs it

    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(str(d) for d in digits)
    point = len(text) + exponent  # where the decimal point falls in the digits
    exp = point - 1
    if exp < -4 or exp >= 6:  # Go's %g with the shortest digits: exponent from 1e+06
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        out = f"{mantissa}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    elif point <= 0:
        out = "0." + "0" * (-point) + text
    elif point >= len(text):
        out = text + "0" * (point - len(text))
    else:
        out = text[:point] + "." + text[point:]
    return ("-" if sign else "") + out


def to_string(value: Any) -> str:
    """``string(x)``: from every scalar; bytes must be valid UTF-8."""
    t = type(value)
    if t is str:
        return value
    if t is int or t is Uint:
        return str(int(value))
    if t is float:
        return format_double(value)
    if t is bool:
        return "true" if value else "false"
    if t is bytes:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise EvalError("invalid UTF-8 in bytes to string", "conversion") from None
    if t is Timestamp:
        return format_timestamp(value)
    if t is Duration:
        return format_duration(value)
    raise no_overload("string", value)


def to_bytes(value: Any) -> bytes:
    """``bytes(x)``: a string's UTF-8."""
    t = type(value)
    if t is bytes:
        return value
    if t is str:
        return value.encode("utf-8")
    raise no_overload("bytes", value)


def to_bool(value: Any) -> bool:
    """``bool(x)``: from a bool or Go's ``ParseBool`` texts."""
    t = type(value)
    if t is bool:
        return value
    if t is str:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise EvalError(f"cannot convert {quoted(value)} to bool", "conversion")
    raise no_overload("bool", value)


def to_timestamp(value: Any) -> Timestamp:
    """``timestamp(x)``: from RFC 3339 text or Unix seconds."""
    t = type(value)
    if t is Timestamp:
        return value
    if t is str:
        return timefns.parse_timestamp(value)
    if t is int:
        return Timestamp(value * NANOS)
    raise no_overload("timestamp", value)


def to_duration(value: Any) -> Duration:
    """``duration(x)``: from Go duration text."""
    t = type(value)
    if t is Duration:
        return value
    if t is str:
        return timefns.parse_duration(value)
    raise no_overload("duration", value)


def dyn(value: Any) -> Any:
    """``dyn(x)``: ``x`` itself (a type-checker hint)."""
    return value


def cel_type(value: Any) -> CelType:
    """``type(x)``."""
    return type_of(value)


def size(value: Any) -> int:
    """``size(x)``: code points of a string, bytes, elements, entries."""
    t = type(value)
    if t is str or t is bytes or t is list or t is dict or t is tuple:
        return len(value)
    raise no_overload("size", value)


def _strings(function: str, a: Any, b: Any) -> None:
    if type(a) is not str or type(b) is not str:
        raise no_overload(function, a, b)


def contains(a: Any, b: Any) -> bool:
    """``s.contains(t)``."""
    _strings("contains", a, b)
    return b in a


def starts_with(a: Any, b: Any) -> bool:
    """``s.startsWith(t)``."""
    _strings("startsWith", a, b)
    return bool(a.startswith(b))


def ends_with(a: Any, b: Any) -> bool:
    """``s.endsWith(t)``."""
    _strings("endsWith", a, b)
    return bool(a.endswith(b))


def matches(a: Any, b: Any) -> bool:
    """``s.matches(re)``: an RE2 search (a match anywhere, as CEL says)."""
    _strings("matches", a, b)
    return search(b, a)


def _getter(name: str) -> Function:
    def getter(value: Any, zone: Any = None) -> int:
        t = type(value)
        if t is Timestamp and (zone is None or type(zone) is str):
            return timefns.timestamp_getter(name, value, zone)
        if t is Duration and zone is None and name in _DURATION_GETTERS:
            return timefns.duration_getter(name, value)
        if zone is None:
            raise no_overload(name, value)
        raise no_overload(name, value, zone)

    getter.__name__ = name
    getter.__doc__ = f"``x.{name}([zone])`` on a timestamp (or a duration)."
    return getter


_DURATION_GETTERS = frozenset({"getHours", "getMinutes", "getSeconds", "getMilliseconds"})
_TIMESTAMP_GETTERS = [
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfYear",
    "getDayOfWeek",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
]

#: name -> (function, the argument counts it takes, receiver included).
_CONVERSIONS_AND_STRINGS: dict[str, tuple[Function, frozenset[int]]] = {
    "int": (to_int, frozenset({1})),
    "uint": (to_uint, frozenset({1})),
    "double": (to_double, frozenset({1})),
    "string": (to_string, frozenset({1})),
    "bytes": (to_bytes, frozenset({1})),
    "bool": (to_bool, frozenset({1})),
    "timestamp": (to_timestamp, frozenset({1})),
    "duration": (to_duration, frozenset({1})),
    "dyn": (dyn, frozenset({1})),
    "type": (cel_type, frozenset({1})),
    "size": (size, frozenset({1})),
    "contains": (contains, frozenset({2})),
    "startsWith": (starts_with, frozenset({2})),
    "endsWith": (ends_with, frozenset({2})),
    "matches": (matches, frozenset({2})),
}
_GETTERS: dict[str, tuple[Function, frozenset[int]]] = {
    name: (_getter(name), frozenset({1, 2})) for name in _TIMESTAMP_GETTERS
}
#: name -> (function, the argument counts it takes, receiver included).
STANDARD: dict[str, tuple[Function, frozenset[int]]] = _CONVERSIONS_AND_STRINGS | _GETTERS

__all__ = ["STANDARD", "check_int", "format_double"]
