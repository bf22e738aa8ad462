"""The benchmark policy's fast paths give what the plain path gives.

The W1 policy (bench/workload.py: metric thresholds, has() chains, string
checks, for_each rules with messages, quantifiers over the record's lists, a
rule with a ``when``) is evaluated on records drawn around the benchmark's,
and each model's report is compared with one made the plain way: every rule
evaluated with its meter, every result built with ``Result(...)``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate import Policy, Result, Rule, Status, cel, evaluate, load_policies
from policygate.cel.budget import DEFAULT_BUDGET
from policygate.cel.interface import UNDECIDED
from policygate.message import format_value, render_template

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import workload  # noqa: E402

NOW_DT = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> list[Policy]:
    path = tmp_path_factory.mktemp("w1") / "w1.yaml"
    path.write_text(workload.policy_yaml(), encoding="utf-8")
    return load_policies([path])


# What a drawn change does to a record (a path under it, and the new value or a deletion).
_DELETE = object()
EDITS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                ("spec", "metrics", "auc"), ("spec", "metrics", "latency_ms"),
                ("spec", "documentation"), ("spec", "lineage", "code", "commit"),
                ("metadata", "owner"), ("metadata", "target_stage"), ("spec", "risks"),
                ("spec", "approvals"), ("spec", "fairness", "metrics"), ("spec", "robustness"),
                ("spec", "monitoring", "checks"), ("spec", "intended_use"), ("params",),
            ]
        ),
        st.one_of(
            st.just(_DELETE), st.none(), st.booleans(), st.integers(-2, 100),
            st.floats(-1, 2, allow_nan=False), st.sampled_from(["", "main", "a-ml", "production"]),
            st.lists(st.integers(0, 3), max_size=3), st.just([{}]),
            st.just([{"attribute": "sex", "value": 0.5, "metric": "m",
                      "measured_at": "not a time"}]),
            st.just([{"role": "model-validation", "decision": "approved",
                      "expires_at": "2027-01-01T00:00:00Z", "granted_at": "2026-01-01T00:00:00Z",
                      "risk_assessment": 7}]),
        ),
    ),
    max_size=4,
)  # fmt: skip


def _edited(model: dict[str, Any], edits: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    model = copy.deepcopy(model)
    for path, value in edits:
        if path == ("params",):
            continue
        node: Any = model
        for field in path[:-1]:
            if not isinstance(node, dict):
                break
            node = node.setdefault(field, {})
        if not isinstance(node, dict):
            continue
        if value is _DELETE:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = copy.deepcopy(value)
    return model


def _result(policy: Policy, rule: Rule, status: Status, message: str | None, **more: Any) -> Result:
    return Result(
        policy=policy.name, rule=rule.id, status=status, severity=rule.severity,
        title=rule.title, category=rule.category, message=message, controls=rule.controls,
        remediation=rule.remediation, **more,
    )  # fmt: skip


def _plain(policy: Policy, rule: Rule, model: dict[str, Any]) -> list[Result]:
    """One rule the plain way: every expression evaluated with the rule's meter."""
    backend = cel.get_backend()
    from policygate.approvals.verify import with_verified_approvals

    name = str(model.get("metadata", {}).get("name", "model"))
    version = str(model.get("metadata", {}).get("version", ""))
    data = with_verified_approvals(model, name=name, version=version, now=NOW_DT)
    activation = backend.activation(model=data, params={}, now=NOW_DT, inputs={}).bind(
        params=policy.params
    )
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

    if rule.when is not None:
        try:
            if not backend.truth(rule.when.program.evaluate(activation, meter)):
                return [_result(policy, rule, Status.SKIP, "when is false")]
        except cel.CELEvaluationError as error:
            found = _result(
                policy, rule, Status.ERROR, f"cannot evaluate when: {error}", error_code=error.code
            )
            return [dataclasses.replace(found, waivable=False)]
    if rule.for_each is None:
        return [check(activation, None)]
    try:
        elements = backend.elements(rule.for_each.program.evaluate(activation, meter))
    except cel.CELEvaluationError as error:
        message = f"cannot evaluate for_each: {error}"
        return [_result(policy, rule, Status.ERROR, message, error_code=error.code)]
    if not elements:
        return [_result(policy, rule, Status.SKIP, "for_each is empty")]
    return [
        check(activation.bind(item=element, index=key, key=key), key) for key, element in elements
    ]


