"""cel-python's fast paths (policygate.cel.celpython) against the general code they
short-cut: the commonest operands of ``<``/``==``/``&&``, the conversion of parsed
documents and of an index. The same values (of the same CEL types), the same
exceptions and the same cost units, for hypothesis-generated operands."""

from __future__ import annotations

import datetime as dt
import math
import operator
from typing import Any

from celpy import celtypes
from celpy.evaluation import CELEvalError
from hypothesis import given
from hypothesis import strategies as st

from policygate.cel import celpython as cp
from policygate.cel import get_backend
from policygate.cel.budget import Budget, metering
from policygate.timestamps import parse_timestamp

BACKEND = get_backend("cel-python")  # celpy sets the recursion limit: not inside a test
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
STRINGS = st.text(max_size=30)
SCALARS = st.one_of(
    FLOATS.map(celtypes.DoubleType),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(celtypes.IntType),
    st.integers(min_value=0, max_value=2**64 - 1).map(celtypes.UintType),
    STRINGS.map(celtypes.StringType),
    st.booleans().map(celtypes.BoolType),
    st.just(None),
    st.just(CELEvalError("no such member")),
    FLOATS,  # a float leaked by celpy's arithmetic
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(celtypes.ListType),
        st.dictionaries(STRINGS.map(celtypes.StringType), inner, max_size=4).map(celtypes.MapType),
    ),
    max_leaves=8,
)


def _same(x: Any, y: Any) -> bool:
    """Equal, of the same types all the way down (NaN equal to NaN)."""
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return list(x) == list(y) and all(
            _same(k, j) and _same(x[k], y[j]) for k, j in zip(x, y, strict=True)
        )
    if isinstance(x, list):
        return len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y, strict=True))
    if isinstance(x, float) and math.isnan(x):
        return math.isnan(y)
    if isinstance(x, CELEvalError):
        return x is y
    return bool(x == y)


def _run(function: Any, *args: Any) -> tuple[Any, int]:
    """What ``function(*args)`` returns or raises, and the units it charged."""
    meter = Budget(cost=10**9, seconds=600).meter()
    with metering(meter):
        try:
            result: Any = ("value", function(*args))
        except Exception as error:
            result = ("raised", type(error), str(error))
    return result, meter.spent


def _same_run(fast: Any, slow: Any, *args: Any) -> None:
    (fast_result, fast_units), (slow_result, slow_units) = _run(fast, *args), _run(slow, *args)
    assert fast_units == slow_units
    assert fast_result[0] == slow_result[0]
    if fast_result[0] == "value":
        assert _same(fast_result[1], slow_result[1]), (fast_result, slow_result)
    else:
        assert fast_result == slow_result


RELATIONS = {"_<_": operator.lt, "_<=_": operator.le, "_>_": operator.gt, "_>=_": operator.ge}


@given(st.sampled_from(sorted(RELATIONS)), VALUES, VALUES)
def test_relations_of_doubles_first(name: str, a: Any, b: Any) -> None:
    general = cp._propagating(cp._relation(RELATIONS[name]))
    _same_run(cp.FUNCTIONS[name], general, a, b)


@given(st.sampled_from(sorted(RELATIONS)), FLOATS, FLOATS)
def test_relations_of_two_doubles(name: str, x: float, y: float) -> None:
    general = cp._propagating(cp._relation(RELATIONS[name]))
    a, b = celtypes.DoubleType(x), celtypes.DoubleType(y)
    _same_run(cp.FUNCTIONS[name], general, a, b)


@given(VALUES, VALUES)
def test_equality_of_strings_and_doubles_first(a: Any, b: Any) -> None:
    _same_run(cp._equal, cp._equal_general, a, b)


@given(st.one_of(STRINGS.map(celtypes.StringType), FLOATS.map(celtypes.DoubleType)), st.data())
def test_equality_of_two_strings_or_two_doubles(a: Any, data: st.DataObject) -> None:
    b = data.draw(st.one_of(st.just(type(a)(a)), VALUES.filter(lambda v: type(v) is type(a))))
    _same_run(cp._equal, cp._equal_general, a, b)


@given(st.sampled_from([("_&&_", celtypes.logical_and), ("_||_", celtypes.logical_or)]),
       VALUES, VALUES)  # fmt: skip
