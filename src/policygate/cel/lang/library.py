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
