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
