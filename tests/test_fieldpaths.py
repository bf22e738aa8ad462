"""Which model field a rule read, from its expression text: the line a finding points to."""

from __future__ import annotations

import pytest

from policygate.documents import load_text
from policygate.fieldpaths import collection, evidence_line, field_path, references
from policygate.policy import Expression, Rule


@pytest.mark.parametrize(
    ("text", "root", "expected"),
    [
        ("model.spec.metrics.auc >= params.min_auc", "model", [("spec", "metrics", "auc")]),
        ("has(model.spec.x) && size(model.spec.x) > 0", "model", [("spec", "x"), ("spec", "x")]),
        ("model.spec.approvals.exists(a, a.role == item)", "model", [("spec", "approvals")]),
        ('model["odd key"].list[2].v', "model", [("odd key", "list", 2, "v")]),
        ("model.spec.evaluations[index].metrics", "model", [("spec", "evaluations")]),
        ('"model.spec.in_a_string" == model.b', "model", [("b",)]),
        ("inputs.model.x == 1", "model", []),  # a field that happens to be called model
        ("item.metrics.auc >= 1 && item == 'x'", "item", [("metrics", "auc"), ()]),
        ("params.x > 0", "model", []),
    ],
)
def test_references(text, root, expected):
    assert references(text, root) == expected


@pytest.mark.parametrize(
    ("for_each", "expected"),
    [
        ("model.spec.evaluations", ("spec", "evaluations")),
        ("has(model.spec.robustness) ? model.spec.robustness : []", ("spec", "robustness")),
        (
            "has(model.spec.a) && has(model.spec.a.b)\n  ? model.spec.a.b : []",
            ("spec", "a", "b"),
        ),
        ("model.spec.fairness.metrics.filter(m, m.value > 0)", None),  # renumbered
        ("has(model.x) ? model.x.filter(m, true) : []", None),
        ("params.required_roles", None),
        ("model.spec.a + model.spec.b", None),
    ],
)
def test_collection(for_each, expected):
    assert collection(for_each) == expected


def rule(check: str, for_each: str | None = None, when: str | None = None) -> Rule:
    def expr(text: str) -> Expression:
        return Expression(text, None, None)  # type: ignore[arg-type]

    return Rule(
        id="r",
        check=expr(check),
        for_each=expr(for_each) if for_each else None,
        when=expr(when) if when else None,
    )


@pytest.mark.parametrize(
    ("the_rule", "item", "expected"),
    [
        (rule("model.spec.metrics.auc >= 0.8"), None, ("spec", "metrics", "auc")),
        (rule("item.metrics.auc >= 0.8", "model.spec.evaluations"), 1,
         ("spec", "evaluations", 1, "metrics", "auc")),
        (rule("item.value <= 1", "has(model.f) ? model.f.m.filter(x, true) : []"), 0,
         ("f", "m")),  # the list it walks; the filtered index would mislead
        (rule("item != ''", "model.spec.tags"), 2, ("spec", "tags", 2)),
        (rule("model.spec.approvals.exists(a, a.role == item)", "params.roles"), 0,
         ("spec", "approvals")),
        (rule("item.v > 0", "model.spec.checks"), "psi", ("spec", "checks", "psi", "v")),
        (rule("params.x > 0", when="model.metadata.stage == 'prod'"), None,
         ("metadata", "stage")),
        (rule("params.x > 0"), None, None),
    ],
)  # fmt: skip
def test_field_path(the_rule, item, expected):
    assert field_path(the_rule, item) == expected


MODEL = """\
metadata:
  name: m
spec:
  metrics:
    auc: 0.7
  evaluations:
    - dataset: a
      metrics: {auc: 0.9}
    - dataset: b
      metrics:
        auc: 0.6
"""


def test_evidence_line():
    (document,) = load_text(MODEL, "m.yaml")
    assert evidence_line(document, rule("model.spec.metrics.auc > 0.8"), None) == 5
    each = rule("item.metrics.auc > 0.8", "model.spec.evaluations")
    assert evidence_line(document, each, 0) == 8
    assert evidence_line(document, each, 1) == 11
    # A missing field points at its nearest ancestor that exists.
    assert evidence_line(document, rule("model.spec.fairness.gap < 0.1"), None) == 4
    assert evidence_line(document, rule("params.x > 0"), None) is None
    assert evidence_line(None, rule("model.spec.metrics.auc > 0.8"), None) is None
