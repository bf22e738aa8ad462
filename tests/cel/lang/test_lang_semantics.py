"""CEL's semantics over plain Python values, as SPEC.md §3 promises them."""

from __future__ import annotations

import math
from typing import Any

import pytest

from policygate.cel.lang import (
    CELCheckError,
    CELEvaluationError,
    CelType,
    Duration,
    Optional,
    Timestamp,
    Uint,
    compile,
    evaluate,
)
from policygate.cel.lang.values import NANOS


def run(text: str, **variables: Any) -> Any:
    return evaluate(text, variables)


def fails(text: str, **variables: Any) -> str:
    with pytest.raises(CELEvaluationError) as caught:
        evaluate(text, variables)
    return str(caught.value)


# -- numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 == 1.0", True),
        ("1u == 1", True),
        ("1u < 2.5", True),
        ("[1, 2] == [1.0, 2u]", True),
        ("{1: 'a'}[1.0]", "a"),
        ("{1: 'a'}[1u]", "a"),
        ("2.0 in [1, 2]", True),
        ("1 in [true]", False),
        ("true == 1", False),
        ("x == 1", False),
        ("{true: 'a'}[x]", "a"),
        ("7 / 2", 3),
        ("-7 / 2", -3),
        ("-7 % 3", -1),
        ("7 % -3", 1),
        ("1.0 / 0.0", math.inf),
        ("-1.0 / 0.0", -math.inf),
        ("5u - 3u", Uint(2)),
        ("0.1 + 0.2 > 0.3", True),
        ("x.score * 100.0", 91.0),
    ],
)
def test_numbers(text: str, value: Any) -> None:
    result = (
        run(text, x=True) if text.startswith(("x ==", "{true")) else run(text, x={"score": 0.91})
    )
    assert type(result) is type(value)
    assert result == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x >= 0.8", "no such overload: _>=_(bool, double)"),
        ("x + 1", "no such overload: _+_(bool, int)"),
        ("9223372036854775807 + 1", "overflow"),
        ("-9223372036854775807 - 2", "overflow"),
        ("-(-9223372036854775807 - 1)", "overflow"),
        ("0u - 1u", "overflow"),
        ("1 / 0", "divide by zero"),
        ("1 % 0", "modulus by zero"),
        ("d % 1.0", "no such overload: _%_(double, double)"),
        ("s % 1", "no such overload: _%_(string, int)"),
        ("s * 2", "no such overload: _*_(string, int)"),
        ("y.score * 100", "no such overload: _*_(double, int)"),
        ("int(1e19)", "range"),
        ("uint(-1)", "range"),
    ],
)
def test_numeric_errors(text: str, message: str) -> None:
    assert message in fails(text, x=True, y={"score": 0.9}, d=1.5, s="a")


def test_a_bool_compares_only_with_a_bool() -> None:
    assert run("false < true") is True
    assert "no such overload" in fails("x < 1", x=False)


def test_literal_operand_types_are_checked_before_evaluation() -> None:
    with pytest.raises(CELCheckError, match=r"'_>=_' applied to \(bool, double\)") as caught:
        compile("true >= 0.8")
    assert caught.value.column == 6
    with pytest.raises(CELCheckError, match="applied to"):
        compile("1 + 'a'")


# -- errors and their absorption ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("false && 1 / 0 == 1", False),
        ("1 / 0 == 1 && false", False),
        ("true || 1 / 0 == 1", True),
        ("1 / 0 == 1 || true", True),
        ("true ? 1 : 1 / 0", 1),
        ("false ? 1 / 0 : 2", 2),
        ("'x' && false", False),
        ("[1, 0].exists(x, 1 / x == 1)", True),
        ("[0, 1].all(x, 1 / x == 2)", False),
    ],
)
def test_errors_are_absorbed_as_cel_says(text: str, value: Any) -> None:
    assert run(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "true && 1 / 0 == 1",
        "1 / 0 == 1 || false",
        "(1 / 0 == 1) ? 1 : 2",
        "1 ? 1 : 2",
        "[0, 1].all(x, 1 / x == 1)",
        "'x' && true",
        "!1",
    ],
)
def test_errors_that_nothing_absorbs(text: str) -> None:
    fails(text)


