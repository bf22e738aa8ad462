"""Tests for the CEL backend (cel-python) through policygate.cel's interface."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import cel
from policygate.cel import CELEvaluationError, CELSyntaxError, get_backend
from policygate.documents import load_text
from policygate.errors import UsageError

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def backend() -> cel.Backend:
    # tests/cel/test_celcpp.py runs every test of this module against cel-cpp too
    return get_backend("cel-python")


def evaluate(
    backend: cel.Backend,
    expression: str,
    model: Any = None,
    params: dict[str, Any] | None = None,
    inputs: dict[str, Any] | None = None,
    **bound: Any,
) -> Any:
    activation = backend.activation(
        model=model if model is not None else {},
        params=params or {},
        now=NOW,
        inputs=inputs or {},
    )
    if bound:
        activation = activation.bind(**bound)
    return backend.to_python(backend.compile(expression).evaluate(activation))


def check(backend: cel.Backend, expression: str, model: Any = None, **kwargs: Any) -> bool:
    activation = backend.activation(
        model=model if model is not None else {},
        params=kwargs.pop("params", {}),
        now=NOW,
        inputs={},
    )
    if kwargs:
        activation = activation.bind(**kwargs)
    return backend.truth(backend.compile(expression).evaluate(activation))


def error_of(backend: cel.Backend, expression: str, model: Any = None, **kwargs: Any) -> str:
    with pytest.raises(CELEvaluationError) as info:
        evaluate(backend, expression, model, **kwargs)
    return str(info.value)


def yaml_model(text: str) -> Any:
    (document,) = load_text(text, "model.yaml")
    return document.data


# --------------------------------------------------------------------------- engine choice


def test_default_backend_and_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cel.ENV_VAR, raising=False)
    backend = get_backend()
    assert backend.name == cel.DEFAULT == cel.default_engine()  # see tests/cel/test_registry.py
    assert get_backend(cel.DEFAULT) is backend


def test_unknown_engine_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYGATE_CEL_ENGINE", "unknown")
    with pytest.raises(UsageError) as info:
        get_backend()
    known = "cel-cpp, cel-python, policygate"
    assert info.value.message == f"unknown CEL engine 'unknown' (known: {known})"


def test_unknown_engine_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cel.ENV_VAR, raising=False)
    with pytest.raises(UsageError, match="unknown CEL engine 'cel-go'"):
        get_backend("cel-go")


def test_the_environment_chooses_a_known_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYGATE_CEL_ENGINE", "cel-python")
    assert get_backend().name == "cel-python"


def test_load_policies_reports_an_unknown_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from policygate.policy import load_policies

    monkeypatch.setenv("POLICYGATE_CEL_ENGINE", "unknown")
    with pytest.raises(UsageError):
        load_policies([tmp_path])


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("expression", "model", "expected"),
    [
        ("1 >= model.x", {"x": 1}, True),
        ("1 > model.x", {"x": 1}, False),
        ("model.x >= 0.95", {"x": 1}, True),
        ("model.x >= 1", {"x": 1.0}, True),
        ("model.x >= 1", {"x": 0.999}, False),
        ("0.95 <= model.x", {"x": 1}, True),
        ("model.x == 1", {"x": 1.0}, True),
        ("model.x == 1.0", {"x": 1}, True),
        ("1 == model.x", {"x": 1}, True),
        ("model.x != 1", {"x": 1}, False),
        ("1.5 != model.x", {"x": 1}, True),
        ("1 == 1.0", {}, True),
        ("1 < 1.5", {}, True),
        ("2.0 > 1", {}, True),
        ("-1 < model.x", {"x": 0}, True),
        ("model.x >= -0.5", {"x": 0}, True),
        ("1u == 1", {}, True),
        ("model.x < 1u", {"x": 0}, True),
        ("size(model.l) >= 2.0", {"l": [1, 2]}, True),
        ("size(model.l) == model.n", {"l": [1, 2], "n": 2}, True),
        ("1 in [1.0, 2.0]", {}, True),
        ("model.x in [1, 2]", {"x": 1}, True),
        ("model.x in [1, 2]", {"x": 1.5}, False),
        ("1.0 in model.l", {"l": [1, 2]}, True),
        ("model.x in model.l", {"x": 2.0, "l": [1, 2]}, True),
        # lists and maps from documents equal literals element by element
        ("model.l == [1, 2]", {"l": [1, 2]}, True),
        ("model.l == [1, 2]", {"l": [1, 3]}, False),
        ("model.l == [1, 2]", {"l": [1, 2, 3]}, False),
        ("[model.l] == [[1, 2]]", {"l": [1, 2]}, True),
        ("model.m == {'a': 1, 'b': [2]}", {"m": {"a": 1.0, "b": [2]}}, True),
        ("model.m == {'a': 1}", {"m": {"a": 2}}, False),
        ("model.m == {'a': 1}", {"m": {"b": 1}}, False),
        ("model.m != {'a': 1}", {"m": {"a": 1}}, False),
        ("[1, 2] == [1.0, 2.0]", {}, True),
        ("'a' == 1", {}, False),
        ("model.x == 'a'", {"x": 1}, False),
        ("null == model.n", {"n": None}, True),
        ("model.x == null", {"x": 0}, False),
        ("true == 1", {}, False),
        ("model.a / 2 == 0.5", {"a": 1}, True),
        ("model.a + 1 == 2", {"a": 1}, True),
        ("model.a * 2 == 2", {"a": 1}, True),
        ("model.a - 0.5 == 0.5", {"a": 1}, True),
        ("model.a % 2 == 1", {"a": 7}, True),
        ("model.a % 2 == 0", {"a": 8}, True),
        ("-model.a % 3 == -1", {"a": 7}, True),
        ("7 % 2 == 1", {}, True),
        ("(model.a + 0.5) >= 1.5", {"a": 1}, True),
        ("(model.a + 0.5) in [1.5]", {"a": 1}, True),
        ("type(model.a + 0.5) == double", {"a": 1}, True),
        ("type(model.a) == double", {"a": 1}, True),
        ("type(1) == int", {}, True),
        ("int(model.a) == 1", {"a": 1}, True),
        ("model.l[model.i] == 20", {"l": [10, 20], "i": 1}, True),
        ("model.l[1] == 20", {"l": [10, 20]}, True),
        ("model.x >= 9007199254740993", {"x": 2**53}, False),
        ("model.x < 9007199254740993", {"x": 2**53}, True),
        ("model.x == 9007199254740993", {"x": 2**53}, False),
    ],
)
def test_numbers_compare_as_numbers(
    backend: cel.Backend, expression: str, model: Any, expected: bool
) -> None:
    assert check(backend, expression, model) is expected


def test_arithmetic_on_document_numbers(backend: cel.Backend) -> None:
    model = yaml_model("a: 1\nb: 3\nc: 0.5\n")
    assert evaluate(backend, "model.a / 2", model) == 0.5
    assert evaluate(backend, "model.a / model.b", model) == pytest.approx(1 / 3)
    assert evaluate(backend, "model.a + model.c", model) == 1.5
    assert evaluate(backend, "model.b * 2", model) == 6
    assert evaluate(backend, "-model.a", model) == -1
    assert evaluate(backend, "7 / 2", model) == 3  # CEL int division between int literals
    assert evaluate(backend, "model.a / 0", model) == math.inf
    result = backend.compile("model.a + model.c").evaluate(
        backend.activation(model=model, params={}, now=NOW, inputs={})
    )
    assert type(backend.to_python(result)) is float


def test_modulo_by_zero_and_of_fractions(backend: cel.Backend) -> None:
    message = error_of(backend, "model.a % 0", {"a": 7})
    assert "divide by zero" in message
    assert "'%'" in error_of(backend, "model.a % 2", {"a": 1.5})


def test_numbers_loaded_from_yaml_ints_and_floats(backend: cel.Backend) -> None:
    model = yaml_model("x: 1\ny: 1.0\nl: [1, 2]\n")
    assert check(backend, "model.x >= 0.95", model)
    assert check(backend, "model.y >= 1", model)
    assert check(backend, "model.x == model.y", model)
    assert check(backend, "model.l == [1, 2] && model.l == [1.0, 2.0]", model)
    assert check(backend, "2 in model.l", model)


def test_huge_document_integers_do_not_crash(backend: cel.Backend) -> None:
    model = yaml_model(f"big: {10**400}\nsmall: -{10**400}\n")
    assert check(backend, "model.big > 1e300", model)
    assert check(backend, "model.small < -1e300", model)


_int = st.integers(min_value=-(2**53), max_value=2**53)  # I-JSON: exact in every JSON reader
_float = st.floats(allow_nan=False, allow_infinity=False)


def _as_yaml(value: int | float, as_float: bool) -> str:
    if isinstance(value, float):
        return repr(value)
    return f"{value}.0" if as_float else str(value)


@settings(max_examples=150, deadline=None)
@given(
    v=st.one_of(_int, _float),
    t=st.one_of(_int, _float),
    v_float=st.booleans(),
    t_float=st.booleans(),
)
def test_threshold_comparison_matches_python(
    v: int | float, t: int | float, v_float: bool, t_float: bool
) -> None:
    backend = get_backend()
    model = yaml_model(f"v: {_as_yaml(v, v_float)}\n")
    params = yaml_model(f"t: {_as_yaml(t, t_float)}\n")
    assert model["v"] == v and params["t"] == t
    for expression, expected in (
        ("model.v >= params.t", v >= t),
        ("model.v < params.t", v < t),
        ("model.v == params.t", v == t),
        ("params.t <= model.v", t <= v),
    ):
        assert check(backend, expression, model, params=params) is expected, expression


@settings(max_examples=100, deadline=None)
@given(v=st.one_of(_int, _float), t=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int_literal_threshold_matches_python(v: int | float, t: int) -> None:
    backend = get_backend()
    model = yaml_model(f"v: {_as_yaml(v, False)}\n")
    exact_v = model["v"] if isinstance(model["v"], float) else float(model["v"])
    assert check(backend, f"model.v >= {t}", model) is (exact_v >= t)
    assert check(backend, f"model.v == {t}", model) is (exact_v == t)


# --------------------------------------------------------------------------- missing fields


MISSING = {"spec": {"metrics": {}}, "l": [{"a": 1}], "m": {}}


@pytest.mark.parametrize(
    ("expression", "path"),
    [
        ("model.spec.metrics.auc >= 0.8", "model.spec.metrics.auc"),
        ("model.spec.metrica.auc >= 0.8", "model.spec.metrica"),
        ("model.spec.metrics.auc >= 0.8 && true", "model.spec.metrics.auc"),
        ("true && model.spec.metrics.auc >= 0.8", "model.spec.metrics.auc"),
        (
            "model.spec.metrics.auc >= 0.8 && model.spec.metrics.acc >= 0.8",
            "model.spec.metrics.auc",
        ),
        ("false || model.spec.metrics.auc >= 0.8", "model.spec.metrics.auc"),
        ("model.spec.metrics.auc >= 0.8 || false", "model.spec.metrics.auc"),
        ("size(model.spec.metrics.auc) > 0", "model.spec.metrics.auc"),
        ("model.spec.metrics.auc.size() > 0", "model.spec.metrics.auc"),
        ("model.spec.metrics.auc[0] > 0", "model.spec.metrics.auc"),
        ("model.l[0].auc > 1", "model.l[0].auc"),
        ("model.spec['metrics']['auc'] > 1", "model.spec['metrics']['auc']"),
        ("model.spec.metrics.auc.exists(x, x > 1)", "model.spec.metrics.auc"),
        ("model.l.exists(x, x.auc > 1)", "x.auc"),
        ("model.l.all(x, x.auc > 1)", "x.auc"),
        ("model.l.map(x, x.auc)", "x.auc"),
        ("[1].exists(x, model.spec.metrics.auc > x)", "model.spec.metrics.auc"),
        ("!model.spec.metrics.auc", "model.spec.metrics.auc"),
        ("model.spec.metrics.auc ? true : false", "model.spec.metrics.auc"),
        ("model.spec.metrics.auc + 1 > 2", "model.spec.metrics.auc"),
        ("1 + model.spec.metrics.auc > 2", "model.spec.metrics.auc"),
        ("model.spec.metrics.auc in [1]", "model.spec.metrics.auc"),
        ("model.spec.metrics.auc == null", "model.spec.metrics.auc"),
        ("string(model.spec.metrics.auc) == ''", "model.spec.metrics.auc"),
        ("timestamp(model.spec.metrics.t) < now", "model.spec.metrics.t"),
        ("days(model.spec.metrics.auc) < days(1)", "model.spec.metrics.auc"),
        ("model.spec.metrics.name.startsWith('a')", "model.spec.metrics.name"),
        ("params.min_auc <= 1", "params.min_auc"),
    ],
)
def test_a_missing_field_is_named(backend: cel.Backend, expression: str, path: str) -> None:
    assert error_of(backend, expression, MISSING) == f"no such key: {path}"


def test_a_missing_key_by_variable_index_names_the_key(backend: cel.Backend) -> None:
    message = error_of(backend, "model.m[params.k] > 1", MISSING, params={"k": "zz"})
    assert message == "no such key: model.m[params.k] (key 'zz')"


def test_short_circuits_do_not_need_the_missing_field(backend: cel.Backend) -> None:
    assert check(backend, "true || model.spec.metrics.auc >= 0.8", MISSING) is True
    assert check(backend, "false && model.spec.metrics.auc >= 0.8", MISSING) is False
    assert check(backend, "model.spec.metrics.auc >= 0.8 || true", MISSING) is True
    assert check(backend, "has(model.spec.metrics.auc) && model.spec.metrics.auc > 1", MISSING) is (
        False
    )
    assert evaluate(backend, "has(model.spec.metrics.auc) ? 1 : 2", MISSING) == 2


def test_other_evaluation_errors_name_the_cause(backend: cel.Backend) -> None:
    assert error_of(backend, "undeclared > 1") == "undeclared reference to 'undeclared'"
    assert error_of(backend, "item.x > 1") == "undeclared reference to 'item'"
    assert "list index out of range" in error_of(backend, "model.l[3] > 1", {"l": [1]})
    assert "'<'" in error_of(backend, "model.s < 1", {"s": "a"})
    assert "2026-13-01" in error_of(backend, "timestamp(model.t) < now", {"t": "2026-13-01"})
    assert "days() wants a number, got string" in error_of(backend, "days('a')")
    assert "divide by zero" in error_of(backend, "1 / 0")


# --------------------------------------------------------------------------- truth, elements


def test_truth_accepts_only_bools(backend: cel.Backend) -> None:
    activation = backend.activation(model={"x": 1, "s": "yes"}, params={}, now=NOW, inputs={})
    assert backend.truth(backend.compile("true").evaluate(activation)) is True
    assert backend.truth(backend.compile("model.x > 2").evaluate(activation)) is False
    for expression, kind in (
        ("model.x", "double"),
        ("model.s", "string"),
        ("1", "int"),
        ("[true]", "list"),
        ("{'a': true}", "map"),
        ("null", "null"),
        ("now", "timestamp"),
    ):
        value = backend.compile(expression).evaluate(activation)
        with pytest.raises(CELEvaluationError) as info:
            backend.truth(value)
        assert str(info.value) == f"check must yield a bool, got {kind}"


def test_elements_of_lists_and_maps(backend: cel.Backend) -> None:
    activation = backend.activation(
        model={"l": ["a", "b"], "m": {"z": 1, "a": 2}}, params={}, now=NOW, inputs={}
    )
    items = backend.elements(backend.compile("model.l").evaluate(activation))
    assert [(i, backend.to_python(v)) for i, v in items] == [(0, "a"), (1, "b")]
    entries = backend.elements(backend.compile("model.m").evaluate(activation))
    assert [(k, backend.to_python(v)) for k, v in entries] == [("a", 2), ("z", 1)]
    with pytest.raises(CELEvaluationError, match="for_each must yield a list or a map, got string"):
        backend.elements(backend.compile("'abc'").evaluate(activation))


def test_bound_variables(backend: cel.Backend) -> None:
    assert check(backend, "index == 0 && item > 1 && key == 0", item=2, index=0, key=0)
    assert check(backend, "key == 'a' && index == 1", key="a", index=1)
    assert evaluate(backend, "model.l[index]", {"l": [5, 6]}, index=1) == 6
    assert check(backend, "item.auc >= 0.8", item={"auc": 1})
    assert check(backend, "inputs.roles.admins[0] == 'ann'", inputs={"roles": {"admins": ["ann"]}})


def test_to_python(backend: cel.Backend) -> None:
    assert evaluate(backend, "model", {"a": [1, "x", None, True]}) == {"a": [1.0, "x", None, True]}
    assert evaluate(backend, "now") == NOW
    assert evaluate(backend, "days(1)") == dt.timedelta(days=1)
    assert evaluate(backend, "b'ab'") == b"ab"
    assert evaluate(backend, "1u") == 1


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("days(1)", dt.timedelta(days=1)),
        ("days(1.5)", dt.timedelta(days=1, hours=12)),
        ("days(0)", dt.timedelta(0)),
        ("days(model.n)", dt.timedelta(days=2)),
        ("days(model.half)", dt.timedelta(hours=12)),
        ("days(-1)", dt.timedelta(days=-1)),
    ],
)
def test_days(backend: cel.Backend, expression: str, expected: dt.timedelta) -> None:
    assert evaluate(backend, expression, {"n": 2, "half": 0.5}) == expected


@pytest.mark.parametrize(
    ("granted", "expected"),
    [
        ("2026-11-01T00:00:00Z", True),
        ("2026-10-28T00:00:01Z", True),
        ("2026-10-27T00:00:00Z", False),  # exactly 30 days
        ("2026-10-01T00:00:00Z", False),
        ("2026-10-27T01:00:00+01:00", False),  # exactly 30 days, written in another zone
    ],
)
def test_age_against_days(backend: cel.Backend, granted: str, expected: bool) -> None:
    assert check(backend, "now - timestamp(model.t) < days(30)", {"t": granted}) is expected


def test_timestamps_and_durations(backend: cel.Backend) -> None:
    model = {"a": "2026-01-01T00:00:00Z", "b": "2026-01-02T00:00:00Z", "days": 45}
    assert check(backend, "timestamp(model.a) < timestamp(model.b)", model)
    assert check(backend, "timestamp(model.a) < now", model)
    assert check(backend, "timestamp(model.b) - timestamp(model.a) == days(1)", model)
    assert check(backend, "timestamp(model.a) + days(model.days) < now", model)
    assert check(backend, "duration('12h') < days(1)", model)
    assert check(backend, "days(0.5) == duration('12h')", model)
    assert check(backend, "timestamp('2026-11-26T00:00:00Z') == now", model)


def test_days_refuses_non_numbers(backend: cel.Backend) -> None:
    assert "days() wants a number, got bool" in error_of(backend, "days(true)")
    assert "days() wants a number, got string" in error_of(backend, "days('1')")


# --------------------------------------------------------------------------- strings, has()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("model.s.startsWith('cr')", True),
        ("model.s.startsWith('de')", False),
        ("model.s.endsWith('default')", True),
        ("model.s.contains('dit-de')", True),
        ("model.s.contains('x')", False),
        ("model.s.matches('^credit-[a-z]+$')", True),
        ("model.s.matches('^[0-9]+$')", False),
        ("model.commit.matches('^[0-9a-f]{7,40}$')", True),
        ("size(model.s) == 14", True),
        ("model.s.size() == 14", True),
        ("model.s + '!' == 'credit-default!'", True),
        ("'dit' in model.tags", False),
        ("'credit' in model.tags", True),
        ("model.s in ['credit-default', 'x']", True),
        ("model.s in {'credit-default': 1}", True),
        ("has(model.s)", True),
        ("has(model.nope)", False),
        ("has(model.nested.inner)", True),
        ("has(model.nested.other)", False),
        ("has(model.nope.deeper)", False),
        ("has(model.nested) && has(model.nested.inner) && model.nested.inner == 1", True),
        ("model.tags.exists(t, t.startsWith('cre'))", True),
        ("model.tags.all(t, size(t) > 2)", True),
        ("model.tags.exists_one(t, t == 'credit')", True),
        ("model.tags.filter(t, t != 'credit') == ['risk']", True),
        ("model.tags.map(t, size(t)) == [6, 4]", True),
    ],
)
def test_strings_and_has(backend: cel.Backend, expression: str, expected: bool) -> None:
    model = {
        "s": "credit-default",
        "commit": "9f1c2ab",
        "tags": ["credit", "risk"],
        "nested": {"inner": 1},
    }
    assert check(backend, expression, model) is expected


# --------------------------------------------------------------------------- compile errors


@pytest.mark.parametrize(
    ("expression", "line", "column"),
    [
        ("model.x >= )", 1, 12),
        ("model.x >= @", 1, 12),
        ("(model.x", 1, 8),
        ("model.", 1, 6),
        ("a b", 1, 3),
        ("model.x >= 1 &&\n  model.y >= ) 2", 2, 14),
        ("x ? y", 1, 5),
    ],
)
def test_compile_errors_have_a_line_and_column(
    backend: cel.Backend, expression: str, line: int, column: int
) -> None:
    with pytest.raises(CELSyntaxError) as info:
        backend.compile(expression)
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.message.startswith("syntax error")
    assert str(info.value) == info.value.message


@pytest.mark.parametrize("expression", ["", "   ", "model.x >= 1 &&"])
def test_compile_errors_at_the_end(backend: cel.Backend, expression: str) -> None:
    with pytest.raises(CELSyntaxError) as info:
        backend.compile(expression)
    assert info.value.line >= 1 and info.value.column >= 1


def test_compile_does_not_evaluate(backend: cel.Backend) -> None:
    program = backend.compile("model.missing.deeper > 1 && undeclared_fn(1)")
    assert program.text == "model.missing.deeper > 1 && undeclared_fn(1)"
