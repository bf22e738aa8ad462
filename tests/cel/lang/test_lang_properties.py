"""Laws of CEL's logic and of the engine, checked with hypothesis."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policygate.cel.lang import CELEvaluationError, compile, parse

#: Operands of every kind a logical operator meets: bools, an error, a non-bool.
OPERANDS = st.sampled_from(["true", "false", "(1 / 0 == 1)", "'text'", "x.missing"])


def outcome(text: str, variables: dict[str, Any] | None = None) -> Any:
    try:
        return ("value", compile(text, {"x"}).evaluate(variables or {"x": {}}))
    except CELEvaluationError:
        return ("error", None)


@given(OPERANDS, OPERANDS)
def test_and_and_or_are_commutative_even_over_errors(a: str, b: str) -> None:
    assert outcome(f"{a} && {b}") == outcome(f"{b} && {a}")
    assert outcome(f"{a} || {b}") == outcome(f"{b} || {a}")


@given(OPERANDS, OPERANDS, OPERANDS)
def test_and_and_or_are_associative(a: str, b: str, c: str) -> None:
    assert outcome(f"({a} && {b}) && {c}") == outcome(f"{a} && ({b} && {c})")
    assert outcome(f"({a} || {b}) || {c}") == outcome(f"{a} || ({b} || {c})")


@given(st.booleans(), st.booleans())
def test_de_morgan_over_bools(a: bool, b: bool) -> None:
    variables = {"x": {"a": a, "b": b}}
    assert outcome("!(x.a || x.b)", variables) == outcome("!x.a && !x.b", variables)


@given(
    st.recursive(
        st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=3)),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
        max_leaves=10,
    )
)
def test_evaluation_never_changes_the_document(document: Any) -> None:
    before = copy.deepcopy(document)
    for text in ("x == x", "[x].map(v, v)", "{'k': x}.k", "[x, x].filter(v, v == x)"):
        outcome(text, {"x": document})
    assert document == before


@given(st.text(alphabet="ab1 +-*/()[]{}.,:?!<>=&|'\"\\xu", max_size=30))
def test_any_text_parses_or_is_a_syntax_error(text: str) -> None:
    from policygate.cel.lang import CELSyntaxError

    try:
        parse(text)
    except CELSyntaxError as error:
        assert error.line >= 1 and error.column >= 1