# -- strings, lists, maps -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("'a' in 'abc'", "no such overload: @in(string, string)"),
        ("[1, 2][2]", "index out of range: 2"),
        ("[1, 2][-1]", "index out of range: -1"),
        ("[1, 2][true]", "no such overload"),
        ("{'a': 1}['b']", "no such key"),
        ("{'a': 1}.b", "no such key: 'b'"),
        ("{'a': 1, 'a': 2}", "repeated key"),
        ("{1: 'a', 1u: 'b'}", "repeated key"),
        ("{1.5: 'a'}", "unsupported key type: double"),
        ("{[1]: 'a'}", "unsupported key type: list"),
        ("'abc'.matches('(')", "invalid pattern"),
        ("x.y", "does not support field selection"),
        ("size(1)", "no such overload: size(int)"),
        ("'abc'.substring(2, 1)", "invalid substring range"),
    ],
)
def test_collection_errors(text: str, message: str) -> None:
    assert message in fails(text, x=1)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("size('héllo')", 5),
        ("'héllo'.charAt(1)", "é"),
        ("'a-b-c'.split('-', 2)", ["a", "b-c"]),
        ("['a', 'b'].join('+')", "a+b"),
        ("'  x \\t'.trim()", "x"),
        ("'Straße'.upperAscii()", "STRAßE"),
        ("'abcabc'.lastIndexOf('bc')", 4),
        ("'abc'.reverse()", "cba"),
        ("'aaa'.replace('a', 'b', 2)", "bba"),
        ("'%d items, %.2f%%'.format([3, 99.5])", "3 items, 99.50%"),
        ("strings.quote('a\"b')", '"a\\"b"'),
        ("'abc'.matches('^a.c$')", True),
        ("'v1.2'.matches('[0-9]+')", True),
        ("{'a': 1, 'b': 2}.map(k, k)", ["a", "b"]),
        ("[1, 2, 3].filter(x, x % 2 == 1)", [1, 3]),
        ("[1, 2, 3].map(x, x > 1, x * 10)", [20, 30]),
        ("[3, 4].transformList(i, v, i * v)", [0, 4]),
        ("{'a': 1}.transformMap(k, v, v + 1)", {"a": 2}),
        ("[1, 2, 3].exists_one(x, x > 2)", True),
        # The two-variable form under either name, as cel-go registers both.
        ("[5, 7, 8].exists_one(i, v, v % 5 == i)", True),
        ("[0, 1, 2, 3, 4].exists_one(i, v, v % 2 == i)", False),
        ("[7, 1].exists_one(i, v, i == 0 && v == 7)", True),
        ("{'a': 1, 'b': 2}.exists_one(k, v, k == 'b' && v == 2)", True),
        ("{'a': 1, 'b': 2}.existsOne(k, v, v > 0)", False),
        ("{'a': 1, 'b': 2}.all(k, v, v > 0)", True),
        ("[[1], [2, 3]].map(l, l.map(x, x * 2))", [[2], [4, 6]]),
    ],
)
def test_library(text: str, value: Any) -> None:
    assert run(text) == value


def test_documents_are_evaluated_as_loaded() -> None:
    record = {"metrics": {"auc": 0.91, "f1": 0.8}, "tags": ["prod"], "n": 7.0}
    program = compile(
        "item.metrics.auc >= params.min_auc && 'prod' in item.tags && item.n / 2.0 == 3.5",
        {"item", "params"},
    )
    assert program.evaluate({"item": record, "params": {"min_auc": 0.9}}) is True
    assert record == {"metrics": {"auc": 0.91, "f1": 0.8}, "tags": ["prod"], "n": 7.0}


def test_message_construction_is_a_clear_error() -> None:
    program = compile("Foo{a: 1}", checked=False)
    with pytest.raises(CELEvaluationError, match="message construction is not supported: Foo"):
        program.evaluate({})
    with pytest.raises(CELCheckError, match="undeclared message type 'Foo'"):
        compile("Foo{a: 1}")


# -- time ---------------------------------------------------------------------------------


def test_timestamps_and_durations() -> None:
    ts = run("timestamp('2009-02-13T23:31:30.123456789Z')")
    assert isinstance(ts, Timestamp) and ts.nanos == 1234567890 * NANOS + 123456789
    assert run("string(timestamp('2009-02-13T23:31:30+01:00'))") == "2009-02-13T22:31:30Z"
    assert run("duration('1h30m') == duration('5400s')") is True
    assert run("string(duration('-1.5s'))") == "-1.5s"
    assert run("timestamp('2024-03-10T12:00:00Z').getHours('America/New_York')") == 8
    assert run("timestamp('2024-01-01T00:00:00Z').getDayOfWeek()") == 1
    assert (
        run(
            "now - timestamp('2024-01-01T00:00:00Z') > duration('24h')",
            now=Timestamp(1_800_000_000 * NANOS),
        )
        is True
    )
    assert isinstance(run("duration('1s') + duration('2s')"), Duration)


@pytest.mark.parametrize(
    "text",
    [
        "timestamp('0000-12-31T23:59:59Z')",
        "timestamp('10000-01-01T00:00:00Z')",
        "timestamp('9999-12-31T23:59:59Z') + duration('1s')",
        "duration('9999999999s')",
        "timestamp('2024-13-01T00:00:00Z')",
        "duration('1x')",
        "timestamp('2024-01-01T00:00:00Z').getHours('Mars/Olympus')",
    ],
)
def test_time_errors(text: str) -> None:
    fails(text)


