"""Paths compiled as one closure (``x.a.b``, ``has(x.a.b)``, a loop variable's
``e.f``) mean what their nodes mean.

The traced compilation (with an observer, what ``explain`` and an error's
origin use) compiles every node on its own; the plain one fuses a path of
selects into one closure. The law: both give the same value, or the same
error, for the same cost units and the same point where the budget runs out.
(``all`` and ``exists`` are left out: the plain compilation runs them without
the generic loop's accumulator, :meth:`_Compiler.quantifier`, which charges the
same units per element but may stop the budget at another node.)
"""

from __future__ import annotations

import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.cel.lang import BudgetExceeded, CELEvaluationError, compile
from policygate.cel.lang.values import CelType, Duration, Optional, Timestamp, Uint

ROOTS = st.sampled_from(["x", "y", ".x", "e", "int", "missing"])
FIELDS = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3)
PATHS = st.builds(lambda r, f: r + "." + ".".join(f), ROOTS, FIELDS)
LEAVES = PATHS | PATHS.map(lambda p: f"has({p})") | st.sampled_from(["1", "'a'", "true"])


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, inner).map(lambda p: f"({p[0]} == {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} && {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} || {p[1]})"),
        st.tuples(PATHS, inner).map(lambda p: f"{p[0]}.map(e, {p[1]})"),
        st.tuples(PATHS, inner).map(lambda p: f"{p[0]}.map(x, {p[1]})"),
        inner.map(lambda t: f"[{t}, {t}].filter(e, e == {t})"),
        st.tuples(PATHS, PATHS).map(lambda p: f"{p[0]}.filter(e, has(e.a) && {p[1]} == 1)"),
    )


EXPRESSIONS = st.recursive(LEAVES, _grow, max_leaves=6)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(0, 2) | st.sampled_from(["a", "b"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=12,
)


def _outcome(text: str, variables: dict[str, Any], budget: int, traced: bool) -> Any:
    program = compile(text, {"x", "y", "e", "missing"}, checked=False)
    observer = (lambda node, value: None) if traced else None
    try:
        value, units = program.measure(variables, budget, observer)
    except BudgetExceeded:
        return ("budget", None)
    except CELEvaluationError as error:
        return ("error", (error.reason, error.kind))
    return ("value", repr(value), units)


@settings(max_examples=300, deadline=None, database=None)
@given(
    text=EXPRESSIONS,
    x=VALUES,
    y=VALUES,
    budget=st.integers(1, 200) | st.just(10**6),
)
def test_a_fused_path_is_its_nodes(text: str, x: Any, y: Any, budget: int) -> None:
    variables = {"x": x, "y": y}  # "e" is unbound outside its loops, "missing" always
    plain = _outcome(text, variables, budget, traced=False)
    assert plain == _outcome(text, variables, budget, traced=True), text


def _calls(text: str, variables: dict[str, Any]) -> int:
    program = compile(text, set(variables))
    count = [0]

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            count[0] += 1

    sys.setprofile(profile)
    try:
        program.evaluate(variables)
    finally:
        sys.setprofile(None)
    return count[0]


def test_a_path_is_one_call_not_one_per_node() -> None:
    """Counting the work: ``has(x.a.b.c)`` and ``x.a.b.c`` are one closure call
    each, as a literal is, not one per select and one for the variable."""
    variables = {"x": {"a": {"b": {"c": 1}}}}
    literal = _calls("true", variables)
    assert _calls("has(x.a.b.c)", variables) == literal
    assert _calls("x.a.b.c", variables) == literal
    assert _calls("x.a", variables) == literal
    assert _calls("has(x.a)", variables) == literal


QUANTIFIED = st.one_of(
    st.tuples(PATHS, EXPRESSIONS).map(lambda p: f"{p[0]}.exists(e, {p[1]})"),
    st.tuples(PATHS, EXPRESSIONS).map(lambda p: f"{p[0]}.all(x, {p[1]})"),
    st.tuples(PATHS, EXPRESSIONS).map(lambda p: f"{p[0]}.exists(e, e == {p[1]})"),
    st.tuples(EXPRESSIONS, EXPRESSIONS).map(lambda p: f"[{p[0]}, 1, {p[1]}].all(e, e == 1)"),
)


def _value(outcome: Any) -> Any:
    return outcome[:2]


@settings(max_examples=300, deadline=None, database=None)
@given(text=QUANTIFIED, x=VALUES, y=VALUES)
def test_all_and_exists_give_what_their_loops_give(text: str, x: Any, y: Any) -> None:
    """``all`` and ``exists`` (run without the accumulator) give the value or the
    error of the generic loop of their expansion. (Not its units: they stop at
    the deciding element, and the traced loop charges a few units more.)"""
    variables = {"x": x, "y": y}
    plain = _outcome(text, variables, 10**6, traced=False)
    assert _value(plain) == _value(_outcome(text, variables, 10**6, traced=True)), text


ELEMENTS = st.sampled_from(["1", "2", "'a'", "true", "false", "[1]", "{'a': 1}", "x", "null"])
PREDICATES = st.sampled_from(
    ["e == 1", "e", "e > 0", "has(e.a)", "e.a == 1", "x == e", "1 / (e - 1) == 1"]
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    elements=st.lists(ELEMENTS, min_size=1, max_size=5) | st.lists(EXPRESSIONS, max_size=3),
    predicate=PREDICATES | EXPRESSIONS,
    quantifier=st.sampled_from(["all", "exists"]),
    x=VALUES,
    budget=st.integers(1, 60) | st.just(10**6),
)
def test_one_loop_variable_costs_what_two_cost(
    elements: list[str], predicate: str, quantifier: str, x: Any, budget: int
) -> None:
    """Over a list, ``l.all(e, p)`` is ``l.all(i, e, p)`` (the index unused): the
    same value or error, units and budget stop, one loop variable or two."""
    items = "[" + ", ".join(elements) + "]"
    one = f"{items}.{quantifier}(e, {predicate})"
    two = f"{items}.{quantifier}(i, e, {predicate})"
    variables = {"x": x, "y": None}
    assert _outcome(one, variables, budget, False) == _outcome(two, variables, budget, False)


def _guards(root: str, fields: list[str], tail: str | None) -> str:
    leaves = [f"has({root}.{'.'.join(fields[: i + 1])})" for i in range(len(fields))]
    return " && ".join(leaves + ([tail] if tail is not None else []))


GUARDED = st.builds(
    _guards,
    st.sampled_from(["x", ".x", "y", "e", "missing"]),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=4),
    st.none() | EXPRESSIONS | st.sampled_from(["x.a.b == 1", "1 / 0 == 1", "'s'", "false"]),
)
NESTED = st.recursive(
    st.none() | st.integers(0, 2) | st.sampled_from(["a", ""]),
    lambda inner: st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None, database=None)
