"""The portable backend: cel-python (``celpy``), interpreted (never the transpiler,
which would ``exec`` generated code). Each expression's parse tree is compiled
once, when it is loaded, into a tree of closures that does what celpy's
interpreter does, node for node and unit for unit (:mod:`.closures`); the few
trees that compiler leaves alone are walked by the interpreter itself.

cel-python refuses mixed int/double operations (``1 >= 0.95`` is "no such
overload"). SPEC §3 wants numbers to compare as numbers, so numbers that come
from documents become doubles, and the operators are overridden:

- relations and ``==``/``!=``/``in`` compare the exact values, so an int literal
  meets a double as a number (``1 == 1.0``, ``9007199254740993 > 2.0**53``), and
  lists and maps are equal when their elements are (``model.shape == [224, 3]``
  with a YAML ``[224, 3]``);
- arithmetic promotes an int meeting a double to double and always yields a
  celpy double (celpy's own ``+``, ``-``, ``*`` leak plain Python floats);
- ``%`` also works on doubles with integral values (a YAML ``count: 7`` is a
  double here, and ``model.count % 2`` must still mean something).

A document integer beyond what a double holds exactly (2**53, the I-JSON limit)
is rounded to the nearest double, and one beyond the double range becomes an
infinity of its sign, so that no record can crash an evaluation.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.evaluation import CELEvalError, CELUnsupportedError, Evaluator, base_functions
from celpy.evaluation import CELSyntaxError as _MalformedTree

from ..timestamps import parse_timestamp
from .budget import Meter, check_expression, current_meter, meter_for, metering
from .closures import ITERATION_UNITS, MACROS, Compiler, Unsupported, not_iterable
from .grammar import prepare_celpy
from .interface import Activation, Backend, CELEvaluationError, CELSyntaxError, Program
from .library import SECONDS_PER_DAY, matches

_INT_TYPES = (celtypes.IntType, celtypes.UintType)
_DoubleType = celtypes.DoubleType
_StringType = celtypes.StringType
_BoolType = celtypes.BoolType
_BOOLS = (bool, celtypes.BoolType)  # BoolType is an int, not a bool (bool is final)
_TRUE = celtypes.BoolType(True)  # celtypes values are immutable: one of each will do
_FALSE = celtypes.BoolType(False)
_new_str = str.__new__  # what StringType(a str) and DoubleType(a float) come to
_new_float = float.__new__


class _Erased:
    """What celpy's interpreter needs of ``typing.Tuple`` & co. at run time: it
    writes ``cast(Tuple[lark.Tree, lark.Tree], ...)`` in every operator, and
    building (and hashing) that subscripted type on every node visit was a
    quarter of the time cel-python spent on a rule. ``cast`` returns its value
    whatever the type, so the type can be anything; the module's annotations
    were evaluated when it was imported and are not affected."""

    def __getitem__(self, item: Any) -> _Erased:
        return self


for _name in ("Tuple", "List", "Dict", "Union", "Iterable"):
    if hasattr(celpy.evaluation, _name):
        setattr(celpy.evaluation, _name, _Erased())


def _number(value: Any) -> int | float | None:
    """The exact Python number a CEL int/uint/double stands for, ``None`` otherwise.

    Python compares ints and floats exactly, so comparing these never rounds.
    """
    if isinstance(value, (bool, celtypes.BoolType)):
        return None
    if isinstance(value, _INT_TYPES):
        return int(value)
    if isinstance(value, float):  # DoubleType, or a float leaked by celpy arithmetic
        return float(value)
    return None


def _raise_errors(*operands: Any) -> None:
    """An operand that is already an error is raised as it is, so the message
    keeps naming the field that was missing rather than the operator."""
    for operand in operands:
        if isinstance(operand, CELEvalError):
            raise _Propagate(operand)


def _double(value: Any) -> Any:
    if type(value) is float:
        return celtypes.DoubleType(value)
    return value


def _charge_sizes(*values: Any) -> None:
    """Charge the current meter for work that grows with these operands (see
    :mod:`.budget`): one unit per list or map element, one per ten characters."""
    meter = current_meter()
    if meter is None:
        return
    elements = characters = 0
    for value in values:
        if isinstance(value, (str, bytes)):
            characters += len(value)
        elif isinstance(value, (list, dict)):
            elements += len(value)
    if elements:
        meter.charge(elements)
    if characters:
        meter.charge_characters(characters)


def _scanning(function: Callable[..., Any]) -> Callable[..., Any]:
    """A string function of celpy's that first pays for the text it scans."""

    def apply(*args: Any) -> Any:
        _charge_sizes(*args)
        return function(*args)

    return apply


