"""The evaluator's fast paths give what the plain path gives.

Most rules pass or fail plainly, so :func:`policygate.evaluate` takes a rule's
value without a meter first (``Program.quick``), shares a rule's pass, and makes
a failure from the rule's failure built once per evaluation
(:meth:`policygate.report.Result.reworded`). The law checked here: on any
records, the report equals one made the plain way, every rule evaluated with
its meter and every result built with ``Result(...)``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate import Policy, Result, Rule, Status, cel, evaluate, load_policies
from policygate.cel.budget import DEFAULT_BUDGET
from policygate.message import format_value, render_template
from policygate.report import Staged, WaiverUse

NOW = "2026-11-26T00:00:00Z"
NOW_DT = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

RULES: list[dict[str, Any]] = [
    {"id": "auc", "check": "model.spec.metrics.auc >= params.min_auc",
     "message": "auc {model.spec.metrics.auc} vs {params.min_auc}", "controls": ["iso-42001:c-1"]},
    {"id": "card", "check": "has(model.spec.card) && model.spec.card.startsWith('https://')",
     "severity": "warning"},
    {"id": "owner", "check": "model.metadata.owner.endsWith('-ml')",
     "message": "owner {model.metadata.owner} ({model.metadata.nothing})"},
    {"id": "gap", "check": "item.value <= params.max_gap", "for_each": "model.spec.fairness",
     "message": "{item.attribute} is {item.value}", "controls": ["iso-42001:c-1", "iso-42001:c-2"]},
    {"id": "known", "check": "item.attribute in ['sex', 'age']",
     "for_each": "model.spec.fairness"},
    {"id": "prod", "check": "size(model.spec.risks) > 0",
     "when": "model.metadata.stage == 'production'"},
    {"id": "all-small", "check": "model.spec.fairness.all(f, f.value < 0.5)"},
]  # fmt: skip
PARAMS = {"min_auc": 0.8, "max_gap": 0.1}

METRIC = st.one_of(st.floats(0, 1), st.integers(0, 1), st.text("ab", max_size=2))
FAIRNESS = st.fixed_dictionaries(
    {"attribute": st.sampled_from(["sex", "age", "race"]), "value": st.floats(0, 0.6)}
)
MODELS = st.builds(
    lambda auc, card, owner, stage, fairness, risks, i: {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {"name": f"m{i}", "version": "1.0.0", "owner": owner, "stage": stage},
        "spec": {
            "metrics": {} if auc is None else {"auc": auc},
            **({"card": card} if card is not None else {}),
            "fairness": fairness,
            "risks": risks,
        },
    },
    st.none() | METRIC,
    st.none() | st.sampled_from(["https://x", "http://x"]),
    st.sampled_from(["credit-ml", "Fraud Team"]),
    st.sampled_from(["staging", "production"]),
    st.lists(FAIRNESS, max_size=4),
    st.lists(st.just("r"), max_size=1),
    st.integers(0, 5),
)


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    path = tmp_path_factory.mktemp("policy") / "fast.json"
    doc = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": "fast"},
        "spec": {"params": PARAMS, "rules": RULES},
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return load_policies([path])


def _result(policy: Policy, rule: Rule, status: Status, message: str | None, **more: Any) -> Result:
    return Result(
        policy=policy.name, rule=rule.id, status=status, severity=rule.severity,
        title=rule.title, category=rule.category, message=message, controls=rule.controls,
        remediation=rule.remediation, **more,
    )  # fmt: skip


def _plain(policy: Policy, rule: Rule, model: dict[str, Any]) -> list[Result]:
    """One rule the plain way: every expression evaluated with the rule's meter."""
    backend = cel.get_backend()
    base = backend.activation(model=model, params={}, now=NOW_DT, inputs={})
    activation = base.bind(params=policy.params)
    meter = DEFAULT_BUDGET.meter()

    def check(bound: cel.Activation, item: int | str | None) -> Result:
        try:
            ok = backend.truth(rule.check.program.evaluate(bound, meter))
        except cel.CELEvaluationError as error:
            return _result(
                policy, rule, Status.ERROR, f"cannot evaluate check: {error}", item=item,
                error_code=error.code,
            )  # fmt: skip
        if ok:
            return _result(policy, rule, Status.PASS, None, item=item)
        if rule.message is None:
            message = f"check failed: {rule.check.text.strip()}"
        else:
            programs = rule.message.programs

            def value_of(index: int) -> str:
                try:
                    value = programs[index].evaluate(bound, meter)
                    return format_value(backend.to_python(value))
                except cel.CELEvaluationError as error:
                    return f"<{error}>"

            message = render_template(list(rule.message.parts), value_of)
        return _result(policy, rule, Status.FAIL, message, item=item)

    if rule.when is not None and not backend.truth(rule.when.program.evaluate(activation, meter)):
        return [_result(policy, rule, Status.SKIP, "when is false")]
    if rule.for_each is None:
        return [check(activation, None)]
    elements = backend.elements(rule.for_each.program.evaluate(activation, meter))
    if not elements:
        return [_result(policy, rule, Status.SKIP, "for_each is empty")]
    return [
        check(activation.bind(item=element, index=key, key=key), key) for key, element in elements
    ]