def test_logic_of_two_bools_first(op: tuple[str, Any], a: Any, b: Any) -> None:
    name, general = op
    _same_run(cp.FUNCTIONS[name], cp._logical(general), a, b)


DOCUMENTS = st.recursive(
    st.one_of(
        st.floats(allow_nan=False), st.integers(min_value=-(2**1100), max_value=2**1100),
        st.booleans(), st.none(), st.text(max_size=10),
        st.datetimes(timezones=st.just(dt.UTC)),
        st.timedeltas(min_value=dt.timedelta(days=-1000), max_value=dt.timedelta(days=1000)),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(), st.booleans()), inner,
                        max_size=4),
    ),
    max_leaves=12,
)  # fmt: skip


def _reference_to_cel(value: Any) -> Any:
    """to_cel as it was before its fast paths."""
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, (int, float)):
        try:
            return celtypes.DoubleType(value)
        except OverflowError:
            return celtypes.DoubleType(math.inf if value > 0 else -math.inf)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if value is None:
        return None
    if isinstance(value, dict):
        return celtypes.MapType(
            {celtypes.StringType(str(k)): _reference_to_cel(v) for k, v in value.items()}
        )
    if isinstance(value, (list, tuple)):
        return celtypes.ListType([_reference_to_cel(v) for v in value])
    if isinstance(value, dt.datetime):
        return celtypes.TimestampType(value)
    if isinstance(value, dt.timedelta):
        return celtypes.DurationType(seconds=value.total_seconds())
    raise TypeError(f"cannot pass {type(value).__name__} to CEL")


@given(DOCUMENTS)
def test_documents_convert_as_before(document: Any) -> None:
    _same_run(cp.to_cel, _reference_to_cel, document)


@given(st.one_of(st.integers(min_value=-5, max_value=5000), st.booleans(), DOCUMENTS))
def test_bound_values_convert_as_before(value: Any) -> None:
    activation = BACKEND.activation(
        model={}, params={}, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), inputs={}
    )

    def bound(value: Any) -> Any:
        return activation.bind(index=value).variables["index"]  # type: ignore[attr-defined]

    def expected(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return celtypes.IntType(value)
        return _reference_to_cel(value)

    _same_run(bound, expected, value)


TIMESTAMP_TEXTS = st.one_of(
    st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.datetimes().map(lambda d: d.isoformat(timespec="microseconds") + "+02:00"),
    st.dates().map(str),
    st.sampled_from(["2026-13-01", "2026-02-30T00:00:00Z", "2026-11-26T25:00:00Z", "now",
                     "10:00:00", "", "2026-11-26T10:00:00", "2026-11-26t10:00:00z",
                     "2026-11-26T10:00:00.123456789Z", "2026-11-26 10:00:00Z"]),
    st.text(max_size=12),
)  # fmt: skip


def _timestamp_of_waivers(source: Any) -> Any:
    """What timestamp() must give: a text read as waivers read their dates (the one
    RFC 3339 grammar of policygate.timestamps), anything else as celpy converts it."""
    if isinstance(source, str):
        return celtypes.TimestampType(parse_timestamp(str.__str__(source)))
    return celtypes.TimestampType(source)


@given(st.one_of(TIMESTAMP_TEXTS.map(celtypes.StringType), TIMESTAMP_TEXTS, VALUES))
def test_timestamps_parse_as_waivers_do(source: Any) -> None:
    for _ in range(2):  # the second time from what the first one remembered
        _same_run(cp._timestamp, _timestamp_of_waivers, source)


def test_timestamp_is_still_the_type_of_timestamps() -> None:
    backend = BACKEND
    activation = backend.activation(
        model={"t": "2026-01-01T00:00:00Z"}, params={}, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        inputs={},
    )  # fmt: skip
    for text in ("type(now) == timestamp", "type(timestamp(model.t)) == timestamp"):
        assert backend.truth(backend.compile(text).evaluate(activation))


@given(st.one_of(VALUES, st.lists(st.none(), min_size=1020, max_size=1030).map(celtypes.ListType)))
def test_sizes_as_before(container: Any) -> None:
    from celpy.evaluation import base_functions

    _same_run(cp._size, base_functions["size"], container)
