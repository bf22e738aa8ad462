"""Every function the engine knows, by name: the standard library, the strings
extension and optionals, policygate's few own functions (SPEC §3: ``days(n)``),
plus the operators the compiler implements itself."""

from __future__ import annotations

import math
from typing import Any

from policygate.cel.lang.arith import TABLES
from policygate.cel.lang.errors import EvalError
from policygate.cel.lang.functions import STANDARD, Function
from policygate.cel.lang.operators import CONTROL_ARITY, SPECIAL_ARITY
from policygate.cel.lang.optionals import OPTIONALS
from policygate.cel.lang.strings_ext import STRINGS_EXT
from policygate.cel.lang.values import NANOS, Duration, no_overload

SECONDS_PER_DAY = 86_400


_DAYS: dict[float, Duration] = {}  # days(n) by n: rules ask it of a few params, per element


def days(n: Any) -> Duration:
    """``days(n)``: a duration of ``n`` days, ``n`` an int or a double (never a bool).

    ``n * 86400`` seconds as a double, the fraction rounded to the nanosecond.
    """
    t = type(n)
    if t is not int and t is not float:
        raise no_overload("days", n)
    found = _DAYS.get(n)  # (an int and the equal double are the same duration)
    if found is not None:
        return found
    total = float(n) * SECONDS_PER_DAY
    if not math.isfinite(total):
        raise EvalError(f"days({n}): duration out of range", "range")
    whole = int(total)
    found = Duration(whole * NANOS + round((total - whole) * 1e9))
    if len(_DAYS) >= 256:
        _DAYS.clear()
    _DAYS[n] = found
    return found


#: policygate's own functions (SPEC §3), written ``f(x)``.
POLICYGATE: dict[str, tuple[Function, frozenset[int]]] = {"days": (days, frozenset({1}))}

#: name -> (function, argument counts with the receiver).
FUNCTIONS: dict[str, tuple[Function, frozenset[int]]] = (
    STANDARD | STRINGS_EXT | OPTIONALS | POLICYGATE
)

#: Operators and macro helpers, compiled to dedicated closures (their arities are
#: the compiler's tables: the checker only needs to know they are no functions).
OPERATORS: frozenset[str] = frozenset(CONTROL_ARITY) | frozenset(SPECIAL_ARITY) | frozenset(TABLES)

#: Functions written only as ``f(x)``: conversions and namespaced functions.
GLOBAL_ONLY = frozenset(
    {"int", "uint", "double", "string", "bytes", "bool", "timestamp", "duration", "dyn", "type"}
    | {name for name in FUNCTIONS if "." in name}
    | set(POLICYGATE)
)
#: Functions written either way (``size(x)`` or ``x.size()``); every other is a method only.
EITHER_STYLE = frozenset({"size", "matches"})


def style_error(function: str, is_method: bool) -> str | None:
    """Why ``function`` cannot be called in that style, or None when it can."""
    if function not in FUNCTIONS or function in EITHER_STYLE:
        return None
    if is_method and function in GLOBAL_ONLY:
        return f"'{function}' is a function, not a method: write {function}(x)"
    if not is_method and function not in GLOBAL_ONLY:
        return f"'{function}' is a method: write x.{function}(...)"
    return None
