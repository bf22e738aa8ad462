"""Tests for the cel-cpp backend: every test of the cel-python backend's module,
run against cel-cpp (same results, same messages), and the cel-cpp specifics:
the parsed-expression codec, the rewrites and the error describer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import test_celpython as portable  # the sibling module: its tests run here on cel-cpp

from policygate import cel
from policygate.cel import CELEvaluationError, CELSyntaxError, cppast, get_backend

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 26, tzinfo=UTC)

globals().update({name: test for name, test in vars(portable).items() if name.startswith("test_")})


@pytest.fixture(scope="module")
def backend() -> cel.Backend:
    return get_backend("cel-cpp")


def value_of(expression: str, model: Any = None, **bound: Any) -> Any:
    engine = get_backend("cel-cpp")
    activation = engine.activation(model=model or {}, params={}, now=NOW, inputs={})
    if bound:
        activation = activation.bind(**bound)
    return engine.to_python(engine.compile(expression).evaluate(activation))


# --------------------------------------------------------------------------- the codec


def _serialized(text: str) -> bytes:
    from cel_expr_python import cel as native

    env = native.NewEnv(variables={"model": native.Type.DYN})
    return env.compile(text, disable_check=True).serialize()


@pytest.mark.parametrize(
    "text",
    [
        "model.a > 1",
        "model.l.exists(x, x.b == 'c') && {'k': [1, 2u, -3, 4.5, b'x', null]}.size() > 0",
        "has(model.a.b) ? -9223372036854775808 : 18446744073709551615u",
    ],
)
def test_the_codec_reads_and_writes_the_same_bytes(text: str) -> None:
    data = _serialized(text)
    assert cppast.Parsed.decode(data).encode() == data


def test_the_codec_refuses_what_is_not_a_parsed_expression() -> None:
    with pytest.raises(cppast.WireError):
        cppast.Parsed.decode(b"\n\x05hello")


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        ("model.a > 1", False),  # cel-cpp compares int with double natively
        ("7 / 2", False),  # two int literals: CEL int division
        ("'a' + model.s", False),  # a string literal: no number can meet it
        ("model.a + 1", True),
        ("1 + 2.0", True),
        ("model.a % 2", True),
        ("string(model.a)", True),
        ("string('x')", False),
        ("has(model.a.b)", True),
        ("timestamp('2026-11-26T00:00:00Z')", False),
        ("timestamp('2026-11-26T00:00:00.1234567Z')", True),
        ("timestamp('2026-11-26T00:00:00+00:99')", True),
        ("timestamp(model.t)", True),
        ("duration('90m')", False),
        ("duration('2d')", True),
        ("model.a > 9007199254740993", True),
    ],
)
def test_what_is_rewritten(text: str, rewritten: bool) -> None:
    assert (cppast.rewrite(_serialized(text)) is not None) is rewritten


# --------------------------------------------------------------------------- rewrites


@pytest.mark.parametrize(
    ("expression", "model", "expected"),
    [
        ("model.a * 2", {"a": 1.5}, 3.0),
        ("2 * model.a", {"a": 1.5}, 3.0),
        ("size(model.l) * model.a", {"l": [1, 2], "a": 0.5}, 1.0),
        ("size(model.l) + 1", {"l": [1, 2]}, 3),  # int + int stays int
        ("1 + 2.0", None, 3.0),
        ("model.n % 2", {"n": 7}, 1.0),
        ("-7.0 % 2", None, -1.0),  # the sign of the dividend, as CEL's int %
        ("string(model.v)", {"v": 7}, "7.0"),  # as cel-python reads a double
        ("string(index)", None, "0"),
        ("has(model.a.b.c)", {"a": {}}, False),
        ("has(model.a.b.c)", {"a": "text"}, False),
        ("has(model.a.b.c)", {"a": {"b": {"c": None}}}, True),
        ("has(model.a) && has(model.a.b)", {"a": 1}, False),
        ("model.l.filter(x, has(x.k)).size()", {"l": [{"k": 1}, {}, 3]}, 1),
        ("timestamp('2026-12-20T00:00:00.1234567Z') < now", None, False),
        ("timestamp(model.t)", {"t": "2026-12-20T01:00:00+01:00"},
         dt.datetime(2026, 12, 20, tzinfo=UTC)),
        ("duration('2d') == days(2)", None, True),
        ("model.big > 9007199254740992", {"big": 2.0**53}, False),
        ("model.big >= 9007199254740993", {"big": 2.0**53}, False),
        ("model.n < 9007199254740993", {"n": 2**53}, True),
        ("((model.a + 1) * 2 - 1) / 2", {"a": 1}, 1.5),
    ],
)
def test_rewrites_give_cel_pythons_meaning(expression: str, model: Any, expected: Any) -> None:
    result = value_of(expression, model, index=0)
    assert result == expected
    assert type(result) is type(expected)


def test_helpers_cannot_be_called_from_policy_text() -> None:
    with pytest.raises(CELSyntaxError):
        get_backend("cel-cpp").compile("@pg_mod(1.0, 2.0)")


# --------------------------------------------------------------------------- errors


def test_an_error_is_described_in_the_portable_backends_words() -> None:
    engine = get_backend("cel-cpp")
    activation = engine.activation(model={"spec": {}}, params={}, now=NOW, inputs={})
    with pytest.raises(CELEvaluationError, match=r"^no such key: model\.spec\.metrics$"):
        engine.compile("model.spec.metrics.auc > 0.5").evaluate(activation)
    item = activation.bind(item={"role": "x"}, index=0, key=0)
    with pytest.raises(CELEvaluationError, match=r"^no such key: item\.expires_at$"):
        engine.compile("timestamp(item.expires_at) > now").evaluate(item)


def test_an_error_only_cel_cpp_sees_keeps_cel_cpps_words() -> None:
    # cel-python's && yields the string; CEL (and cel-cpp) call it an error
    engine = get_backend("cel-cpp")
    activation = engine.activation(model={"s": "x"}, params={}, now=NOW, inputs={})
    with pytest.raises(CELEvaluationError, match="No matching overloads found : _&&_"):
        engine.compile("true && model.s").evaluate(activation)


def test_a_syntax_error_only_cel_cpp_refuses_has_a_position() -> None:
    with pytest.raises(CELSyntaxError) as info:
        get_backend("cel-cpp").compile("has(model.l[0])")
    assert info.value.line == 1 and info.value.column >= 1


@pytest.mark.parametrize(
    "expression",
    [
        "[[{'x': 0.0}, null].all(i, false), size(model.f.a)]",
        "[[{'x': 0.0}, null].all(i, i.x >= 0.5), string(model.f.b[0])]",
        "model.l.all(i, i.x >= 0.5) || (has(model.f) && size(model.f.a) > 0)",
        "[model.l.exists(i, i.x == 0.0), has(model.f.a) && size(model.f.a) > 0]",
    ],
)
def test_a_binding_after_a_macro_that_stopped_early(expression: str) -> None:
    """cel-cpp 0.1.3 gave a comprehension over an empty list (cel.bind's shape,
    which the rewrites use) the stale variable of a macro that stopped early;
    the rewrites' bindings range over [0] instead, and agree with cel-python."""
    model = {"l": [{"x": 0.0}, None], "f": {"a": ["s"], "b": [1.0]}}
    expected = portable.evaluate(get_backend("cel-python"), expression, model)
    assert value_of(expression, model) == expected


