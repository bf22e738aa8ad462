"""cel.analyze: the fields, variables and sub-expressions read from the engine's syntax tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import cel
from policygate.cel import CELSyntaxError, analyze, subexpressions


def refs(text: str) -> list[tuple[str, tuple[str | None, ...], str, bool]]:
    return [(r.variable, r.path, text[r.start : r.end], r.tested) for r in analyze(text).references]


def test_field_paths_with_has_and_index():
    text = 'has(model.spec.fairness) && model.spec["metrics"].auc >= params.min_auc'
    assert refs(text) == [
        ("model", ("spec", "fairness"), "model.spec.fairness", True),
        ("model", ("spec", "metrics", "auc"), 'model.spec["metrics"].auc', False),
        ("params", ("min_auc",), "params.min_auc", False),
    ]


def test_key_starts_point_at_each_key():
    text = "model.spec.metrics.acuracy > 1"
    (reference,) = analyze(text).references
    assert [text[i:].split(".")[0].split(" ")[0] for i in reference.key_starts] == [
        "spec",
        "metrics",
        "acuracy",
    ]


def test_macro_variables_resolve_to_elements_of_what_they_range_over():
    text = 'model.spec.approvals.exists(a, a.role == item && a.decision == "approved")'
    assert refs(text) == [
        ("model", ("spec", "approvals"), "model.spec.approvals", False),
        ("model", ("spec", "approvals", None, "role"), "a.role", False),
        ("item", (), "item", False),
        ("model", ("spec", "approvals", None, "decision"), "a.decision", False),
    ]
    assert analyze(text).variables == {"model", "item"}
    assert analyze(text).functions == {"exists"}


def test_a_numeric_or_computed_index_is_an_element():
    assert refs("model.spec.evaluations[0].dataset == x[params.k]") == [
        (
            "model",
            ("spec", "evaluations", None, "dataset"),
            "model.spec.evaluations[0].dataset",
            False,
        ),
        ("params", ("k",), "params.k", False),
        ("x", (None,), "x[params.k]", False),
    ]


@pytest.mark.parametrize(
    ("text", "constant"),
    [
        ("true", True),
        ("1 + 2 == 3", True),
        ('"a" in ["a"]', True),
        ("now > timestamp('2020-01-01T00:00:00Z')", False),
        ("params.strict", False),
        ("[1, 2].exists(x, x > 1)", True),
    ],
)
def test_constant_means_no_free_variable(text, constant):
    assert analyze(text).constant is constant


def test_collections_of_a_guarded_filtered_for_each():
    text = (
        "has(model.spec.fairness) ? model.spec.fairness.metrics.filter(m, "
        '!m.metric.endsWith("_ratio")) : []'
    )
    (collection,) = analyze(text).collections
    assert (collection.variable, collection.path) == ("model", ("spec", "fairness", "metrics"))
    assert analyze("params.required_roles").collections[0].variable == "params"
    assert analyze("model.spec.x.map(v, v.y)").collections == ()


def test_subexpressions_are_outermost_first_with_depth():
    nodes = subexpressions("item.baseline - item.value <= params.max_drop && has(model.x)")
    assert [(n.depth, n.kind, n.text) for n in nodes] == [
        (0, "logical", "item.baseline - item.value <= params.max_drop && has(model.x)"),
        (1, "comparison", "item.baseline - item.value <= params.max_drop"),
        (2, "arithmetic", "item.baseline - item.value"),
        (3, "field", "item.baseline"),
        (3, "field", "item.value"),
        (2, "field", "params.max_drop"),
        (1, "call", "has(model.x)"),
    ]


def test_nodes_reading_a_macro_variable_are_local_but_the_macro_is_not():
    nodes = {
        n.text: n.local for n in subexpressions("model.a.exists(x, x.b > params.c) && !model.d")
    }
    assert nodes == {
        "model.a.exists(x, x.b > params.c) && !model.d": False,
        "model.a.exists(x, x.b > params.c)": False,
        "model.a": False,
        "x.b > params.c": True,
        "x.b": True,
        "params.c": False,
        "!model.d": False,
        "model.d": False,
    }


def test_a_conditional_and_its_branches():
    kinds = [(n.kind, n.text) for n in subexpressions("model.x > 1 ? model.y : 0")]
    assert kinds == [
        ("condition", "model.x > 1 ? model.y : 0"),
        ("comparison", "model.x > 1"),
        ("field", "model.x"),
        ("field", "model.y"),
    ]


def test_syntax_errors_raise_the_interface_error():
    with pytest.raises(CELSyntaxError) as caught:
        analyze("model.x >= ")
    assert caught.value.line == 1


def test_each_subexpression_compiles_on_the_backend():
    backend = cel.get_backend()
    text = "has(model.a) && model.a.exists(v, v > params.n) || size(model.b) == 2 && !(now < now)"
    for node in subexpressions(text):
        backend.compile(node.text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="model.spec[]()!&|<>=+-*/%?:\"' 0123456789abcxyz,{}", max_size=40))
def test_analyze_never_raises_anything_but_a_syntax_error(text):
    try:
        analysis = analyze(text)
    except CELSyntaxError:
        return
    for node in analysis.subexpressions:
        assert text[node.start : node.end] == node.text


def test_two_variable_macros_bind_both_and_namespaces_are_functions():
    analysis = analyze(
        "model.spec.tags.all(k, v, v != '') && optional.of(model.x).hasValue()"
    )
    assert analysis.variables == {"model"}
    assert {"all", "optional.of", "hasValue"} <= analysis.functions
    assert ("model", ("spec", "tags")) in {(r.variable, r.path) for r in analysis.references}


def test_parentheses_keep_a_chain_apart_and_spans_cover_the_written_text():
    text = "(model.a && model.b) && (model.c + 1.0) * 2.0 > model.d[\"k\"]"
    nodes = [(n.kind, n.text) for n in subexpressions(text)]
    assert ("logical", "model.a && model.b") in nodes  # its own node: it was parenthesized
    assert ("arithmetic", "(model.c + 1.0) * 2.0") in nodes or (
        "arithmetic", "model.c + 1.0") in nodes
    assert ("field", 'model.d["k"]') in nodes
    (reference,) = [r for r in analyze(text).references if r.path[:1] == ("d",)]
    assert reference.path == ("d", "k") and text[reference.key_starts[1]] == '"'


_ATOMS = st.sampled_from(["1", "2.5", "'ab'", "true", "null", "[1, 2]", "{'a': 1}", "v.a",
                          "v.l", "v.m.b", "3u", "'ab'.contains('a')", "'a,b'.split(',')",
                          "['x', 'y'].join('-')", "'abab'.replace('a', 'cc')",
                          "'AB'.lowerAscii()", "'x' in ['x', 'y']", "v.a in [1.0, 2.0]",
                          "v.l == [1.0]", "v.a == 'ab'"])  # fmt: skip


def _grow(inner):
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "<", "==", "&&", "||", "in"]),
                       inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")  # fmt: skip
    macro = st.tuples(st.sampled_from(["[1, 2, 3]", "['a', 'b']", "v.l"]), inner).map(
        lambda t: f"{t[0]}.exists(x, {t[1]})"
    )
    call = inner.map(lambda t: f"size({t})")
    cond = st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})")
    return st.one_of(binary, macro, call, cond)


@settings(max_examples=300, deadline=None)
@given(text=st.recursive(_ATOMS, _grow, max_leaves=6),
       values=st.fixed_dictionaries({"a": st.floats(-5, 5) | st.text(max_size=3),
                                     "l": st.lists(st.floats(0, 3), max_size=4),
                                     "m": st.just({"b": 1.0})}))  # fmt: skip
def test_the_static_worst_case_bounds_every_evaluation(text, values):
    """The law lint's cost report rests on: an evaluation never spends more units
    than worst_case says (when it says a number)."""
    from policygate.cel import lang
    from policygate.cel.analysis import worst_case

    bound = worst_case(text)
    try:
        program = lang.compile(text, {"v"})
    except lang.CELCheckError:
        return
    try:
        _, units = program.measure({"v": values})
    except (lang.CELEvaluationError, lang.BudgetExceeded):
        return
    if bound is not None:
        assert units <= bound, (text, units, bound)


def test_int_literals_meeting_document_doubles_are_found():
    from policygate.cel.analysis import int_arithmetic

    assert int_arithmetic("model.spec.n * 2 > 1.0 && item.v + 1 > params.x - 3") == [
        (15, "2"), (35, "1"), (50, "3")
    ]
    assert int_arithmetic("size(model.l) * 2 > 0 && index + 1 == 2") == []