def _fields(result: Result) -> dict[str, Any]:
    """Every field, those left out of ``==`` too (line, waivable)."""
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}


@SETTINGS
@given(
    seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=4),
    edits=st.lists(EDITS, min_size=1, max_size=4),
)
def test_the_w1_report_is_the_plain_evaluations(
    policies: list[Policy], seeds: list[int], edits: list[list[tuple[tuple[str, ...], Any]]]
) -> None:
    models = [
        _edited(workload.record(seed, random.Random(seed)), edits[n % len(edits)])
        for n, seed in enumerate(seeds)
    ]
    report = evaluate(models, policies, now=workload.NOW)
    (policy,) = policies
    for model, got in zip(models, report.models, strict=True):
        expected = [r for rule in policy.rules for r in _plain(policy, rule, model)]
        assert [_fields(r) for r in got.results] == [_fields(r) for r in expected]
        assert [r.to_dict() for r in got.results] == [r.to_dict() for r in expected]


def test_the_benchmark_records_are_the_plain_evaluations(policies: list[Policy]) -> None:
    models = workload.records(60, seed=3)
    report = evaluate(models, policies, now=workload.NOW)
    (policy,) = policies
    statuses = set()
    for model, got in zip(models, report.models, strict=True):
        expected = [r for rule in policy.rules for r in _plain(policy, rule, model)]
        assert [_fields(r) for r in got.results] == [_fields(r) for r in expected]
        statuses |= {r.status for r in got.results}
    assert statuses == {Status.PASS, Status.FAIL, Status.ERROR, Status.SKIP}


@SETTINGS
@given(seed=st.integers(0, 10_000), edits=EDITS, limit=st.integers(1, 300) | st.just(30_000))
def test_quick_misses_are_the_rules_quick_values_that_are_not_true(
    policies: list[Policy], seed: int, edits: list[tuple[tuple[str, ...], Any]], limit: int
) -> None:
    """The backend's misses are what the interface's rule-by-rule default gives,
    every plain ``true`` left out, in the rules' order."""
    backend = cel.get_backend()
    (policy,) = policies
    model = _edited(workload.record(seed, random.Random(seed)), edits)
    activation = backend.activation(model=model, params={}, now=NOW_DT, inputs={}).bind(
        params=policy.params
    )
    rules = [
        (None, None) if r.for_each else (r.when.program if r.when else None, r.check.program)
        for r in policy.rules
    ]
    default = cel.Backend.quick_rules(backend, activation, rules, limit, None)
    misses = backend.quick_misses(activation, tuple(rules), limit, None)  # type: ignore[attr-defined]
    expected = [(n, v) for n, v in enumerate(default) if v is not True]
    assert [n for n, _ in misses] == [n for n, _ in expected]
    for (_, got), (_, value) in zip(misses, expected, strict=True):
        assert got is value or (got == value and type(got) is type(value))
    assert any(v is UNDECIDED for _, v in misses)  # (the for_each rules at least)


APPROVAL_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.text("ab", max_size=2),
    st.lists(st.integers(0, 2), max_size=2),
)  # fmt: skip
APPROVALS = st.lists(
    st.one_of(
        st.dictionaries(
            st.sampled_from(["role", "decision", "verified", "verification", "signature"]),
            APPROVAL_VALUES, max_size=4,
        ),
        APPROVAL_VALUES,
    ),
    max_size=3,
)  # fmt: skip
RECORDS = st.one_of(
    st.builds(
        lambda approvals, more: {
            "metadata": {"name": "m"},
            "spec": {"approvals": approvals, **more},
        },
        APPROVALS,
        st.dictionaries(st.sampled_from(["metrics", "risks"]), APPROVAL_VALUES, max_size=2),
    ),
    st.builds(lambda spec: {"spec": spec}, APPROVAL_VALUES | st.just({}) | APPROVALS),
    APPROVAL_VALUES,
)