FIELD_PATHS = ["model.spec.metrics.auc", "model.spec.fairness", "model.spec.tags", "params.p",
               "model.spec.tags.b", "model.spec.name", "model.spec.ok", "model.spec.fairness.x",
               "model.spec.missing", "model.spec.name.x"]  # fmt: skip


@pytest.mark.parametrize("text", FIELD_PATHS)
def test_a_field_path_read_in_python_is_what_cel_cpp_reads(text: str) -> None:
    """A field path is read from the converted variables, without a native call:
    the same value (and the same elements for a for_each), or cel-cpp's own error."""
    from policygate.cel import celcpp

    backend = get_backend("cel-cpp")
    model = {"spec": {"metrics": {"auc": 0.9}, "fairness": [{"a": "x", "v": 1}, {"a": None}],
                      "tags": {"b": None, "c": [1, "two"]}, "name": "n", "ok": True}}  # fmt: skip
    activation = backend.activation(model=model, params={"p": [1, 2]}, now=NOW, inputs={})
    program = backend.compile(text)
    native = program._expression.eval(activation.native)
    if native.type() == celcpp._ERROR:
        with pytest.raises(CELEvaluationError):
            program.evaluate(activation)
        return
    read = program.evaluate(activation)
    assert backend.to_python(read) == celcpp._plain_value(native)
    if isinstance(celcpp._plain_value(native), (list, dict)):
        assert backend.elements(read) == backend.elements(native)


def test_a_document_with_a_date_in_it_is_left_to_cel_cpp() -> None:
    """cel-cpp refuses a date inside a document: a field path that holds one is an
    error as it is on the native path, not a list read in Python."""
    backend = get_backend("cel-cpp")
    model = {"l": [dt.datetime(2026, 1, 1, tzinfo=UTC)], "n": 1.0}
    activation = backend.activation(model=model, params={}, now=NOW, inputs={})
    with pytest.raises(CELEvaluationError):
        backend.compile("model.l").evaluate(activation)
    assert backend.to_python(backend.compile("model.n").evaluate(activation)) == 1.0


def _calls(node: Any, function: str) -> int:
    own = 1 if node.function == function else 0
    return own + sum(_calls(child, function) for child in node.children())


def test_a_chain_of_presence_checks_tests_each_map_once() -> None:
    """``has(a.b) && has(a.b.c)`` rewritten would check ``a`` twice: an ``&&`` keeps
    one of equal operands, and the meaning is cel-python's whatever the model."""
    text = "has(model.a) && has(model.a.b) && has(model.a.b.c)"
    root = cppast.Parsed.decode(cppast.rewrite(_serialized(text)) or b"").root
    assert _calls(root, "type") == 3  # model, model.a, model.a.b: once each
    portable = get_backend("cel-python")
    for model in [{}, {"a": 1}, {"a": {}}, {"a": {"b": []}}, {"a": {"b": {"c": None}}},
                  {"a": {"b": {"d": 1}}}, {"a": "text"}]:  # fmt: skip
        activation = portable.activation(model=model, params={}, now=NOW, inputs={})
        expected = portable.to_python(portable.compile(text).evaluate(activation))
        assert value_of(text, model) == expected, model
    # an operand the text repeats stays: cel-python evaluates it twice, and the
    # cost bound of the rewritten tree must cover what it counts
    assert cppast.rewrite(_serialized("model.s.contains('x') && model.s.contains('x')")) is None
