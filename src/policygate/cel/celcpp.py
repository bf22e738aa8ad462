"""The fast backend: Google's CEL C++ runtime through ``cel-expr-python``
(``pip install 'policygate[fast]'``).

It gives the same results and messages as the portable cel-python backend:

- Numbers that come from documents become doubles, as in cel-python. cel-cpp
  compares int with double natively (relations, ``==``, ``in``), so
  ``model.x >= 1`` needs nothing; mixed *arithmetic*, ``%`` on doubles,
  ``string()`` of a double and cel-python's forgiving ``has()`` are rewritten on
  the parsed expression, once, at compile time (:mod:`.cppast`).
- Expressions are parsed without the type checker (every variable is dynamic),
  as cel-python does, so what is a syntax error is the same on both.
- An evaluation error's message comes from the portable backend's describer:
  the expression is evaluated once more by cel-python on the same variables, so
  that "no such key: model.spec.metrics.auc" reads the same whatever ran. That
  costs a cel-python evaluation per *error*, never per passing check, and
  cel-python is imported only when an error first happens.

Evaluation is shaped for the hot loop: one ``Activation`` per model wraps the
converted document without copying it into C++ (cel-cpp reads it lazily), a
check that yields a bool returns the plain Python ``bool``, and nothing is
parsed or converted again per rule.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import functools
import math
import operator
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from cel_expr_python import cel

from ..timestamps import parse_timestamp
from . import cost, cppast
from .budget import Meter, check_expression, meter_for
from .interface import (
    Activation,
    Backend,
    CELEvaluationError,
    CELSyntaxError,
    Fused,
    Program,
)
from .library import SECONDS_PER_DAY, matches

_T = cel.Type
_ERROR = _T.ERROR
_MAX_DURATION_SECONDS = 315_576_000_000  # CEL's duration range: +-10,000 years

VARIABLES = ("model", "params", "now", "inputs", "item", "key", "index")


# --------------------------------------------------------------------------- documents


def to_cel(value: Any) -> Any:
    """Plain document data with every number a double (and map keys strings), as the
    cel-python backend sees it; cel-cpp then wraps it without copying."""
    return _to_cel(value, [])


def _to_cel(value: Any, nul: list[bool]) -> Any:
    """:func:`to_cel`, noting in ``nul`` a string with a NUL character (``True``),
    which cel-cpp would cut short at the NUL (see :class:`_CppActivation`), and a
    date or a duration (``False``), which cel-cpp refuses inside a document.

    Documents are mostly maps, lists, strings and doubles: those are converted
    in the loops of :func:`_map` and :func:`_list`, one call per container, and
    everything else here."""
    kind = type(value)
    if kind is dict:
        return _map(value, nul)
    if kind is list:
        return _list(value, nul)
    return _other(value, nul)


def _map(value: dict[Any, Any], nul: list[bool]) -> dict[str, Any]:
    out = {}
    for key, item in value.items():
        if type(key) is not str:
            key = _other(str(key), nul)
        elif "\x00" in key:
            nul.append(True)
        kind = type(item)
        if kind is str:
            if "\x00" in item:
                nul.append(True)
            out[key] = item
        elif kind is float or item is None or kind is bool:
            out[key] = item
        elif kind is dict:
            out[key] = _map(item, nul)
        elif kind is list:
            out[key] = _list(item, nul)
        else:
            out[key] = _other(item, nul)
    return out


def _list(value: list[Any], nul: list[bool]) -> list[Any]:
    out = []
    for item in value:
        kind = type(item)
        if kind is str:
            if "\x00" in item:
                nul.append(True)
            out.append(item)
        elif kind is float or item is None or kind is bool:
            out.append(item)
        elif kind is dict:
            out.append(_map(item, nul))
        else:
            out.append(_to_cel(item, nul))
    return out


def _other(value: Any, nul: list[bool]) -> Any:
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        if "\x00" in value:
            nul.append(True)
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an integer beyond the double range
            return math.inf if value > 0 else -math.inf
    if isinstance(value, Mapping):
        return {_to_cel(str(k), nul): _to_cel(v, nul) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_cel(v, nul) for v in value]
    if isinstance(value, (_dt.datetime, _dt.timedelta)):
        nul.append(False)
        return value
    raise TypeError(f"cannot pass {type(value).__name__} to CEL")


# cel-expr-python 0.1.3 takes one reference to None too few each time it gives a
# CEL null to Python (Value.value(), Value.plain_value()): left alone, a long run
# on records with nulls would free None and crash the interpreter. Every
# conversion goes through these two, which give the references back.
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


def _value(value: Any) -> Any:
    """``value.value()``: lists and maps of cel-cpp values, or a plain scalar."""
    plain = value.value()
    if plain is None:
        _incref(None)
    return plain


def _plain_value(value: Any) -> Any:
    """``value.plain_value()``: plain Python all the way down."""
    plain = value.plain_value()
    missing = _nones(plain)
    for _ in range(missing):
        _incref(None)
    return plain


def _nones(plain: Any) -> int:
    """How many times None occurs in ``plain`` (as a value or a key)."""
    if plain is None:
        return 1
    kind = type(plain)
    if kind is list:
        return sum(_nones(v) for v in plain if v is None or type(v) in (list, dict))
    if kind is dict:
        return sum(_nones(k) + _nones(v) for k, v in plain.items())
    return 0


# --------------------------------------------------------------------------- the library


# The functions below return the same object for the same argument (a small
# cache): cel-expr-python 0.1.3 keeps a reference to every value a function
# returns, so a shared value costs nothing more, where a new one per call would
# never be freed (and parsing the same text again is work saved).
_RESULTS = 4096


@functools.lru_cache(maxsize=_RESULTS)
def _days(n: Any) -> _dt.timedelta:
    """``days(n)``: the same arithmetic as the cel-python backend's, to the microsecond."""
    total = float(n) * SECONDS_PER_DAY
    if not math.isfinite(total) or abs(total) > _MAX_DURATION_SECONDS:
        raise ValueError(f"days({n}): duration out of range")
    whole = int(total)
    nanos = round((total - whole) * 1e9)
    return _dt.timedelta(seconds=whole, microseconds=nanos // 1000)


def _mod(a: Any, b: Any) -> float:
    """cel-python's ``%`` where a double takes part: both integral, the sign of the
    dividend; anything else is an error."""
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    if numbers and float(a).is_integer() and float(b).is_integer():
        if float(b) == 0:
            raise ZeroDivisionError("modulus by zero")
        return math.fmod(float(a), float(b))
    raise TypeError(f"no such overload: {_python_type(a)} % {_python_type(b)}")


def _string_of_double(value: float) -> str:
    return str(float(value))


@functools.lru_cache(maxsize=_RESULTS)
def _timestamp(text: str) -> _dt.datetime:
    """``timestamp()`` of a text: RFC 3339 as every timestamp policygate reads
    (:func:`policygate.timestamps.parse_timestamp`), the same on both engines."""
    return parse_timestamp(text)


@functools.lru_cache(maxsize=_RESULTS)
def _duration(text: str) -> _dt.timedelta:
    """cel-python's ``duration()`` for what is not a Go duration (``"2d"``)."""
    from celpy.celtypes import DurationType

    value = DurationType(text)
    return _dt.timedelta(days=value.days, seconds=value.seconds, microseconds=value.microseconds)


def _python_type(value: Any) -> str:
    return {bool: "bool", int: "int", float: "double", str: "string"}.get(type(value), "dyn")


_COMPARISONS = {"_<_": operator.lt, "_<=_": operator.le, "_>_": operator.gt,
                "_>=_": operator.ge, "_==_": operator.eq, "_!=_": operator.ne}  # fmt: skip


def _exactly(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Python compares an int with a float exactly, as cel-python's relations do."""
    return lambda a, b: bool(compare(a, b))


_MIXED = [(_T.DOUBLE, _T.DOUBLE), (_T.DOUBLE, _T.INT), (_T.INT, _T.DOUBLE),
          (_T.DOUBLE, _T.UINT), (_T.UINT, _T.DOUBLE)]  # fmt: skip


def _declarations() -> list[Any]:
    def overload(name: str, result: Any, *parameters: Any, impl: Any) -> Any:
        return cel.Overload(name, result, list(parameters), impl=impl)

    return [
        cel.FunctionDecl(
            "days",
            [
                overload("pg_days_int", _T.DURATION, _T.INT, impl=_days),
                overload("pg_days_double", _T.DURATION, _T.DOUBLE, impl=_days),
            ],
        ),
        cel.FunctionDecl(
            cppast.MOD,
            [
                overload(f"pg_mod_{a.name()}_{b.name()}", _T.DOUBLE, a, b, impl=_mod)
                for a, b in _MIXED
            ],
        ),
        *(
            cel.FunctionDecl(
                helper,
                [
                    overload(
                        f"{helper[1:]}_{a.name()}_{b.name()}",
                        _T.BOOL,
                        a,
                        b,
                        impl=_exactly(_COMPARISONS[relation]),
                    )
                    for a, b in _MIXED
                ],
            )  # fmt: skip
            for relation, helper in cppast.RELATIONS.items()
        ),
        cel.FunctionDecl(
            cppast.MATCHES,
            [overload("pg_matches_string", _T.BOOL, _T.STRING, _T.STRING, impl=matches)],
        ),
        cel.FunctionDecl(
            cppast.TIMESTAMP,
            [overload("pg_timestamp_string", _T.TIMESTAMP, _T.STRING, impl=_timestamp)],
        ),
        cel.FunctionDecl(
            cppast.DURATION,
            [overload("pg_duration_string", _T.DURATION, _T.STRING, impl=_duration)],
        ),
        cel.FunctionDecl(
            cppast.STRING,
            [overload("pg_string_double", _T.STRING, _T.DOUBLE, impl=_string_of_double)],
        ),
    ]


# --------------------------------------------------------------------------- the backend


class _CppActivation(Activation):
    """The variables of one evaluation: the plain values (kept for the error
    describer) and the cel-cpp activation that wraps them.

    cel-cpp reads a Python string only up to its first NUL character; variables
    holding such a string are ``portable``: every evaluation on them is left to
    the portable backend (rare: no real record has one, a fuzzer's does)."""

    __slots__ = ("variables", "native", "portable", "plain", "shapes", "_env", "_describer")
    native: Any  # cel-cpp's activation (see __getattr__)

    def __init__(
        self, env: Any, variables: dict[str, Any], describer: _Describer, portable: bool = False
    ) -> None:
        self.variables = variables
        self.portable = portable
        self.plain = False  # only JSON's types in the variables (no date, no duration)
        self.shapes: dict[Any, Any] = {}  # what .cost looked up in these variables
        self._env = env
        self._describer = describer

    def __getattr__(self, name: str) -> Any:
        # ``native`` is made when first evaluated on: a model's base activation is
        # only bound (to each policy's params), never evaluated on itself.
        if name == "native":
            native = self.native = self._env.Activation(self.variables)
            return native
        raise AttributeError(name)

    def bind(self, **variables: Any) -> _CppActivation:
        merged = dict(self.variables)
        nul: list[bool] = []
        for name, value in variables.items():
            if isinstance(value, int) and not isinstance(value, bool):
                merged[name] = value  # an index stays an int
            elif type(value) is MappingProxyType:
                converted, has_nul = _frozen(value)
                merged[name] = converted
                nul += has_nul
            else:
                merged[name] = _to_cel(value, nul)
        child = _CppActivation(self._env, merged, self._describer, self.portable or True in nul)
        child.plain = self.plain and not nul
        # what .cost looked up in the variables the child keeps holds for it too
        child.shapes = {k: v for k, v in self.shapes.items() if k[0] not in variables}
        return child


_FROZEN: dict[int, tuple[MappingProxyType[Any, Any], Any, list[bool]]] = {}


def _frozen(value: MappingProxyType[Any, Any]) -> tuple[Any, list[bool]]:
    """A read-only mapping (a policy's ``params``) converted once, not once per model.

    Keeps the last few: the entry holds the mapping, so its id is not reused."""
    found = _FROZEN.get(id(value))
    if found is None or found[0] is not value:
        if len(_FROZEN) >= 64:
            _FROZEN.clear()
        nul: list[bool] = []
        found = _FROZEN[id(value)] = (value, _to_cel(value, nul), nul)
    return found[1], found[2]


class _Plain:
    """A value kept as plain Python: one the portable backend computed (a cel-cpp
    value would cut its strings short at a NUL), or a field path's value read
    from the variables (see :func:`_read`)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


_PLAIN_TYPES = {bool: "bool", int: "int", float: "double", str: "string", bytes: "bytes",
                list: "list", dict: "map", type(None): "null", _dt.datetime: "timestamp",
                _dt.timedelta: "duration"}  # fmt: skip


NATIVE_UNITS = 100_000
"""The most an evaluation left to cel-cpp may cost, whatever the budget: cel-cpp
cannot look at the clock while it runs, so what it runs must be small enough
(a few milliseconds) for the rule's time limit to stay a limit."""


class _CppProgram(Program):
    __slots__ = ("text", "_expression", "_describer", "_root", "_bound", "_path", "_path_units")

    @property
    def fusable(self) -> bool:
        """Whether its cost can be bounded, which fusing it needs."""
        return self._bound is not None

    def __init__(self, text: str, expression: Any, describer: _Describer) -> None:
        self.text = text
        self._expression = expression
        self._describer = describer
        self._root = cost.parse(expression.serialize())  # for the budget (see .cost)
        self._bound = cost.compile_bound(self._root)  # the work that depends on the text alone
        # A field path (``model.spec.metrics.auc``, most message placeholders and
        # for_each lists) is read here (see _read): a native call costs more than the walk.
        path = cppast.field_path(self._root) if self._bound is not None else None
        self._path = path if path is not None and path[1] else None  # a bare variable: native
        self._path_units = cost.path_units(len(self._path[1])) if self._path else None

    def free_variables(self) -> set[str] | None:
        """The identifiers the parsed tree reads (lark not needed: a cold start)."""
        return cppast.free_variables(self._root) if self._root is not None else None

    def evaluate(self, activation: Activation, meter: Meter | None = None) -> Any:
        assert isinstance(activation, _CppActivation)
        meter = meter_for(meter)
        meter.begin()
        path = self._path
        if path is not None and not activation.portable:
            value = _read(activation.variables, path, activation.plain)
            units = self._path_units
            if value is not _UNREAD and units is not None and units <= meter.remaining:
                meter.charge(units)  # what the bound of the path charges
                return value if value is True or value is False else _Plain(value)
        bound = self._bound
        limit = min(meter.remaining, NATIVE_UNITS)
        units = bound(activation.variables, limit, activation.shapes) if bound is not None else None
        if units is None or activation.portable:
            # cel-cpp cannot count while it runs, and this evaluation may cost more than
            # the budget allows: the portable backend counts every step and stops in time.
            plain = self._describer.metered(self.text, activation, meter)
            if plain is True or plain is False:
                return plain
            return _Plain(plain)
        meter.charge(units)
        value = self._expression.eval(activation.native)
        plain = _value(value)
        if plain is True or plain is False:
            return plain  # the hot path: a check that yielded a bool
        if value.type() == _ERROR:
            raise CELEvaluationError(self._describer.describe(self.text, activation, str(plain)))
        return value


_UNREAD = object()
_SCALAR_TYPES = (str, float, bool, int, type(None))


def _read(variables: dict[str, Any], path: tuple[str, tuple[str, ...]], plain: bool) -> Any:
    """The value at ``path`` in the (converted) variables, as cel-cpp would give it:
    a scalar, or with ``plain`` variables a list or a map (JSON's types all the way
    down, cel-cpp's plain value of them); :data:`_UNREAD` for anything else (a
    missing key is cel-cpp's error to word)."""
    value = variables.get(path[0], _UNREAD)
    for key in path[1]:
        if type(value) is not dict:
            return _UNREAD
        value = value.get(key, _UNREAD)
    kind = type(value)
    if kind in _SCALAR_TYPES or (plain and (kind is list or kind is dict)):
        return value
    return _UNREAD


def rewritten(env: Any, expression: Any) -> Any:
    """A parsed ``expression`` with cel-python's meaning (:mod:`.cppast`)."""
    changed = cppast.rewrite(expression.serialize())
    return env.deserialize(changed) if changed is not None else expression


class _Describer:
    """Error messages in the portable backend's words (see the module docstring)."""

    def __init__(self) -> None:
        self._backend: Backend | None = None
        self._programs: dict[str, Program | None] = {}

    def describe(self, text: str, activation: _CppActivation, native: str) -> str:
        try:
            program = self._program(text)
            if program is not None:
                program.evaluate(self._activation(activation))
        except CELEvaluationError as error:
            return str(error)
        except Exception:  # noqa: BLE001 - the describer must never hide the real error
            pass
        return _clean(native)

    def metered(self, text: str, activation: _CppActivation, meter: Meter) -> Any:
        """Evaluate with the portable backend, which counts every step against
        ``meter`` (see :mod:`.cost`); the value as plain Python."""
        program = self._program(text)
        if program is None:  # pragma: no cover - both parsers accept what compiled
            raise CELEvaluationError("cannot bound the cost of this expression")
        value = program.evaluate(self._activation(activation), meter)
        return self._portable().to_python(value)

    def syntax_error(self, text: str, native: str) -> CELSyntaxError:
        """The portable backend's account of a syntax error (its words and position);
        cel-cpp's own where only cel-cpp refuses the text."""
        try:
            self._portable().compile(text)
        except CELSyntaxError as error:
            return error
        except Exception:  # noqa: BLE001 - fall back to cel-cpp's own account
            pass
        found = _SYNTAX_RE.search(native)
        line, column = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
        detail = found.group(3) if found else _clean(native.splitlines()[0])
        return CELSyntaxError(f"syntax error: {detail}", line, column)

    def _program(self, text: str) -> Program | None:
        if text not in self._programs:
            try:
                self._programs[text] = self._portable().compile(text)
            except Exception:  # noqa: BLE001 - no portable account: cel-cpp's own
                self._programs[text] = None
        return self._programs[text]

    def _portable(self) -> Backend:
        if self._backend is None:
            from .celpython import CelPythonBackend

            self._backend = CelPythonBackend()
        return self._backend

    def _activation(self, activation: _CppActivation) -> Activation:
        variables = dict(activation.variables)
        base = self._portable().activation(
            model=variables.pop("model", None),
            params=variables.pop("params", {}),
            now=variables.pop("now"),
            inputs=variables.pop("inputs", {}),
        )
        return base.bind(**variables) if variables else base


class CelCppBackend(Backend):
    name = "cel-cpp"

    def __init__(self) -> None:
        dyn = {name: _T.DYN for name in VARIABLES}
        dyn["now"] = _T.TIMESTAMP  # a DYN variable would not take a datetime
        self._env = cel.NewEnv(variables=dyn, functions=_declarations())
        self._describer = _Describer()

    def compile(self, text: str) -> Program:
        check_expression(text)
        try:
            expression = self._env.compile(text, disable_check=True)
        except RuntimeError as error:
            raise self._describer.syntax_error(text, str(error)) from None
        return _CppProgram(text, rewritten(self._env, expression), self._describer)

    def fuse(self, rules: list[tuple[Program | None, Program | None, Program]]) -> Fused | None:
        from .fusion import fuse  # only an evaluation of several models fuses

        return fuse(self._env, rules)

    def activation(
        self,
        *,
        model: Any,
        params: Mapping[str, Any],
        now: _dt.datetime,
        inputs: Mapping[str, Any],
    ) -> Activation:
        nul: list[bool] = []
        variables = {
            "model": _to_cel(model, nul),
            "params": _to_cel(dict(params), nul),
            "now": now,
            "inputs": _to_cel(dict(inputs), nul),
        }
        activation = _CppActivation(self._env, variables, self._describer, True in nul)
        activation.plain = not nul
        return activation

    def to_python(self, value: Any) -> Any:
        if isinstance(value, _Plain):
            return value.value
        if not isinstance(value, cel.Value):
            return value  # a bool from the hot path, or an element from elements()
        if value.type() == _T.TYPE:
            return _type_name(_value(value))
        return _plain_value(value)

    def truth(self, value: Any) -> bool:
        if value is True or value is False:
            return bool(value)
        if isinstance(value, _Plain):
            kind = _PLAIN_TYPES.get(type(value.value), type(value.value).__name__)
            raise CELEvaluationError(f"check must yield a bool, got {kind}")
        raise CELEvaluationError(f"check must yield a bool, got {_type_name(value.type())}")

    def elements(self, value: Any) -> list[tuple[int | str, Any]]:
        if value is True or value is False:
            kind = "bool"
        else:
            plain = value.value if isinstance(value, _Plain) else _plain_value(value)
            if isinstance(plain, list):
                return list(enumerate(plain))
            if isinstance(plain, dict):
                return sorted(((str(k), v) for k, v in plain.items()), key=lambda kv: kv[0])
            if isinstance(value, _Plain):
                kind = _PLAIN_TYPES.get(type(plain), type(plain).__name__)
            else:
                kind = _type_name(value.type())
        raise CELEvaluationError(f"for_each must yield a list or a map, got {kind}")


_TYPE_NAMES = {"NULL": "null", "DYN": "dyn"}


def _type_name(type_: Any) -> str:
    """cel-cpp's ``LIST<DYN>`` etc. in cel-python's words (``list``)."""
    name = str(type_.name())
    base = name.split("<", 1)[0]
    return _TYPE_NAMES.get(base, base.lower())


_SYNTAX_RE = re.compile(r"<input>:(\d+):(\d+): (.*)")
_STATUS_RE = re.compile(r"^[A-Z_]+: ")


def _clean(message: str) -> str:
    """cel-cpp's status text without the status code (``NOT_FOUND: ...``)."""
    return _STATUS_RE.sub("", message).replace("int64", "int").replace("uint64", "uint")


__all__ = ["CelCppBackend", "to_cel"]
