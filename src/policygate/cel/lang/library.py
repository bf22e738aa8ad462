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


#: The strings extension's functions (:mod:`.strings_ext`) and their argument
#: counts. The module (and unicodedata) is imported when one of them is first
#: called: a policy that calls none never needs it (a cold start saves ~0.4 ms).
_STRINGS_EXT_ARITIES: dict[str, frozenset[int]] = {
    "charAt": frozenset({2}),
    "indexOf": frozenset({2, 3}),
    "lastIndexOf": frozenset({2, 3}),
    "lowerAscii": frozenset({1}),
    "upperAscii": frozenset({1}),
    "replace": frozenset({3, 4}),
    "split": frozenset({2, 3}),
    "substring": frozenset({2, 3}),
    "trim": frozenset({1}),
    "join": frozenset({1, 2}),
    "reverse": frozenset({1}),
    "strings.quote": frozenset({1}),
    "format": frozenset({2}),
}


def _on_first_call(name: str) -> Function:
    """The strings extension's ``name``, imported when first called (then it is the
    table's entry, for what is compiled after)."""
    real: list[Function] = []

    def call(*args: Any) -> Any:
        if not real:
            from policygate.cel.lang.strings_ext import STRINGS_EXT

            real.append(STRINGS_EXT[name][0])
            FUNCTIONS[name] = STRINGS_EXT[name]
        return real[0](*args)

    return call


STRINGS_EXT: dict[str, tuple[Function, frozenset[int]]] = {
    name: (_on_first_call(name), arities) for name, arities in _STRINGS_EXT_ARITIES.items()
}

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