def _numeric_pair(a: Any, b: Any) -> tuple[Any, Any]:
    """Promote an int meeting a double to double; leave everything else alone."""
    _raise_errors(a, b)
    a, b = _double(a), _double(b)
    if isinstance(a, celtypes.DoubleType) and _number(b) is not None:
        return a, celtypes.DoubleType(b)
    if isinstance(b, celtypes.DoubleType) and _number(a) is not None:
        return celtypes.DoubleType(a), b
    return a, b


class _Propagate(Exception):
    def __init__(self, error: CELEvalError) -> None:
        super().__init__("propagate")
        self.error = error


def _propagating(func: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        try:
            return func(*args)
        except _Propagate as carrier:
            return carrier.error

    return apply


def _refuse_bool_with_other(a: Any, b: Any) -> None:
    """A bool is never a number (SPEC §3): Python's ``True >= 0.8`` and ``True + 1``
    are no CEL overload, so a bool meets only a bool."""
    if isinstance(a, _BOOLS) is not isinstance(b, _BOOLS):
        raise TypeError(f"no such overload for ({_type_name(a)}, {_type_name(b)})")


def _relation(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        _raise_errors(a, b)
        x, y = _number(a), _number(b)
        if x is not None and y is not None:
            return celtypes.BoolType(op(x, y))
        _refuse_bool_with_other(a, b)
        return celtypes.BoolType(op(_double(a), _double(b)))

    return apply


def _doubles_first(
    slow: Callable[[Any, Any], Any], op: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    """``slow`` (a relation), with its commonest case first: two doubles (what it
    does with them, without the checks that cannot apply)."""

    def apply(a: Any, b: Any) -> Any:
        if type(a) is _DoubleType and type(b) is _DoubleType:
            return _TRUE if op(float(a), float(b)) else _FALSE
        return slow(a, b)

    return apply


def _arithmetic(
    op: Callable[[Any, Any], Any], numbers_only: bool = False
) -> Callable[[Any, Any], Any]:
    """``op`` on CEL operands. A bool is never an operand; with ``numbers_only``
    (``*``, ``/``) both are numbers: Python's ``"ab" * 3`` and ``[1] * 3`` repeat,
    and celpy's double divides anything by ``0.0`` into infinity; CEL has neither."""

    def apply(a: Any, b: Any) -> Any:
        a, b = _numeric_pair(a, b)
        if isinstance(a, _BOOLS) or isinstance(b, _BOOLS):
            raise TypeError(f"no such overload for ({_type_name(a)}, {_type_name(b)})")
        if numbers_only and (_number(a) is None or _number(b) is None):
            raise TypeError(f"no such overload for ({_type_name(a)}, {_type_name(b)})")
        _charge_sizes(a, b)  # before building: `r + r` in a reduce must stop, not grow
        return _double(op(a, b))

    return apply


def _divide(a: Any, b: Any) -> Any:
    """IEEE division for doubles (celpy makes every ``x / 0.0`` +infinity, even ``0.0 / 0.0``)."""
    if isinstance(a, celtypes.DoubleType) and isinstance(b, celtypes.DoubleType):
        x, y = float(a), float(b)
        if y == 0:
            if math.isnan(x) or x == 0:
                return celtypes.DoubleType(math.nan)
            return celtypes.DoubleType(math.copysign(math.inf, x) * math.copysign(1.0, y))
    return operator.truediv(a, b)


def _modulo(a: Any, b: Any) -> Any:
    a, b = _numeric_pair(a, b)
    if _number(a) is None or _number(b) is None:
        # Python's str % is printf formatting and a bool is an int: CEL has neither.
        raise TypeError(f"no such overload for ({_type_name(a)}, {_type_name(b)})")
    if isinstance(a, celtypes.DoubleType) and isinstance(b, celtypes.DoubleType):
        x, y = float(a), float(b)
        if x.is_integer() and y.is_integer():
            if y == 0:
                raise ZeroDivisionError("modulus by zero")
            return celtypes.DoubleType(math.fmod(x, y))  # CEL: the sign of the dividend
    return operator.mod(a, b)


def _equal(a: Any, b: Any) -> bool:
    """CEL equality where numbers are equal by value, also inside lists and maps."""
    kind = type(a)
    if kind is type(b):  # the commonest cases first, as _equal_general does them
        if kind is _StringType:
            if a:
                meter = current_meter()
                if meter is not None:
                    meter.charge_characters(len(a))
            return str.__eq__(a, b)
        if kind is _DoubleType:
            return float(a) == float(b)
    return _equal_general(a, b)


def _equal_general(a: Any, b: Any) -> bool:
    x, y = _number(a), _number(b)
    if x is not None or y is not None:
        return x is not None and y is not None and x == y
    _charge_sizes(a)
    if isinstance(a, celtypes.ListType) and isinstance(b, celtypes.ListType):
        return len(a) == len(b) and all(_equal(p, q) for p, q in zip(a, b, strict=True))
    if isinstance(a, celtypes.MapType) and isinstance(b, celtypes.MapType):
        if len(a) != len(b):
            return False
        for key, value in a.items():
            match = next((k for k in b if _equal(key, k)), _ABSENT)
            if match is _ABSENT or not _equal(value, b[match]):
                return False
        return True
    try:
        return bool(a == b)
    except TypeError:
        return False


_ABSENT = object()


def _equality(negate: bool) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        _raise_errors(a, b)
        return _TRUE if _equal(a, b) != negate else _FALSE

    return apply


def _in(item: Any, container: Any) -> Any:
    for operand in (item, container):
        if isinstance(operand, CELEvalError):
            return operand
    _charge_sizes(container)
    if isinstance(container, celtypes.ListType):
        return celtypes.BoolType(any(_equal(item, element) for element in container))
    if isinstance(container, celtypes.MapType):
        return celtypes.BoolType(any(_equal(item, key) for key in container))
    # Python's `in` on a string is a substring test: CEL has no such overload.
    raise TypeError(f"no such overload for ({_type_name(item)}, {_type_name(container)})")


def _index(container: Any, index: Any) -> Any:
    """``container[index]`` as CEL has it: a list takes an int (or an integral
    double) from 0 to its size - 1 (Python's negative indexes and ``True`` as 1 are
    errors); a map takes a key; nothing else is indexed (a string is not a list)."""
    if isinstance(container, CELEvalError):
        return container
    if isinstance(container, celtypes.ListType):
        if isinstance(index, celtypes.DoubleType) and float(index).is_integer():
            index = celtypes.IntType(int(index))
        if isinstance(index, _BOOLS) or not isinstance(index, _INT_TYPES):
            raise TypeError(f"no such overload for (list, {_type_name(index)})")
        if not 0 <= index < len(container):
            raise IndexError(f"list index out of range: {int(index)} (size {len(container)})")
        return list.__getitem__(container, index)
    if isinstance(container, celtypes.MapType):
        return operator.getitem(container, index)
    raise TypeError(f"no such overload for ({_type_name(container)}, {_type_name(index)})")


def _logical(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if isinstance(a, CELEvalError) and isinstance(b, CELEvalError):
            return a  # both sides failed: report the first cause, not the operator
        return op(a, b)

    return apply


def _bools_first(slow: Callable[[Any, Any], Any], is_and: bool) -> Callable[[Any, Any], Any]:
    """``slow`` (``&&`` or ``||``), with its commonest case first: two bools."""

    def apply(a: Any, b: Any) -> Any:
        if type(a) is _BoolType and type(b) is _BoolType:
            return _TRUE if (a and b if is_and else a or b) else _FALSE
        return slow(a, b)

    return apply


def _condition(condition: Any, then: Any, otherwise: Any) -> Any:
    if isinstance(condition, CELEvalError):
        return condition  # `model.missing > 1 ? a : b` names the missing field
    return celtypes.logical_condition(condition, then, otherwise)


@functools.lru_cache(maxsize=4096)
def _parsed_timestamp(text: str) -> Any:
    return celtypes.TimestampType(parse_timestamp(text))


def _timestamp(*args: Any) -> Any:
    """``timestamp(text)`` reads RFC 3339 as waivers and ``--now`` do
    (:func:`policygate.timestamps.parse_timestamp`, on both engines), remembering
    what a text parsed to (a rule parses the same few dates for every model);
    celpy's pendulum took a date alone or an offset of +00:99. A failure is not
    remembered. Anything but one string is celpy's own conversion."""
    if len(args) == 1 and isinstance(args[0], str):
        return _parsed_timestamp(str.__str__(args[0]))
    return celtypes.TimestampType(*args)


def _size(container: Any) -> Any:
    """celpy's ``size()`` (``function_size``): ``IntType(len(container))``, of which
    the small ones are made once (celpy's IntType builds a wrapper at every call)."""
    if container is None:
        return _INDEXES[0]
    length = len(container)
    return _INDEXES[length] if length < len(_INDEXES) else celtypes.IntType(length)


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _int_text(text: str, signed: bool) -> bool:
    """Whether ``text`` is a decimal integer as CEL's ``int()``/``uint()`` read one
    (Go's ``strconv``): ASCII digits, a sign for ``int()`` only. Python's ``int()``
    also takes ``1_0``, spaces and other scripts' digits (``"١٢"``)."""
    if signed and text[:1] in ("+", "-"):
        text = text[1:]
    return _ascii_digits(text)


def _double_text(text: str) -> bool:
    """Whether ``text`` is a double as CEL's ``double()`` reads one (Go's
    ``strconv.ParseFloat``, decimal): digits with at most one point, an optional
    exponent, or inf/infinity/nan. No underscores, spaces or non-ASCII digits."""
    if text[:1] in ("+", "-"):
        text = text[1:]
    if text.lower() in ("inf", "infinity", "nan"):
        return True
    mantissa, e, exponent = text.replace("E", "e").partition("e")
    if e and not _int_text(exponent, signed=True):
        return False
    whole, point, fraction = mantissa.partition(".")
    if not (whole or fraction) or "." in fraction:
        return False
    return all(_ascii_digits(part) for part in (whole, fraction) if part)


def _conversion(kind: Any, accepts: Callable[[str], bool]) -> Callable[[Any], Any]:
    """``int()``, ``uint()`` or ``double()``: celpy's, refusing a bool (never a
    number) and any text CEL does not read as that number."""

    def convert(value: Any) -> Any:
        if isinstance(value, _BOOLS):
            raise TypeError(f"no such overload for ({_type_name(value)})")
        if isinstance(value, str):
            if not accepts(value):
                raise ValueError(f"cannot convert {_quoted(value)} to {_type_name(kind(0))}")
            if kind is not celtypes.DoubleType and len(value) > 21:  # past 64 bits, unparsed
                raise ValueError("overflow")
        return kind(value)

    return convert


def _quoted(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _negate(value: Any) -> Any:
    if isinstance(value, _BOOLS):
        raise TypeError(f"no such overload for -({_type_name(value)})")
    return base_functions["-_"](value)


CALLS = {
    celtypes.TimestampType: _timestamp,
    base_functions["size"]: _size,
    celtypes.IntType: _conversion(celtypes.IntType, lambda t: _int_text(t, signed=True)),
    celtypes.UintType: _conversion(celtypes.UintType, lambda t: _int_text(t, signed=False)),
    celtypes.DoubleType: _conversion(celtypes.DoubleType, _double_text),
}
"""Calls the closure compiler makes to another function that does the same (faster):
not in :data:`FUNCTIONS`, because the names also stand for values (``timestamp`` is
the type of timestamps)."""


def _days(n: Any) -> Any:
    if isinstance(n, celtypes.BoolType) or not isinstance(n, (int, float)):
        raise TypeError(f"days() wants a number, got {_type_name(n)}")
    total = float(n) * SECONDS_PER_DAY
    whole = int(total)
    return celtypes.DurationType(seconds=whole, nanos=round((total - whole) * 1e9))


def _matches(text: Any, pattern: Any) -> Any:
    """celpy's ``matches()`` with the pattern compiled once (:func:`.library.matches`);
    celpy's own for anything else, so its errors are worded as before."""
    if isinstance(text, str) and isinstance(pattern, str):
        try:
            return celtypes.BoolType(matches(text, pattern))
        except UnicodeError:  # text RE2 cannot take: celpy says what
            pass
        except Exception as error:  # a bad pattern: said once (celpy's RE2 would log it)
            return CELEvalError(str(error), type(error), error.args)
    return base_functions["matches"](text, pattern)


_SCANNING = ("contains", "startsWith", "endsWith")

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "_<_": _doubles_first(_propagating(_relation(operator.lt)), operator.lt),
    "_<=_": _doubles_first(_propagating(_relation(operator.le)), operator.le),
    "_>_": _doubles_first(_propagating(_relation(operator.gt)), operator.gt),
    "_>=_": _doubles_first(_propagating(_relation(operator.ge)), operator.ge),
    "_==_": _propagating(_equality(False)),
    "_!=_": _propagating(_equality(True)),
    "_+_": _propagating(_arithmetic(operator.add)),
    "_-_": _propagating(_arithmetic(operator.sub)),
    "_*_": _propagating(_arithmetic(operator.mul, numbers_only=True)),
    "_/_": _propagating(_arithmetic(_divide, numbers_only=True)),
    "_%_": _propagating(_modulo),
    "_in_": _in,
    "_&&_": _bools_first(_logical(celtypes.logical_and), is_and=True),
    "_||_": _bools_first(_logical(celtypes.logical_or), is_and=False),
    "_?_:_": _condition,
    "-_": _negate,
    "_[_]": _index,
    "days": _days,
    **{name: _scanning(base_functions[name]) for name in _SCANNING},
    "matches": _scanning(_matches),
}


def to_cel(value: Any) -> Any:
    """Plain document data -> celpy values; every number becomes a double."""
    kind = type(value)  # the types of parsed documents first, then any other
    if kind is str:
        return _new_str(_StringType, value)
    if kind is dict:
        converted = celtypes.MapType()
        dict.update(converted, {_new_str(_StringType, str(k)): to_cel(v) for k, v in value.items()})
        return converted
    if kind is float:
        return _new_float(_DoubleType, value)
    if kind is list:
        return celtypes.ListType([to_cel(v) for v in value])
    if kind is bool:
        return _TRUE if value else _FALSE
    return _to_cel(value)


def _to_cel(value: Any) -> Any:
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, (int, float)):
        try:
            return celtypes.DoubleType(value)
        except OverflowError:  # an integer beyond the double range
            return celtypes.DoubleType(math.inf if value > 0 else -math.inf)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if value is None:
        return None
    if isinstance(value, Mapping):
        return celtypes.MapType(
            {celtypes.StringType(str(k)): to_cel(v) for k, v in value.items()}
        )
    if isinstance(value, (list, tuple)):
        return celtypes.ListType([to_cel(v) for v in value])
    if isinstance(value, _dt.datetime):
        return celtypes.TimestampType(value)
    if isinstance(value, _dt.timedelta):
        return celtypes.DurationType(seconds=value.total_seconds())
    raise TypeError(f"cannot pass {type(value).__name__} to CEL")


_INDEXES = tuple(celtypes.IntType(i) for i in range(1024))


class _CelpyActivation(Activation):
    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables

    def bind(self, **variables: Any) -> _CelpyActivation:
        merged = dict(self.variables)
        for name, value in variables.items():
            if type(value) is int and 0 <= value < len(_INDEXES):
                merged[name] = _INDEXES[value]  # an index stays an int
            elif isinstance(value, int) and not isinstance(value, bool) and not _is_cel(value):
                merged[name] = celtypes.IntType(value)  # an index stays an int
            else:
                merged[name] = value if _is_cel(value) else to_cel(value)
        return _CelpyActivation(merged)


def _is_cel(value: Any) -> bool:
    return value is None or type(value).__module__ == celtypes.__name__


_ITERATION_UNITS = ITERATION_UNITS


def _eval_error(message: str, ex: BaseException, token: Any) -> CELEvalError:
    value = CELEvalError(message, ex.__class__, ex.args, token=token)
    value.__cause__ = ex
    return value


class _MeteredEvaluator(Evaluator):
    """celpy's interpreter (never its transpiler, which would ``exec`` generated
    code), charging one unit of the rule's budget per syntax-tree node it visits,
    macro bodies included, so a nested comprehension stops when the budget does."""

    def __init__(self, ast: Any, activation: Any, meter: Meter) -> None:
        super().__init__(ast, activation)
        self.meter = meter
        self._visited: tuple[Any, Any] | None = None

    def visit(self, tree: Any) -> Any:
        visited = self._visited
        if visited is not None and visited[0] is tree:
            self._visited = None  # the member member_dot_arg already evaluated
            return visited[1]
        return super().visit(tree)

    def member_dot_arg(self, tree: Any) -> Any:
        """celpy's, but a macro iterates only a list or a map (celpy's iterates a
        string's characters), as the closures do (:func:`.closures.not_iterable`)."""
        token = tree.children[1] if len(tree.children) > 1 else None
        if isinstance(token, lark.Token) and token.value in MACROS:
            member = self.visit(tree.children[0])
            if not isinstance(member, (celtypes.ListType, celtypes.MapType)):
                return not_iterable(member, tree)
            self._visited = (tree.children[0], member)
        return super().member_dot_arg(tree)

    def build_macro_eval(self, child: Any) -> Any:
        """celpy's, but the predicate of ``filter()``/``exists_one()`` must be a bool
        (celpy takes Python's truthiness), as in the closures."""
        body = super().build_macro_eval(child)
        name = child.children[1].value
        if name not in ("filter", "exists_one"):
            return body

        def predicate(value: Any) -> Any:
            result = body(value)
            if type(result) is not celtypes.BoolType:
                ex = TypeError(f"{name}() predicate gave a non-bool")
                error = CELEvalError("no such overload", ex.__class__, ex.args, tree=child)
                error.__cause__ = ex
                raise error
            return result

        return predicate

    def sub_evaluator(self, ast: Any) -> Evaluator:
        return _MeteredEvaluator(ast, self.activation, self.meter)

    def _visit_tree(self, tree: Any) -> Any:
        self.meter.charge()
        return super()._visit_tree(tree)

    def function_eval(self, name_token: Any, exprlist: Any = None) -> Any:
        """celpy's, with the functions of :data:`CALLS` in place of celpy's (so
        ``int("1_0")`` is an error here as in the closures)."""
        try:
            replacement = CALLS.get(self.activation.resolve_function(name_token.value))
        except (KeyError, TypeError):
            replacement = None
        if replacement is None or isinstance(exprlist, CELEvalError):
            return super().function_eval(name_token, exprlist)
        values = list(exprlist or [])
        for value in values:
            if isinstance(value, CELEvalError):
                return value
        try:
            return replacement(*values)
        except ValueError as ex:
            return _eval_error("return error for overflow", ex, name_token)
        except (TypeError, AttributeError) as ex:
            return _eval_error("no such overload", ex, name_token)

    def set_activation(self, values: Any) -> Evaluator:
        # One step of a macro: celpy copies the variables for each element, which
        # costs as much as several nodes.
        self.meter.charge(_ITERATION_UNITS)
        return super().set_activation(values)


class _CelpyProgram(Program):
    """One expression: its closures (:mod:`.closures`) when the compiler handles its
    tree, else celpy's metered interpreter; both give the same values, errors and
    cost units."""

    def __init__(self, text: str, runner: Any, closure: Callable[..., Any] | None = None) -> None:
        self.text = text
        self._runner = runner
        self._closure = closure

    def evaluate(self, activation: Activation, meter: Meter | None = None) -> Any:
        assert isinstance(activation, _CelpyActivation)
        meter = meter_for(meter)
        meter.begin()
        closure = self._closure
        try:
            with metering(meter):
                if closure is not None:
                    value = closure(activation.variables, meter)
                else:
                    evaluator = _MeteredEvaluator(
                        self._runner.ast, self._runner.new_activation(), meter
                    )
                    value = evaluator.evaluate(activation.variables)
        except CELEvalError as error:
            meter.check()  # an error value made of a stopped evaluation is the stop
            raise CELEvaluationError(describe_error(error, self.text)) from None
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError,
                RecursionError, MemoryError) as error:  # fmt: skip
            meter.check()
            raise CELEvaluationError(_clean(str(error)) or type(error).__name__) from None
        except (_MalformedTree, CELUnsupportedError) as error:
            # celpy finds some malformed trees only when it evaluates them (a macro
            # whose variable is not a name: `l.all(1, true)`): an error, not a crash.
            meter.check()
            reason = str(error.args[0]).rsplit(": ", 1)[-1] if error.args else ""
            raise CELEvaluationError(f"cannot evaluate this expression: {reason[:200]}") from None
        meter.check()  # `stopped || true` must not become true
        if isinstance(value, CELEvalError):
            raise CELEvaluationError(describe_error(value, self.text))
        return value


def _closures(runner: Any) -> Callable[..., Any] | None:
    """The expression compiled to closures, or ``None`` for the interpreter."""
    global _compiler
    if _compiler is None:
        _compiler = Compiler(runner, CALLS)  # every runner has the same functions and names
    try:
        return _compiler.compile(runner.ast)
    except Unsupported:
        return None


_compiler: Compiler | None = None


_INT_RANGE = {"INT_LIT": (-(2**63), 2**63 - 1), "UINT_LIT": (0, 2**64 - 1)}


def _check_literals(ast: Any) -> None:
    """An int or uint literal out of its 64-bit range is a syntax error, as CEL (and
    cel-cpp) has it; celpy would fail at every evaluation, with the literal's digits."""
    for token in ast.scan_values(lambda v: isinstance(v, lark.Token) and v.type in _INT_RANGE):
        digits = token.value.rstrip("uU")
        low, high = _INT_RANGE[token.type]
        magnitude = digits.lstrip("-")
        value = None
        if len(magnitude) <= 24:  # 2**64 has 20 digits: longer is out of range, unparsed
            value = int(magnitude, 16 if magnitude[:2] in ("0x", "0X") else 10)
            value = -value if digits.startswith("-") else value
        if value is None or not low <= value <= high:
            kind = "uint" if token.type == "UINT_LIT" else "int"
            line, column = token.line or 1, token.column or 1
            raise CELSyntaxError(f"invalid {kind} literal: out of the 64-bit range", line, column)


class CelPythonBackend(Backend):
    name = "cel-python"

    def __init__(self) -> None:
        prepare_celpy()  # celpy's parser from policygate's cache, not built at every start
        self._env = celpy.Environment()

    def compile(self, text: str) -> Program:
        check_expression(text)
        try:
            ast = self._env.compile(text)
        except celpy.CELParseError as error:
            message = str(error.args[0]).splitlines()[0].strip() if error.args else ""
            line = getattr(error, "line", None) or 1
            column = getattr(error, "column", None) or 1
            hint = _syntax_hint(text, line, column)
            raise CELSyntaxError(hint or f"syntax error near {message!r}", line, column) from None
        _check_literals(ast)
        runner = self._env.program(ast, functions=FUNCTIONS)
        return _CelpyProgram(text, runner, _closures(runner))

    def activation(
        self,
        *,
        model: Any,
        params: Mapping[str, Any],
        now: _dt.datetime,
        inputs: Mapping[str, Any],
    ) -> Activation:
        return _CelpyActivation(
            {
                "model": to_cel(model),
                "params": to_cel(dict(params)),
                "now": celtypes.TimestampType(now),
                "inputs": to_cel(dict(inputs)),
            }
        )

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, celtypes.BoolType):
            return bool(value)
        if isinstance(value, (celtypes.IntType, celtypes.UintType)):
            return int(value)
        if isinstance(value, celtypes.DoubleType):
            return float(value)
        if isinstance(value, celtypes.StringType):
            return str(value)
        if isinstance(value, celtypes.BytesType):
            return bytes(value)
        if isinstance(value, celtypes.TimestampType):
            # Field by field: through a float of seconds, a microsecond is lost past 2200.
            return _dt.datetime(value.year, value.month, value.day, value.hour, value.minute,
                                value.second, value.microsecond,
                                tzinfo=value.tzinfo).astimezone(_dt.UTC)  # fmt: skip
        if isinstance(value, celtypes.DurationType):
            return _dt.timedelta(days=value.days, seconds=value.seconds,
                                 microseconds=value.microseconds)  # fmt: skip
        if isinstance(value, celtypes.MapType):
            return {str(self.to_python(k)): self.to_python(v) for k, v in value.items()}
        if isinstance(value, celtypes.ListType):
            return [self.to_python(v) for v in value]
        if isinstance(value, celtypes.TypeType):
            return _type_name(value)
        return value

    def truth(self, value: Any) -> bool:
        if isinstance(value, celtypes.BoolType):
            return bool(value)
        raise CELEvaluationError(f"check must yield a bool, got {_type_name(value)}")

    def elements(self, value: Any) -> list[tuple[int | str, Any]]:
        if isinstance(value, celtypes.ListType):
            return list(enumerate(value))
        if isinstance(value, celtypes.MapType):
            return sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0])
        raise CELEvaluationError(f"for_each must yield a list or a map, got {_type_name(value)}")


