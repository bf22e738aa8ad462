"""The cost bound of the fast backend (policygate.cel.cost): never below what the
portable backend counts, so that cel-cpp runs natively only what cel-python would
have let through; tight enough that real rules (macros over document lists, the
rewrites' bindings) run natively."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import cel
from policygate.cel import cost
from policygate.cel.budget import Budget

pytestmark = pytest.mark.skipif(not cel.fast_available(), reason="cel-cpp is not installed")

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
MODEL = {
    "l": list(range(12)),
    "s": "ab" * 50,
    "m": [{"v": i, "name": f"n{i}"} for i in range(7)],
    "approvals": [
        {"role": "model-validation", "decision": "approved", "expires_at": "2027-01-01T00:00:00Z",
         "risk_assessment": "RA-2026-044"},
        {"role": "risk", "decision": "rejected", "expires_at": "2026-01-01T00:00:00Z"},
    ],
    "spec": {"metrics": {"auc": 0.91}, "documentation": {"model_card": "docs/card.md"}},
}  # fmt: skip
PARAMS = {"attributes": ["sex", "age"], "min_auc": 0.8}

EXPRESSIONS = [
    "model", "model.spec.metrics.auc >= params.min_auc", "has(model.spec.documentation.model_card)",
    "has(model.approvals) && model.approvals.exists(a, a.role == 'risk' && "
    "timestamp(a.expires_at) > now)",
    "model.approvals.all(a, has(a.risk_assessment) && a.risk_assessment.matches('^RA-[0-9]+'))",
    "params.attributes.all(a, model.m.exists(m, m.name == a))",
    "model.l.map(x, model.l.map(y, y)).size() > 0", "model.m.all(a, model.m.exists(b, a.v == b.v))",
    "model.l.filter(x, x % 2 == 0).map(x, x * 2).size()", "model.l.all(x, x in model.l)",
    "model.l.map(x, model.s + string(x)).size() > 0", "model.l.map(x, [x, x]).map(y, y + y).size()",
    "model.l.exists_one(x, x > 3)", "[model.l, model.l].map(x, x + x).size()",
    "model.l.all(x, model.m.exists(b, b.v == x && model.l.exists(z, z == x)))",
    "model.s.contains(model.s + model.s)", "model.l.all(x, model.l == model.l)",
    "model.l.map(x, model.l).map(y, y.size()).size() > 0",
    "model.l.all(x, !model.s.contains('zz'))",
    "model.m.filter(a, a.v > 1).exists(a, a in model.m)", "size(model.s) * model.l[3] > 1",
]  # fmt: skip


def _spent(text: str) -> int:
    backend = cel.get_backend("cel-python")
    activation = backend.activation(model=MODEL, params=PARAMS, now=NOW, inputs={})
    meter = Budget(cost=10**9, seconds=60).meter()
    with contextlib.suppress(cel.CELEvaluationError):
        backend.compile(text).evaluate(activation, meter)
    return meter.spent


def _bound(text: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(cost, "_grow", lambda size: size)  # the exact bound, no envelope
    backend = cel.get_backend("cel-cpp")
    activation = backend.activation(model=MODEL, params=PARAMS, now=NOW, inputs={})
    return cost.compile_bound(backend.compile(text)._root)(activation.variables, 10**12)


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_the_bound_is_never_below_what_the_portable_backend_counts(text, monkeypatch):
    units = _bound(text, monkeypatch)
    assert units is not None, "macros over document lists must be bounded"
    assert units >= _spent(text)


def test_a_bound_for_larger_data_covers_smaller_data():
    backend = cel.get_backend("cel-cpp")
    program = backend.compile("model.l.all(x, x in model.l)")
    units = cost.compile_bound(program._root)
    assert units is not None
    big = backend.activation(model={"l": list(range(40))}, params={}, now=NOW, inputs={})
    small = backend.activation(model={"l": list(range(10))}, params={}, now=NOW, inputs={})
    large = units(big.variables, 10**9)
    assert units(small.variables, 10**9) == large  # answered from the envelope
    huge = backend.activation(model={"l": list(range(400))}, params={}, now=NOW, inputs={})
    assert units(huge.variables, 10**9) > large  # not covered: worked out again
    assert units(huge.variables, large) is None


def test_an_accumulator_that_grows_other_than_linearly_is_not_bounded():
    # cel-cpp has no reduce(); a hand-built comprehension stands for one.
    from policygate.cel import cppast

    backend = cel.get_backend("cel-cpp")
    root = backend.compile("model.l.map(x, x)")._root
    assert root is not None and root.kind == 9
    fields = root.body.fields
    step = next(value for number, _, value in fields if number == 6)
    builder = cppast._Builder(root)
    doubled = builder.call("_+_", builder.ident("@result"), builder.ident("@result"))
    root.body.fields = [(n, w, doubled if v is step else v) for n, w, v in fields]
    units = cost.compile_bound(root)
    assert units is not None
    activation = backend.activation(model={"l": [1, 2, 3]}, params={}, now=NOW, inputs={})
    assert units(activation.variables, 10**9) is None


def test_strings_with_a_nul_character_are_read_whole():
    backend = cel.get_backend("cel-cpp")
    activation = backend.activation(
        model={"s": "a\x00b", "l": ["x\x00"]}, params={}, now=NOW, inputs={}
    )
    assert backend.to_python(backend.compile("size(model.s)").evaluate(activation)) == 3
    assert backend.to_python(backend.compile("model.s").evaluate(activation)) == "a\x00b"
    elements = backend.elements(backend.compile("model.l").evaluate(activation))
    assert [backend.to_python(v) for _, v in elements] == ["x\x00"]
    item = activation.bind(item=elements[0][1])
    assert backend.truth(backend.compile("size(item) == 2").evaluate(item)) is True


@pytest.mark.parametrize("engine", ["cel-python", "cel-cpp"])
@pytest.mark.parametrize(
    "text", ["model.auc >= 0.75", "model.auc < 0.75", "model.auc + 1.0 > 0.0", "0.8 - model.auc"]
)
def test_a_bool_among_numbers_is_an_error_on_every_engine(engine, text):
    """A bool is never a number (SPEC §3): `auc: false` must not satisfy `auc < 0.75`."""
    backend = cel.get_backend(engine)
    activation = backend.activation(model={"auc": False}, params={}, now=NOW, inputs={})
    program = backend.compile(text)
    with pytest.raises(cel.CELEvaluationError, match="no matching overload"):
        backend.truth(program.evaluate(activation))


@pytest.mark.parametrize("text", ["model.spec.metrics.auc", "params.min_auc", "model.s"])
def test_a_field_path_costs_the_same_units_whatever_its_value(text):
    backend = cel.get_backend("cel-cpp")
    program = backend.compile(text)
    units = cost.compile_bound(program._root)
    assert units is not None
    small = backend.activation(model=MODEL, params=PARAMS, now=NOW, inputs={})
    steps = text.count(".")
    assert units(small.variables, 10**9) == cost.path_units(steps)
    # what cel-cpp's own path charges, read without a native call
    meter = Budget(cost=10**6, seconds=60).meter()
    value = backend.to_python(program.evaluate(small, meter))
    assert meter.spent == cost.path_units(steps)
    assert value == backend.to_python(program._expression.eval(small.native).plain_value())


_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("fg"), inner),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from("fgh"), _VALUES) | _VALUES, max_size=6))
def test_a_field_of_every_element_is_looked_up_as_each_element_alone(elements):
    """The loop that finds the largest ``f`` of a list's elements (``l.all(x, x.f
    ...)``) gives what looking the field up in each element and keeping the
    largest of each number gives."""
    expected = (1, 1, 1)
    for element in elements:
        found = cost._find(element, ("f",), 0, cost.Memo())
        expected = tuple(max(a, b) for a, b in zip(expected, found, strict=True))
    assert cost._find(elements, (cost.EACH, "f"), 0, cost.Memo()) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES | st.datetimes(timezones=st.just(dt.UTC)) | st.binary(max_size=20),
                max_size=8))  # fmt: skip
def test_a_list_is_measured_with_its_largest_element_in_one_pass(items):
    """A list's shape: its measure, its length, and the measure of its largest
    element, each measured on its own."""
    total = cost.measure(items)
    element = max((cost.measure(item) for item in items), default=1)
    assert cost.shape(items) == (total, min(len(items), total), min(element, total))
    # within the list a string (or bytes) counts its characters once, alone a tenth more
    parts = [1 + len(i) if isinstance(i, (str, bytes)) else cost.measure(i) for i in items]
    assert total == 1 + sum(parts)
