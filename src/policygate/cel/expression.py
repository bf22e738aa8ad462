"""One CEL expression on its own: ``policygate.cel_evaluate`` and ``policygate eval``
(SPEC §3), on policygate's own engine (:mod:`policygate.cel.lang`).

Variables are declared by being given: an expression may read the names of
``variables`` and ``now`` (a timestamp: the current UTC time unless given), and
any other name is a check error at its column. Values go in and come out as
plain Python: ``int``, ``float``, ``str``, ``bytes``, ``bool``, ``None``,
``list``, ``dict``, :class:`datetime.datetime` (UTC) and
:class:`datetime.timedelta`, and :class:`policygate.Uint` for a ``uint``. A
``type`` value comes out as its name (``"double"``) and an optional as its value
(``None`` when it has none). A Python ``int`` is a CEL ``int``: documents, whose
numbers are doubles (SPEC §3), go through :func:`policygate.cel.own.document` first.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

from .. import timestamps
from . import lang
from .lang.values import CelType, Duration, Optional, Timestamp, Uint

__all__ = ["cel_evaluate", "to_python", "Uint"]


def cel_evaluate(
    expression: str,
    variables: Mapping[str, Any] | None = None,
    now: _dt.datetime | str | None = None,
    budget: int = lang.DEFAULT_BUDGET,
    *,
    container: str = "",
    declarations: Iterable[str] = (),
    checked: bool = True,
) -> Any:
    """The value of ``expression`` as Python; raises :class:`policygate.CELError`
    for a syntax or check error (with its line and column in the expression) and
    :class:`policygate.CELEvaluationError` when the evaluation fails (an exhausted
    ``budget`` of cost units included).

    CEL's environment options, as its conformance tests use them: ``container``
    (a name ``y`` may denote ``container.y``), ``declarations`` (names declared
    without a value: reading one is an evaluation error) and ``checked=False``
    (undeclared names and functions are errors when evaluated, not refused)."""
    value = evaluate_cel(
        expression, variables, now, budget,
        container=container, declarations=declarations, checked=checked,
    )  # fmt: skip
    try:
        return to_python(value)
    except RecursionError:
        raise lang.CELEvaluationError(_TOO_DEEP.format("value"), "internal") from None


def evaluate_cel(
    expression: str,
    variables: Mapping[str, Any] | None = None,
    now: _dt.datetime | str | None = None,
    budget: int = lang.DEFAULT_BUDGET,
    *,
    container: str = "",
    declarations: Iterable[str] = (),
    checked: bool = True,
) -> Any:
    """:func:`cel_evaluate`, the value left as the engine's (for its CEL type)."""
    try:
        bound = {name: _to_cel(value) for name, value in (variables or {}).items()}
    except RecursionError:  # a Python value nested past the stack: CEL's error, not Python's
        raise lang.CELEvaluationError(_TOO_DEEP.format("variable"), "internal") from None
    if "now" not in bound:
        bound["now"] = _to_cel(_moment(now))
    names = (*bound, *(n for n in declarations if n not in bound))
    program = lang.compile(expression, names, container, checked)
    try:
        return program.evaluate(bound, budget)
    except lang.BudgetExceeded as error:
        raise lang.CELEvaluationError(error.message, "budget") from None


_TOO_DEEP = "a {} nests too deeply to evaluate"


def to_python(value: Any) -> Any:
    """An engine value as plain Python (see the module docstring). A list or map the
    value holds more than once is converted once, and so shared in the result as it
    is in the value (``v.n.map(i, v.big)`` holds one list thousands of times)."""
    return _plain(value, {})


def _plain(value: Any, seen: dict[int, Any]) -> Any:
    kind = type(value)
    if kind is list or kind is dict:
        done = seen.get(id(value))
        if done is not None:
            return done
        if kind is list:
            done = seen[id(value)] = []
            done.extend(_plain(item, seen) for item in value)
        else:
            done = seen[id(value)] = {}
            for key, item in value.items():
                done[_plain(key, seen)] = _plain(item, seen)
        return done
    if kind is Timestamp:
        return value.to_datetime()
    if kind is Duration:
        return value.to_timedelta()
    if kind is CelType:
        return value.name
    if kind is Optional:
        return _plain(value.value, seen) if value.has else None
    return value


def _moment(now: _dt.datetime | str | None) -> _dt.datetime:
    if now is None:
        return timestamps.utc_now()
    if isinstance(now, str):
        return timestamps.parse_timestamp(now)
    return now


def _to_cel(value: Any) -> Any:
    """Python -> the engine's values: datetimes and timedeltas become timestamps and
    durations, containers are walked; everything else is already a CEL value."""
    if isinstance(value, _dt.datetime):
        return Timestamp.from_datetime(value)
    if isinstance(value, _dt.timedelta):
        return Duration.from_timedelta(value)
    if type(value) is dict:
        return {key: _to_cel(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return [_to_cel(item) for item in value]
    return value
