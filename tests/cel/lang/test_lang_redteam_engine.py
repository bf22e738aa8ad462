"""Corners where the engine gave another answer than CEL (cel-go, cel-cpp and the
language definition agree on each), each pinned against Google's cel-cpp where it
can answer, and through the plain and the traced evaluation."""

from __future__ import annotations

from typing import Any

import pytest
from cel_expr_python import cel
from cel_expr_python.ext import ext_optional, ext_strings
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.cel.lang import CELEvaluationError, Optional, compile

_ENV = cel.NewEnv(
    variables={"v": cel.Type.DYN},
    extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional()],
)
INT64_MIN = -(2**63)


def _both(text: str, variables: dict[str, Any] | None = None) -> list[tuple[bool, Any]]:
    """The plain and the traced evaluation's (ok, value or error text)."""
    program = compile(text, set(variables or ()), checked=False)
    out = []
    for observer in (None, lambda node, value: None):
        try:
            out.append((True, program.evaluate(variables or {}, observer=observer)))
        except CELEvaluationError as error:
            out.append((False, str(error)))
    return out


def _cpp(text: str, variables: dict[str, Any] | None = None) -> tuple[bool, Any]:
    result = _ENV.compile(text, disable_check=True).eval(_ENV.Activation(variables or {}))
    if str(result.type()) == "ERROR":
        return False, None
    return True, result.plain_value()


# -- int64 remainder overflow ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variables"),
    [
        ("-9223372036854775808 % -1", None),
        ("v % -1", {"v": INT64_MIN}),
        ("v % -1 == 0", {"v": INT64_MIN}),
        ("[v].all(x, x % -1 == 0)", {"v": INT64_MIN}),
    ],
)
def test_int64_min_modulo_minus_one_overflows(text: str, variables: dict[str, Any] | None) -> None:
    """cel-go (modulusInt64Checked) and cel-cpp refuse MinInt64 % -1 as an overflow,
    as they refuse MinInt64 / -1; it was 0, so ``x % -1 == 0`` was true."""
    assert _cpp(text, variables) == (False, None)
    for ok, said in _both(text, variables):
        assert not ok and "integer overflow" in said, text


@settings(max_examples=300, deadline=None)
@given(st.integers(INT64_MIN, 2**63 - 1), st.integers(INT64_MIN, 2**63 - 1).filter(bool))
def test_int_remainder_is_cel_cpps(a: int, b: int) -> None:
    text = f"v % {b}" if b >= 0 else f"v % ({b})"
    theirs = _cpp(text, {"v": a})
    mine = _both(text, {"v": a})[0]
    assert mine[0] == theirs[0], (a, b, mine)
    if theirs[0]:
        assert mine[1] == theirs[1] and type(mine[1]) is int
        assert (a - mine[1]) % b == 0 and abs(mine[1]) < abs(b)


# -- opt.or(x), opt.orValue(x): x only when opt has no value ------------------------


@pytest.mark.parametrize(
    ("text", "variables", "value"),
    [
        ("optional.of(1).orValue(1 / 0)", None, 1),
        ("optional.of(1).orValue(1 / 0) == 1", None, True),
        ("v.?a.orValue(v.b)", {"v": {"a": 1.0}}, 1.0),
        ("v.?a.orValue(v.b)", {"v": {"b": 2.0}}, 2.0),
        ("v.?a.orValue([1].all(x, x / 0 == 1))", {"v": {"a": True}}, True),
        ("optional.of(1).or(optional.of(1 / 0)).value()", None, 1),
        ("optional.of(1).or(optional.of(1 / 0)) == optional.of(1)", None, True),
        ("optional.none().or(optional.of(2)).value()", None, 2),
        ("optional.none().orValue(3)", None, 3),
    ],
)
def test_or_and_or_value_short_circuit(
    text: str, variables: dict[str, Any] | None, value: Any
) -> None:
    """cel-go (decorateOptionalOr), cel-cpp (its OptionalHasValueJump step) and
    cel-java evaluate the argument of ``or``/``orValue`` only when the optional is
    empty; it was evaluated first, and its error was the answer."""
    theirs = _cpp(text, variables)
    if type(value) is not Optional:
        assert theirs == (True, value)
    for ok, mine in _both(text, variables):
        assert ok and mine == value and type(mine) is type(value), text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("optional.none().orValue(1 / 0)", "divide by zero"),
        ("optional.none().or(optional.of(1 / 0))", "divide by zero"),
        ("optional.none().or(2)", "no such overload"),
        ("1.orValue(2)", "no such overload"),
        ("1.or(optional.of(2))", "no such overload"),
        ("(1 / 0).orValue(2)", "divide by zero"),
    ],
)
def test_or_and_or_value_still_fail(text: str, error: str) -> None:
    assert _cpp(text)[0] is False
    for ok, said in _both(text):
        assert not ok and error in said, text
