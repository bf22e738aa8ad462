"""The fused evaluation (several rules of a policy in one cel-cpp call) gives the
same report as evaluating every rule on its own, and cel-cpp's nulls do not
cost Python its None."""

from __future__ import annotations

import copy
import importlib
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policygate
from policygate.cel import get_backend
from policygate.cel.budget import Budget

pytest.importorskip("cel_expr_python", reason="the fast extra is part of the test extra")
evaluate_module = importlib.import_module("policygate.evaluate")  # the module, not the function

NOW = "2026-11-26T00:00:00Z"
POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: fused}
spec:
  params: {min_auc: 0.8, attributes: [sex, age], max_gap: 0.1}
  rules:
    - id: auc
      check: model.spec.metrics.auc >= params.min_auc
      message: "auc {model.spec.metrics.auc} < {params.min_auc}"
    - id: card
      check: has(model.spec.documentation) && has(model.spec.documentation.model_card)
    - id: production-only
      when: model.metadata.target_stage == "production"
      check: size(model.spec.risks) > 0
    - id: gap
      for_each: model.spec.fairness
      check: item.value <= params.max_gap
      message: "{item.attribute}: {item.value}"
    - id: indexed
      for_each: model.spec.fairness
      check: index < 3 && item.value >= 0.0
    - id: attributes
      check: params.attributes.all(a, model.spec.fairness.exists(m, m.attribute == a))
    - id: name
      check: model.metadata.name.matches("^[a-z][a-z0-9-]*$")
    - id: yields-null
      check: model.spec.nothing
"""


def record(rng: random.Random, i: int) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "metrics": {"auc": rng.choice([0.7, 0.85, 0.9, 1, "high", None, True])},
        "documentation": rng.choice([{"model_card": "c.md"}, {}, None, "none"]),
        "risks": rng.choice([["R1"], [], None, "R1"]),
        "fairness": rng.choice(
            [
                [{"attribute": "sex", "value": 0.05}, {"attribute": "age", "value": 0.2}],
                [{"attribute": "sex", "value": 0.01}],
                [],
                {"sex": {"attribute": "sex", "value": 0.0}},
                [None, {"attribute": "age", "value": 0.3}],
                None,
            ]
        ),
        "nothing": rng.choice([None, True, False, 1]),
    }
    for key in list(spec):
        if rng.random() < 0.1:
            del spec[key]
    return {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {
            "name": rng.choice([f"model-{i}", "Model X", 7]),
            "version": "1",
            "target_stage": rng.choice(["production", "staging", None]),
        },
        "spec": spec,
    }


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> list[policygate.Policy]:
    path = Path(tmp_path_factory.mktemp("fused")) / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return policygate.load_policies([path], engine="cel-cpp")


def rule_by_rule(models: list[dict[str, Any]], policies: Any, **options: Any) -> Any:
    """The same evaluation with fusing switched off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluate_module._Evaluator, "_fused", lambda self, policy, backend: None)
        return policygate.evaluate(models, policies, now=NOW, **options).models


def as_json(model_reports: Any) -> list[Any]:
    return [m.to_dict() for m in model_reports]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_fused_report_equals_rule_by_rule(policies: Any, seed: int) -> None:
    rng = random.Random(seed)
    models = [record(rng, i) for i in range(6)]
    fused = policygate.evaluate(copy.deepcopy(models), policies, now=NOW).models
    assert as_json(fused) == as_json(rule_by_rule(models, policies))
    assert [r.line for m in fused for r in m.results] == [
        r.line for m in rule_by_rule(models, policies) for r in m.results
    ]


def test_the_fused_path_is_taken(policies: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passing rules of the second model on come from the fused evaluation:
    the rule-by-rule path sees only the rules that failed or cannot be fused."""
    seen: list[str] = []
    original = evaluate_module._Evaluator._rule

    def spy(self: Any, policy: Any, rule: Any, *args: Any) -> Any:
        seen.append(rule.id)
        return original(self, policy, rule, *args)

    monkeypatch.setattr(evaluate_module._Evaluator, "_rule", spy)
    good = {
        "metadata": {"name": "good-model", "version": "1", "target_stage": "production"},
        "spec": {
            "metrics": {"auc": 0.9},
            "documentation": {"model_card": "c.md"},
            "risks": ["R1"],
            "fairness": [{"attribute": "sex", "value": 0.0}, {"attribute": "age", "value": 0.0}],
            "nothing": True,
        },
    }
    report = policygate.evaluate(
        [good, copy.deepcopy(good), copy.deepcopy(good)], policies, now=NOW
    )
    assert all(m.passed for m in report.models)
    # At most the first model rule by rule (fusing starts from a policy's second
    # model); the others only `indexed`, which reads `index` and is not fused.
    assert seen.count("indexed") == 3
    assert len(seen) - 3 <= len(policies[0].rules) - 1


def test_a_small_budget_gives_the_same_errors(policies: Any) -> None:
    """A rule over the budget on its own is an error on both paths."""
    rng = random.Random(3)
    models = [record(rng, i) for i in range(8)]
    budget = Budget(cost=60)
    fused = policygate.evaluate(copy.deepcopy(models), policies, now=NOW, budget=budget).models
    alone = rule_by_rule(models, policies, budget=budget)
    assert as_json(fused) == as_json(alone)
    assert any("budget" in (r.message or "") for m in fused for r in m.results)


def test_nulls_from_cel_cpp_keep_none_alive() -> None:
    """cel-expr-python 0.1.3 gives a CEL null to Python one reference short;
    the backend gives it back, so None's count does not drift down."""
    engine = get_backend("cel-cpp")
    program = engine.compile("model.values")
    import datetime as dt

    activation = engine.activation(
        model={"values": [None, None, {"k": None}]},
        params={},
        now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
        inputs={},
    )
    for _ in range(10):
        engine.to_python(program.evaluate(activation))
    before = sys.getrefcount(None)
    for _ in range(2000):
        assert engine.to_python(program.evaluate(activation)) == [None, None, {"k": None}]
        engine.elements(program.evaluate(activation))
    # other code may take or drop a few references meanwhile; the bug lost 6,000+
    assert sys.getrefcount(None) - before > -100