_TYPE_NAMES = {
    "BoolType": "bool",
    "IntType": "int",
    "UintType": "uint",
    "DoubleType": "double",
    "StringType": "string",
    "BytesType": "bytes",
    "ListType": "list",
    "MapType": "map",
    "TimestampType": "timestamp",
    "DurationType": "duration",
    "NoneType": "null",
    "CELEvalError": "error",
}


def _type_name(value: Any) -> str:
    name = type(value).__name__
    return _TYPE_NAMES.get(name, name)


_REPR_RE = re.compile(r"\b(?:Double|Int|Uint|String|Bool)Type\(([^()]*)\)")
_CLASS_RE = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")
_MISSING_RE = re.compile(r"no such member in mapping: '((?:[^'\\]|\\.)*)'.*?tree='([^']*)'")


_OPERATORS = {
    "relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">=",
    "relation_eq": "==", "relation_ne": "!=", "relation_in": "in",
    "addition_add": "+", "addition_sub": "-", "multiplication_mul": "*",
    "multiplication_div": "/", "multiplication_mod": "%",
}  # fmt: skip
# A grammar rule's name as celpy prints it: a lark Token, or a plain string when
# the parse tree came from a parser that names its rules with strings.
_TOKEN_RE = re.compile(
    r"Token\('RULE', '(\w+)'\)|'((?:relation|addition|multiplication)_(?:lt|le|gt|ge|eq|ne|in"
    r"|add|sub|mul|div|mod))'"
)


