"""``explain`` traces the same evaluator (issue 15, item 6): a traced evaluation
(the generic loop, every node reported) spends the units the plain one spends, so
the two stop at the same unit and a rule never passes in ``check`` and runs out of
budget in ``explain``."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policygate.cel.lang import BudgetExceeded, CELEvaluationError, compile

PREDICATES = st.sampled_from(["e == 1", "e > 1", "e < 3", "6 / (2 - e) == 6", "e != 0",
                              "e == 2 || e == 0", "e * 2 > 3"])  # fmt: skip
MACROS = st.sampled_from(["all", "exists", "exists_one", "filter", "map"])
LISTS = st.lists(st.integers(-1, 3), max_size=6).map(lambda items: repr(items))


def _outcome(text: str, budget: int, traced: bool) -> tuple[str, Any, int | None]:
    program = compile(text, checked=False)
    observer = (lambda node, value: None) if traced else None
    try:
        value, units = program.measure({}, budget=budget, observer=observer)
    except BudgetExceeded:
        return "budget", None, None
    except CELEvaluationError:  # (the traced error also says where: not compared)
        return "error", None, None
    return "value", value, units


@given(MACROS, LISTS, PREDICATES, st.booleans())
def test_a_traced_evaluation_spends_what_the_plain_one_spends(macro, items, predicate, pair):
    variables = "i, e" if pair and macro in ("all", "exists") else "e"
    text = f"{items}.{macro}({variables}, {predicate})"
    plain = _outcome(text, 100_000, traced=False)
    assert _outcome(text, 100_000, traced=True) == plain, text
    if plain[0] == "value":  # and the budget runs out at the same unit on both
        units = plain[2]
        assert units is not None
        for budget in range(max(units - 6, 0), units + 1):
            assert _outcome(text, budget, True)[0] == _outcome(text, budget, False)[0], (
                text, budget)  # fmt: skip


def test_an_exists_decided_at_its_first_element_is_charged_alike():
    """The case the plain loop used to charge four units less (17 against 21)."""
    assert _outcome("[1, 2].exists(e, e == 1)", 100_000, False) == _outcome(
        "[1, 2].exists(e, e == 1)", 100_000, True)  # fmt: skip


INNER = st.sampled_from(["f == e", "f > e", "6 / (2 - f) == e", "f != e || f == 0"])


@given(
    st.sampled_from(["all", "exists"]),
    MACROS,
    LISTS,
    LISTS,
    INNER,
    st.sampled_from(["{inner}", "{inner} && e != 3", "e == 3 || {inner}", "size({inner}) > 1"]),
)
def test_a_quantifier_over_a_nested_macro_spends_what_its_loop_spends(
    outer, macro, items, others, inner, shape
):
    """``l.all(e, m.exists(f, f == e))``: the nested macro's accumulator has the
    outer one's name (``@result``) and is its own, so the outer runs as a quantifier
    (no accumulator); it gives the generic loop's value or error, spends its units
    and runs out of budget at the same unit."""
    nested = f"{others}.{macro}(f, {inner})"
    if shape.startswith("size") and macro not in ("filter", "map"):
        nested = f"{others}.filter(f, {inner})"  # (a list to take the size of)
    predicate = shape.format(inner=nested)
    text = f"{items}.{outer}(e, {predicate})"
    plain = _outcome(text, 100_000, traced=False)
    assert _outcome(text, 100_000, traced=True) == plain, text
    if plain[0] == "value":
        units = plain[2]
        assert units is not None
        for budget in range(max(units - 8, 0), units + 1):
            assert _outcome(text, budget, True)[0] == _outcome(text, budget, False)[0], (
                text, budget)  # fmt: skip


def test_an_outer_quantifier_reads_no_accumulator_of_its_own():
    """``all`` over a nested ``exists`` is the quantifier's loop: the accumulator its
    predicate reads is the inner macro's, not the outer's (the generic loop ran it)."""
    from policygate.cel.lang import compiler, parse

    tree = parse("[1, 2].all(e, [2, 1].exists(f, f == e))")
    assert isinstance(tree, compiler.ast.Comprehension)
    assert compiler._quantifier_shape(tree) is not None
