"""Operators compiled with an operand read in place mean what their nodes mean.

``x == "a"``, ``"a" == x``, ``x == 1.0`` (a literal string or number) and
``x == v`` (``v`` a loop variable) leave out the constant's or the variable's
closure, and ``all``/``exists`` charge their range's block themselves. The
traced compilation (what ``explain`` and an error's origin use) compiles every
node on its own. The law: both give the same value, or the same error, for the
same cost units; where the budget runs out, both run out (a macro's loop
charges an element's units as it starts it, the generic loop node by node, so
with a small budget only expressions without a macro are compared).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.cel.lang import BudgetExceeded, CELEvaluationError, compile

CONSTANTS = st.sampled_from(["1", "1.0", "2.5", "0", "'a'", "'b'", "''", "true", "null"])
READS = st.sampled_from(["x", "x.a", "y", "e", "e.a", "v", "missing"])
OTHERS = st.sampled_from(["[1, 2]", "['a']", "{'a': 1}", "x[0]", "size(x)", "x.a.b"])
OPERANDS = READS | CONSTANTS | OTHERS
COMPARISONS = st.one_of(
    st.tuples(READS, CONSTANTS).map(lambda p: f"{p[0]} == {p[1]}"),
    st.tuples(CONSTANTS, READS).map(lambda p: f"{p[0]} == {p[1]}"),
    st.tuples(OPERANDS, READS).map(lambda p: f"{p[0]} == {p[1]}"),
    st.tuples(OPERANDS, OPERANDS).map(lambda p: f"{p[0]} == {p[1]}"),
)


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, inner).map(lambda p: f"({p[0]} && {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} || {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} == {p[1]})"),
        inner.map(lambda t: f"!({t})"),
        st.tuples(OPERANDS, inner).map(lambda p: f"{p[0]}.exists(v, {p[1]})"),
        st.tuples(OPERANDS, inner).map(lambda p: f"{p[0]}.all(v, {p[1]})"),
        st.tuples(OPERANDS, inner).map(lambda p: f"{p[0]}.exists(e, {p[1]})"),
        st.tuples(OPERANDS, inner).map(lambda p: f"{p[0]}.all(k, v, {p[1]})"),
        st.tuples(OPERANDS, inner).map(lambda p: f"{p[0]}.map(v, {p[1]})"),
        st.tuples(OPERANDS, inner).map(lambda p: f"{p[0]}.exists_one(v, {p[1]})"),
    )


EXPRESSIONS = st.recursive(COMPARISONS, _grow, max_leaves=5)
SCALARS = st.none() | st.booleans() | st.integers(0, 2) | st.sampled_from([1.0, 2.5, "a", "b", ""])
VALUES = SCALARS | st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=10,
)


def _outcome(text: str, variables: dict[str, Any], budget: int, traced: bool) -> Any:
    program = compile(text, {"x", "y", "e", "v", "missing"}, checked=False)
    observer = (lambda node, value: None) if traced else None
    try:
        value, units = program.measure(variables, budget, observer)
    except BudgetExceeded:
        return ("budget", None)
    except CELEvaluationError as error:
        return ("error", (error.reason, error.kind))
    return ("value", repr(value), units)


@settings(max_examples=1500, deadline=None, database=None)
@given(text=EXPRESSIONS, x=VALUES, y=VALUES, budget=st.integers(1, 60) | st.just(10**6))
def test_an_operand_read_in_place_is_its_node(text: str, x: Any, y: Any, budget: int) -> None:
    if "(" in text.replace("size(", "") and budget != 10**6:
        budget = 10**6  # (a macro: see the module's note)
    variables = {"x": x, "y": y}  # e and v unbound outside their loops, missing always
    plain = _outcome(text, variables, budget, traced=False)
    assert plain == _outcome(text, variables, budget, traced=True), text


def test_the_shapes_are_compiled_in_place() -> None:
    """The fused closures are the ones compiled (a test of the test's reach)."""
    from policygate.cel.lang import operators

    for text, name in [
        ("x == 'a'", "equal_constant.<locals>.equal"),
        ("'a' == x", "equal_constant.<locals>.equal_first"),
        ("x.a == 1.0", "equal_constant.<locals>.equal"),
        ("[1].exists(v, x == v)", "_quantify_one.<locals>.quantify"),
    ]:
        closure, _ = compile(text, {"x"}, checked=False).bare()  # type: ignore[misc]
        assert closure.__code__.co_qualname == name, text
    assert operators.equal_local.__name__ == "equal_local"