# -- optionals and types -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("m.?a.orValue(0)", 1),
        ("m.?z.orValue(0)", 0),
        ("m.?z.hasValue()", False),
        ("m[?'a'].value()", 1),
        ("m.?z.?y.orValue('none')", "none"),
        ("[?m.?a, ?m.?z]", [1]),
        ("{?'k': m.?z, 'j': 2}", {"j": 2}),
        ("optional.ofNonZeroValue('').hasValue()", False),
        ("optional.none().or(optional.of(3)).value()", 3),
        ("optional.of(2).optMap(x, x * 2).value()", 4),
        ("optional.of(2).optFlatMap(x, optional.none()).hasValue()", False),
    ],
)
def test_optionals(text: str, value: Any) -> None:
    assert run(text, m={"a": 1}) == value


def test_optional_values_are_values() -> None:
    assert run("optional.of(1)") == Optional(True, 1)
    assert "optional.none() dereference" in fails("optional.none().value()")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("type(1)", "int"),
        ("type(1u)", "uint"),
        ("type(1.0)", "double"),
        ("type(x)", "map"),
        ("type(type(1))", "type"),
        ("type(null)", "null_type"),
        ("type(duration('1s'))", "google.protobuf.Duration"),
    ],
)
def test_types_are_values(text: str, name: str) -> None:
    value = run(text, x={})
    assert isinstance(value, CelType) and value.name == name
    assert run(f"{text} == {name}", x={}) is True


def test_dyn_is_the_identity() -> None:
    assert run("dyn(1) + 1") == 2


@pytest.mark.parametrize("text", ["{1: 'a', true: 'b'}", "{false: 'a', 0u: 'b'}"])
def test_a_map_with_keys_python_cannot_tell_apart_is_refused(text: str) -> None:
    assert "cannot hold both the keys" in fails(text)
    assert run("{true: 'a', 'b': 2}[true]") == "a"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("string(123.456)", "123.456"),
        ("string(100000.0)", "100000"),
        ("string(1234567.0)", "1.234567e+06"),
        ("string(1e-5)", "1e-05"),
        ("string(0.0001)", "0.0001"),
        ("string(-0.0)", "-0"),
        ("string(2.0)", "2"),
        ("double('0x1p3')", 8.0),
        ("double('-Infinity')", -math.inf),
    ],
)
def test_doubles_read_and_written_as_cel_go_does(text: str, value: Any) -> None:
    assert run(text) == value


@pytest.mark.parametrize("text", ["double(' 1')", "double('1_0')", "int(' 1')", "int('1_0')"])
def test_number_text_with_spaces_or_underscores_is_refused(text: str) -> None:
    assert "cannot convert" in fails(text)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("x.a > 0 &&\n  10 / x.b == 1", 2, 6),
        ("(1 / 0 == 1 || true) && x.missing", 1, 26),
        ("x.items.all(i, i.v > 0)", 1, 17),
    ],
)
def test_an_evaluation_error_names_where_it_arose(text: str, line: int, column: int) -> None:
    program = compile(text, {"x"})
    with pytest.raises(CELEvaluationError) as caught:
        program.evaluate({"x": {"a": 1, "b": 0, "items": [{"v": 1}, {"w": 2}]}})
    assert (caught.value.line, caught.value.column) == (line, column), str(caught.value)
    assert f"(line {line}, column {column})" in str(caught.value)


def test_timestamps_and_durations_meet_python_datetime() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    ts = Timestamp.from_datetime(moment)
    assert ts.to_datetime() == moment
    assert ts.to_datetime().tzinfo is UTC
    assert run("string(now)", now=ts) == "2026-01-02T01:04:05.678901Z"
    with pytest.raises(ValueError, match="naive datetime"):
        Timestamp.from_datetime(datetime(2026, 1, 1))
    span = Duration.from_timedelta(timedelta(days=-1, seconds=5))
    assert span.nanos == (-86_400 + 5) * NANOS
    assert span.to_timedelta() == timedelta(days=-1, seconds=5)
    assert Duration(-1500).to_timedelta() == timedelta(microseconds=-1)


def test_nine_nested_comprehensions_evaluate() -> None:
    """cel-cpp 0.1.3 fails with an internal error on a 9-deep nested comprehension;
    here it is a value (and each level's variable is its own)."""
    names = "abcdefghi"
    text = "true"
    for name in reversed(names):
        text = f"[1, 2].all({name}, {text} && {name} > 0)"
    assert run(text) is True
    assert run("[[[1]]].exists(a, a.exists(b, b.exists(c, c == 1)))") is True