@given(
    text=GUARDED | st.tuples(GUARDED, GUARDED).map(lambda p: f"{p[0]} && ({p[1]})"),
    x=NESTED,
    y=VALUES,
    budget=st.integers(1, 40) | st.just(10**6),
)
def test_a_paths_guards_are_their_has_leaves(text: str, x: Any, y: Any, budget: int) -> None:
    """``has(x.a) && has(x.a.b) && ...`` decided in one walk down the path gives
    the chain of nodes' value or error, units and budget stop, on any document."""
    variables = {"x": x, "y": y}
    plain = _outcome(text, variables, budget, traced=False)
    assert plain == _outcome(text, variables, budget, traced=True), text


def test_a_paths_guards_are_one_call() -> None:
    """Counting the work: the guards of a path are one closure call, not one per leaf."""
    variables = {"x": {"a": {"b": {"c": 1}}}}
    literal = _calls("true", variables)
    assert _calls("has(x.a) && has(x.a.b) && has(x.a.b.c)", variables) == literal
    assert _calls("has(x.a) && has(x.a.b) && has(x.a.b.d)", variables) == literal


# What a path may meet on its way that is no map: each refuses a field's subscript
# (a TypeError), though "b" in "abc" and "a" in ["a"] are true.
ODD = st.sampled_from(
    [
        "abc",
        b"abc",
        ["a", "b"],
        ("a",),
        Uint(1),
        1.5,
        Timestamp(0),
        Duration(1),
        Optional(True, {"a": {"b": 1}}),
        Optional(True, "abc"),
        Optional(False),
        CelType("map"),
    ]
)
ODD_VALUES = st.recursive(
    st.none() | st.integers(0, 2) | ODD,
    lambda inner: st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    | inner.map(lambda v: Optional(True, v)),
    max_leaves=10,
)
ODD_PATHS = st.builds(
    lambda root, optional, fields, test: (
        f"has({root}{optional}.{'.'.join(fields)})"
        if test
        else f"{root}{optional}.{'.'.join(fields)}"
    ),
    st.sampled_from(["x", ".x", "y", "missing", "int"]),
    st.sampled_from(["", ".?a", ".?b"]),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=5),
    st.booleans(),
)


@settings(max_examples=500, deadline=None, database=None)
@given(
    text=ODD_PATHS | st.tuples(ODD_PATHS, ODD_PATHS).map(lambda p: f"{p[0]} == {p[1]}"),
    x=ODD_VALUES,
    y=ODD_VALUES,
    budget=st.integers(1, 12) | st.just(10**6),
)
def test_a_path_read_by_subscripts_is_its_nodes(text: str, x: Any, y: Any, budget: int) -> None:
    """A path of maps is read by subscripts alone, anything else node by node: on
    documents holding strings, bytes, lists, optionals, timestamps and the like
    (none of which is a map, though some answer ``in``), the fused path gives the
    nodes' value or error, units and budget stop."""
    variables = {"x": x, "y": y}
    plain = _outcome(text, variables, budget, traced=False)
    assert plain == _outcome(text, variables, budget, traced=True), text