@settings(SETTINGS, max_examples=200)
@given(data=RECORDS)
def test_unverified_approvals_without_a_directory_are_the_general_paths(data: Any) -> None:
    """Without an approvers directory or attestations, approvals are marked by a
    path of their own; an attestation for another model takes the general one."""
    from policygate.approvals import Attestation
    from policygate.approvals.verify import with_verified_approvals

    before = copy.deepcopy(data)
    other = Attestation(name="a", model_name="other", model_version="9", approval={"role": "x"})
    fast = with_verified_approvals(data, name="m", version="1", now=NOW_DT)
    general = with_verified_approvals(
        data, name="m", version="1", now=NOW_DT, attestations=[other]
    )
    assert repr(fast) == repr(general)  # (the same keys in the same order, the same types)
    assert data == before  # (the record itself is never changed)
    if isinstance(data, dict) and isinstance(data.get("spec"), dict):
        approvals = data["spec"].get("approvals")
        if isinstance(approvals, list):
            assert fast is not data
            marked = [a for a in fast["spec"]["approvals"] if isinstance(a, dict)]
            assert all(a["verified"] is False for a in marked)


@SETTINGS
@given(
    name=st.text(max_size=3),
    version=st.text(max_size=3),
    passed=st.booleans(),
    evaluated=st.booleans(),
    count=st.integers(0, 3),
    risks=st.none() | st.just(()),
)
def test_a_model_report_made_by_the_evaluator_is_the_dataclasss(
    name: str, version: str, passed: bool, evaluated: bool, count: int, risks: Any
) -> None:
    from policygate.report import ModelReport, PolicyUse

    fields: dict[str, Any] = dict(
        name=name, version=version, source="s", passed=passed,
        policies=(PolicyUse("p", True),) * count,
        results=tuple(Result(policy="p", rule=f"r{n}", status=Status.PASS) for n in range(count)),
        controls=(), evaluated=evaluated, risks=risks,
    )  # fmt: skip
    made = ModelReport.made(**fields)
    plain = ModelReport(**fields)
    assert made == plain and hash(made) == hash(plain)
    assert list(made.__dict__.items()) == list(plain.__dict__.items())
    assert made.to_dict() == plain.to_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.passed = not passed  # type: ignore[misc]


EACH_CHECKS = st.sampled_from(
    [
        "item.value <= params.max_gap", "item.attribute in params.attributes",
        "now - timestamp(item.measured_at) < days(params.max_fairness_age_days)",
        "index < 2", "key == index", "item.value + 1.0 > 1.05", "size(item) > 3",
    ]
)  # fmt: skip


@settings(SETTINGS, max_examples=150)
@given(
    seed=st.integers(0, 10_000),
    edits=EDITS,
    steps=st.lists(
        st.tuples(
            st.sampled_from(["model.spec.fairness.metrics", "model.spec.approvals", "[1, 2]"]),
            EACH_CHECKS,
            st.integers(1, 12) | st.just(30_000),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_for_each_rules_over_one_collection_give_what_each_gives_alone(
    policies: list[Policy],
    seed: int,
    edits: list[tuple[tuple[str, ...], Any]],
    steps: list[tuple[str, str, int]],
) -> None:
    """quick_each keeps a collection's elements for the next rule over the same
    program on the same activation: what that rule gives is what it gives alone
    (another limit or deadline, or another program, takes the collection again)."""
    backend = cel.get_backend()
    (policy,) = policies
    model = _edited(workload.record(seed, random.Random(seed)), edits)

    def activation() -> cel.Activation:
        base = backend.activation(model=model, params={}, now=NOW_DT, inputs={})
        return base.bind(params=policy.params)

    shared = activation()
    deadlines = [None, lambda: False]
    for n, (collection, check, limit) in enumerate(steps):
        each, test = backend.compile(collection), backend.compile(check)
        deadline = deadlines[n % 2]
        got = each.quick_each(shared, test, limit, deadline)
        expected = each.quick_each(activation(), test, limit, deadline)
        if isinstance(expected, list):
            assert isinstance(got, list)
            assert [(k, ok) for k, _, ok in got] == [(k, ok) for k, _, ok in expected]
            assert [e for _, e, _ in got] == [e for _, e, _ in expected]
        else:
            assert got is expected is UNDECIDED