def _clean(message: str) -> str:
    """celpy's messages name Python classes and grammar rules; say CEL instead."""
    message = _REPR_RE.sub(lambda m: m.group(1), message)
    message = _TOKEN_RE.sub(
        lambda m: repr(_OPERATORS.get(m.group(1) or m.group(2), m.group(1) or m.group(2))),
        message,
    )
    return _CLASS_RE.sub(lambda m: _TYPE_NAMES.get(m.group(1), m.group(1)), message)


def _source(tree: Any, text: str) -> str | None:
    meta = getattr(tree, "meta", None)
    start = getattr(meta, "start_pos", None)
    end = getattr(meta, "end_pos", None)
    if start is None or end is None:
        return None
    return " ".join(text[start:end].split()) or None


def describe_error(error: CELEvalError, text: str) -> str:
    """Turn a celpy error into a message that names the missing field or the cause."""
    args = error.args
    first = str(args[0]) if args else "evaluation error"
    where = _source(error.tree, text)
    if first.startswith("no such member in mapping"):
        key = first.split(":", 1)[1].strip() if ":" in first else ""
        if where:
            return f"no such key: {where}"
        return f"no such key: {key}"
    if first == "no such key" and where:
        # `model.spec["metrics"]` or `model.m[params.k]`: name the expression, and
        # the key too when it is not written out in it.
        key = _clean(repr(args[2][0])) if len(args) > 2 and args[2] else ""
        if key and key not in where and key.strip("'") not in where:
            return f"no such key: {where} (key {key})"
        return f"no such key: {where}"
    if first.startswith("undeclared reference to"):
        name = str(args[2][0]) if len(args) > 2 and args[2] else first
        return f"undeclared reference to '{name}'"
    # Errors inside && / || / macros arrive as text; the innermost missing key is
    # the most useful thing to report.
    nested = " ".join(str(a) for a in args[1:])
    found = _MISSING_RE.search(nested)
    if found:
        return f"no such key: {found.group(2)}"
    detail = _clean(first)
    if len(args) > 2 and args[2] and first in ("no such overload", "invalid_argument"):
        detail = f"{detail}: {_clean(str(args[2][0]))}"
    elif len(args) > 2 and args[2] and first == "return error for overflow":
        # celpy's wording for any ValueError in a function (a bad timestamp, say)
        detail = _clean(str(args[2][0]))
    if "<class" in detail or len(detail) > 300:
        detail = detail[:300]
    if where and where != text.strip():
        shown = where if len(where) <= 80 else where[:77] + "..."  # a record can't echo 100 KB
        return f"{detail} (in `{shown}`)"
    return detail


def _syntax_hint(text: str, line: int, column: int) -> str:
    lines = text.splitlines() or [""]
    index = min(max(line, 1), len(lines)) - 1
    source_line = lines[index]
    if column - 1 >= len(source_line.rstrip()):
        return "syntax error: unexpected end of expression"
    snippet = source_line[column - 1 : column + 9]
    return f"syntax error at {snippet!r}"


__all__ = ["CelPythonBackend", "to_cel", "describe_error"]
