"""The cost budget (units charged before the work, the same on every machine) and
the observer that explains an evaluation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policygate.cel.lang import BudgetExceeded, EvalError, ast, compile


def test_units_count_nodes_elements_and_built_sizes() -> None:
    # item, .metrics, .auc, params, .min_auc, >=: six nodes.
    program = compile("item.metrics.auc >= params.min_auc", {"item", "params"})
    assert program.measure({"item": {"metrics": {"auc": 0.9}}, "params": {"min_auc": 0.8}}) == (
        True,
        6,
    )
    # A list literal costs its nodes and its size.
    assert compile("[1, 2, 3]").measure()[1] == 4 + 3
    # + on strings charges the length of what it builds.
    _, small = compile("s + s", {"s"}).measure({"s": "ab"})
    _, large = compile("s + s", {"s"}).measure({"s": "ab" * 100})
    assert large - small == 400 - 4


def test_iteration_is_charged_per_element() -> None:
    program = compile("xs.all(x, x > 0)", {"xs"})
    _, ten = program.measure({"xs": list(range(1, 11))})
    _, twenty = program.measure({"xs": list(range(1, 21))})
    assert twenty - ten == ten - program.measure({"xs": []})[1]


def test_a_short_circuit_charges_only_what_it_evaluates() -> None:
    program = compile("a || b.c.d.e", {"a", "b"})
    _, cheap = program.measure({"a": True, "b": {}})
    _, dear = program.measure({"a": False, "b": {"c": {"d": {"e": True}}}})
    assert (cheap, dear) == (2, 6)


def test_the_budget_stops_a_cost_bomb_before_it_is_built() -> None:
    bomb = (
        "[1, 2, 3, 4, 5, 6, 7, 8].map(a, [1, 2, 3, 4, 5, 6, 7, 8].map(b, "
        "[1, 2, 3, 4, 5, 6, 7, 8].map(c, [1, 2, 3, 4, 5, 6, 7, 8].map(d, "
        "[1, 2, 3, 4, 5, 6, 7, 8].map(e, [1, 2, 3, 4, 5, 6, 7, 8])))))"
    )
    with pytest.raises(BudgetExceeded, match="cost budget of 100000 units"):
        compile(bomb).evaluate({}, budget=100_000)
    # Each + would double the string: the budget refuses before 1,600,000 characters exist.
    doubling = compile("(((s + s) + (s + s)) + ((s + s) + (s + s)))", {"s"})
    with pytest.raises(BudgetExceeded):
        doubling.evaluate({"s": "x" * 200_000}, budget=1_000_000)


def test_an_exhausted_budget_is_never_absorbed() -> None:
    program = compile("xs.exists(x, x == 0) || true", {"xs"})
    assert not issubclass(BudgetExceeded, EvalError)
    with pytest.raises(BudgetExceeded):
        program.evaluate({"xs": list(range(1, 1000))}, budget=100)
    assert program.evaluate({"xs": list(range(1, 1000))}) is True


@given(st.lists(st.integers(-5, 5), max_size=30), st.text(max_size=20))
def test_the_cost_is_deterministic(xs: list[int], s: str) -> None:
    program = compile(
        "xs.filter(x, x > 0).map(x, string(x) + s).size() > 0 || s.contains('a')", {"xs", "s"}
    )
    first = program.measure({"xs": xs, "s": s})
    assert program.measure({"xs": list(xs), "s": s}) == first


def test_the_observer_sees_every_sub_expression() -> None:
    seen: list[tuple[str, Any]] = []

    def observe(node: ast.Node, value: Any) -> None:
        label = type(node).__name__
        if isinstance(node, ast.Call):
            label = node.function
        elif isinstance(node, ast.Select):
            label = "." + node.field
        seen.append((label, value))

    program = compile("item.auc >= params.min && 1 / 0 == 1 || true", {"item", "params"})
    value = program.evaluate({"item": {"auc": 0.9}, "params": {"min": 0.8}}, observer=observe)
    assert value is True
    labels = [label for label, _ in seen]
    assert labels[:6] == ["Ident", ".auc", "Ident", ".min", "_>=_", "Literal"]
    assert ("_/_", seen[labels.index("_/_")][1]) == ("_/_", seen[labels.index("_/_")][1])
    assert isinstance(seen[labels.index("_/_")][1], EvalError)
    assert seen[-1] == ("_||_", True)
    # Without an observer the untraced closures run, with the same result and cost.
    assert program.measure({"item": {"auc": 0.9}, "params": {"min": 0.8}})[0] is True


def test_searching_and_comparing_lists_is_charged_by_their_size() -> None:
    program = compile("x in xs", {"x", "xs"})
    _, short = program.measure({"x": 0, "xs": [1] * 10})
    _, long = program.measure({"x": 0, "xs": [1] * 1010})
    assert long - short == 1000
    equal = compile("xs == ys", {"xs", "ys"})
    _, cost = equal.measure({"xs": [1] * 500, "ys": [1] * 500})
    assert cost == 3 + 500


def test_a_value_nested_too_deeply_is_an_evaluation_error() -> None:
    from policygate.cel.lang import CELEvaluationError

    deep: list[object] = []
    for _ in range(20_000):
        deep = [deep]
    with pytest.raises(CELEvaluationError, match="nests too deeply"):
        compile("x == y", {"x", "y"}).evaluate({"x": deep, "y": deep})


@pytest.mark.parametrize(
    "text",
    [
        "item.metrics.auc >= 0.5",
        "xs.all(x, x.v > 0)",
        "xs.exists(x, x.v > 5) || false",
        "xs.map(x, x.v * 2).filter(y, y > 2)",
        "xs.exists_one(x, x.v == 2)",
        "{'a': item}.transformMap(k, v, v.metrics.auc)",
    ],
)
def test_explaining_costs_what_evaluating_costs(text: str) -> None:
    program = compile(text, {"item", "xs"})
    variables = {"item": {"metrics": {"auc": 0.9}}, "xs": [{"v": 1}, {"v": 2}, {"v": 3}]}
    plain = program.measure(variables)
    explained = program.measure(variables, observer=lambda node, value: None)
    assert plain == explained


_LEAVES = ["true", "false", "v.t", "v.f", "v.n", "v.s", "v.missing", "1 / v.zero > 0"]


@st.composite
def _logic_trees(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 4 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(_LEAVES))
    operator = draw(st.sampled_from(["&&", "||"]))
    left = draw(_logic_trees(depth + 1))
    right = draw(_logic_trees(depth + 1))
    return f"({left} {operator} {right})" if draw(st.booleans()) else f"{left} {operator} {right}"


@settings(max_examples=300)
@example(text="(v.n && true) && v.missing", budget=60)  # which error: the tree's
@example(text="v.t && v.t && v.t && v.t", budget=5)  # where the budget runs out
@given(text=_logic_trees(), budget=st.integers(1, 60))
def test_a_chain_of_and_or_means_and_costs_what_its_nodes_do(text: str, budget: int) -> None:
    """A chain of ``&&``/``||`` runs as one closure; with an observer the evaluator
    runs the nodes one by one. The value, the error (which one), the units and where
    the budget runs out are the same."""
    variables = {"v": {"t": True, "f": False, "n": 1.0, "s": "x", "zero": 0}}
    program = compile(text, {"v"})

    def run(observer: Any) -> tuple[str, Any]:
        try:
            value = program.measure(variables, budget, observer)
        except BudgetExceeded:
            return ("budget", None)
        except EvalError as error:
            return ("error", getattr(error, "reason", error.message))
        return ("value", value)

    assert run(None) == run(lambda node, value: None), text