def _fields(result: Result) -> dict[str, Any]:
    """Every field, those left out of ``==`` too (line, waivable)."""
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}


@SETTINGS
@given(models=st.lists(MODELS, min_size=1, max_size=6))
def test_the_report_is_the_plain_evaluations(
    policies: list[Policy], models: list[dict[str, Any]]
) -> None:
    report = evaluate(models, policies, now=NOW)
    (policy,) = policies
    for model, got in zip(models, report.models, strict=True):
        expected = [r for rule in policy.rules for r in _plain(policy, rule, model)]
        assert [_fields(r) for r in got.results] == [_fields(r) for r in expected]
        assert [r.to_dict() for r in got.results] == [r.to_dict() for r in expected]


def test_a_failure_is_built_once_per_rule_not_once_per_model(
    policies: list[Policy], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting the work: 50 models failing the same rules build each rule's failure once."""
    model = {
        "apiVersion": "policygate/v1", "kind": "ModelRecord",
        "metadata": {"name": "m", "version": "1", "owner": "Fraud Team", "stage": "staging"},
        "spec": {"metrics": {"auc": 0.5}, "card": "http://x", "fairness": [], "risks": []},
    }  # fmt: skip
    built = []
    original = Result.__init__

    def counted(self: Result, *args: Any, **kwargs: Any) -> None:
        built.append(kwargs.get("rule"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(Result, "__init__", counted)
    report = evaluate([model] * 50, policies, now=NOW)
    failed = [r.rule for r in report.models[0].results if r.status is Status.FAIL]
    assert failed == ["auc", "card", "owner"]
    assert all(m.results == report.models[0].results for m in report.models)
    assert {r: built.count(r) for r in failed} == {r: 2 for r in failed}  # its pass, its failure


TEXT = st.text(max_size=5)


@given(
    result=st.builds(
        Result,
        policy=TEXT,
        rule=TEXT,
        status=st.sampled_from(list(Status)),
        severity=st.sampled_from(["error", "warning", "info"]),
        title=TEXT,
        category=TEXT,
        message=st.none() | TEXT,
        item=st.none() | st.integers() | TEXT,
        controls=st.lists(TEXT, max_size=2).map(tuple),
        remediation=TEXT,
        waiver=st.none() | st.builds(WaiverUse, TEXT, TEXT, TEXT, TEXT, TEXT, st.booleans()),
        line=st.none() | st.integers(1, 9),
        waivable=st.booleans(),
        staged=st.none() | st.builds(Staged, TEXT, TEXT),
        error_code=st.none() | TEXT,
    ),  # fmt: skip
    message=st.none() | TEXT,
    item=st.none() | st.integers() | TEXT,
)
def test_reworded_is_replace(result: Result, message: str | None, item: int | str | None) -> None:
    fast = result.reworded(message, item)
    plain = dataclasses.replace(result, message=message, item=item)
    assert fast == plain and hash(fast) == hash(plain)
    assert _fields(fast) == _fields(plain) and fast.to_dict() == plain.to_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.message = "changed"  # type: ignore[misc]


def test_a_placeholder_with_a_plain_value_is_not_evaluated_again(
    policies: list[Policy], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting the work: a failure's message takes each placeholder's quick value;
    only one that has none (an error here) is evaluated with the meter."""
    from policygate.cel.own import _OwnProgram

    metered: list[str] = []
    original = _OwnProgram.evaluate

    def counted(self: _OwnProgram, *args: Any, **kwargs: Any) -> Any:
        metered.append(self.text)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_OwnProgram, "evaluate", counted)
    model = {
        "apiVersion": "policygate/v1", "kind": "ModelRecord",
        "metadata": {"name": "m", "version": "1", "owner": "Fraud Team", "stage": "staging"},
        "spec": {"metrics": {"auc": 0.5}, "fairness": [], "risks": []},
    }  # fmt: skip
    report = evaluate([model] * 20, policies, now=NOW)
    messages = {r.rule: r.message for r in report.models[0].results if r.status is Status.FAIL}
    assert messages["auc"] == "auc 0.5 vs 0.8"
    assert messages["owner"] == "owner Fraud Team (<no such key: model.metadata.nothing>)"
    assert "model.spec.metrics.auc" not in metered and "params.min_auc" not in metered
    assert metered.count("model.metadata.nothing") == 20
