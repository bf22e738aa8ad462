"""Every function the engine knows, by name: the standard library, the strings
extension and optionals, plus the operators the compiler implements itself."""

from __future__ import annotations

from policygate.cel.lang.functions import STANDARD, Function
from policygate.cel.lang.optionals import OPTIONALS
from policygate.cel.lang.strings_ext import STRINGS_EXT

#: name -> (function, argument counts with the receiver).
FUNCTIONS: dict[str, tuple[Function, frozenset[int]]] = STANDARD | STRINGS_EXT | OPTIONALS

#: Operators and macro helpers, compiled to dedicated closures.
OPERATOR_ARITY: dict[str, int] = {
    "_&&_": 2,
    "_||_": 2,
    "_?_:_": 3,
    "!_": 1,
    "-_": 1,
    "_+_": 2,
    "_-_": 2,
    "_*_": 2,
    "_/_": 2,
    "_%_": 2,
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

#: Functions written only as ``f(x)``: conversions and namespaced functions.
GLOBAL_ONLY = frozenset(
    {"int", "uint", "double", "string", "bytes", "bool", "timestamp", "duration", "dyn", "type"}
    | {name for name in FUNCTIONS if "." in name}
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
