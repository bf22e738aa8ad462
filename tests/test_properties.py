"""Laws of the engine, checked with hypothesis.

- determinism: same inputs and ``now`` give byte-identical JSON, in one process
  and across processes with different hash seeds;
- YAML ≡ JSON: a model document means the same written either way;
- monotonicity: raising a metric never turns a ``>=`` rule from pass to fail;
- fail closed: deleting a field that a rule reads directly (no ``has()``, no
  short-circuit that could absorb the error) never lets the model pass;
- an expired waiver never changes a result's status.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import policygate
from policygate import Status, Waiver
from policygate.cli import main
from policygate.documents import to_yaml

ROOT = Path(__file__).parent.parent
NOW = "2026-11-26T00:00:00Z"
NOW_DT = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
CREDIT_DEFAULT = ROOT / "examples" / "models" / "credit-default-passes.yaml"

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


GENERIC_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: generic}
spec:
  params: {min: 0.5}
  rules:
    - id: score
      check: model.score >= params.min
      message: 'score {model.score} below {params.min}'
    - id: metrics
      for_each: model.metrics
      check: item >= params.min
      message: '{key}={item}'
    - id: tags
      for_each: model.tags
      check: size(item) > 2
      message: 'tag #{index} {item}'
    - id: label
      severity: warning
      check: model.label.startsWith("y")
      message: 'label is {model.label}'
    - id: nested
      check: model.nested.flag == true
"""

# strings that YAML 1.1 would read as something else unless quoted
TRICKY = ["yes", "no", "on", "null", "~", "1e3", "0x1F", "2026-01-01", "1.5", "true", "", " x ",
          "a: b", "#c", "-", "é✓", "'q'", '"d"', "{}", "[]"]  # fmt: skip
texts = st.one_of(st.sampled_from(TRICKY), st.text(max_size=8))
numbers = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(numbers, texts, st.booleans(), st.none())
models = st.fixed_dictionaries(
    {
        "name": st.just("gen"),
        "version": st.sampled_from(["1", "1.0", "2.4.0"]),
        "score": st.one_of(numbers, scalars),
        "metrics": st.dictionaries(
            st.text(alphabet="abcdef_", min_size=1, max_size=5),
            st.one_of(numbers, scalars),
            max_size=4,
        ),
        "tags": st.lists(texts, max_size=4),
        "label": texts,
        "nested": st.fixed_dictionaries({"flag": scalars}),
    },
    optional={"extra": st.lists(scalars, max_size=3)},
)


@pytest.fixture(scope="module")
def generic(tmp_path_factory):
    directory = tmp_path_factory.mktemp("generic")
    return policygate.load_policies([write(directory, "generic.yaml", GENERIC_POLICY)])


@pytest.fixture(scope="module")
def shipped():
    return policygate.load_policies([ROOT / "policies"])


# --------------------------------------------------------------------------- (a) determinism


@SETTINGS
@given(model=models)
def test_evaluating_twice_gives_identical_json(generic, model):
    first = policygate.evaluate(copy.deepcopy(model), generic, now=NOW).to_json()
    second = policygate.evaluate(copy.deepcopy(model), generic, now=NOW).to_json()
    assert first == second


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(model=models)
def test_two_cli_runs_give_identical_bytes(tmp_path, model):
    with tempfile.TemporaryDirectory(dir=tmp_path) as directory:
        folder = Path(directory)
        write(folder, "policy.yaml", GENERIC_POLICY)
        write(folder, "model.json", json.dumps(model))
        args = ["check", str(folder / "model.json"), "-p", str(folder / "policy.yaml"),
                "--now", NOW, "-f", "json"]  # fmt: skip
        first = CliRunner().invoke(main, args)
        second = CliRunner().invoke(main, args)
        assert first.exit_code in (0, 1)
        assert first.stdout_bytes == second.stdout_bytes
        assert first.exit_code == second.exit_code


def test_separate_processes_with_different_hash_seeds_agree():
    """Set and dict orders must not leak into the report: compare two processes."""
    args = [sys.executable, "-m", "policygate", "check", "examples/", "-p", "policies/",
            "--waivers", "examples/waivers/", "--now", NOW, "-f", "json"]  # fmt: skip
    runs = [
        subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )  # fmt: skip
        for seed in ("1", "2")
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [1, 1]
    assert outputs[0][0] == outputs[1][0]
    assert json.loads(outputs[0][0])["now"] == NOW


# --------------------------------------------------------------------------- (b) YAML ≡ JSON


def comparable(report: policygate.Report) -> dict[str, Any]:
    data = report.to_dict()
    for model in data["models"]:
        model.pop("source")
    return data


@SETTINGS
@given(model=models)
def test_a_model_means_the_same_in_yaml_and_json(tmp_path, generic, model):
    with tempfile.TemporaryDirectory(dir=tmp_path) as directory:
        folder = Path(directory)
        as_yaml = write(folder, "model.yaml", to_yaml(model))
        as_json = write(folder, "model.json", json.dumps(model))
        from_yaml = policygate.evaluate(as_yaml, generic, now=NOW)
        from_json = policygate.evaluate(as_json, generic, now=NOW)
    assert from_yaml.models[0].source.endswith("model.yaml")
    assert from_json.models[0].source.endswith("model.json")
    assert comparable(from_yaml) == comparable(from_json)
    # and both mean what the plain data means
    assert comparable(policygate.evaluate(model, generic, now=NOW)) == comparable(from_json)


# --------------------------------------------------------------------------- (c) monotonicity

MONOTONE_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: monotone}
spec:
  params: {min_auc: 0.8}
  rules:
    - id: headline
      check: model.metrics.auc >= params.min_auc
    - id: evaluations
      for_each: model.evaluations
      check: item.auc >= params.min_auc
    - id: literal
      check: model.metrics.auc >= 1
"""


@pytest.fixture(scope="module")
def monotone(tmp_path_factory):
    directory = tmp_path_factory.mktemp("monotone")
    return policygate.load_policies([write(directory, "monotone.yaml", MONOTONE_POLICY)])


def by_ref(report: policygate.Report) -> dict[tuple[str, Any], Status]:
    return {(r.rule_ref, r.item): r.status for r in report.models[0].results}


metric = st.one_of(
    st.integers(min_value=-5, max_value=5),
    st.floats(min_value=-5, max_value=5, allow_nan=False),
)
raise_by = st.one_of(st.integers(min_value=0, max_value=3), st.floats(min_value=0, max_value=3))


@SETTINGS
@given(
    value=metric,
    delta=raise_by,
    threshold=metric,
    evaluations=st.lists(metric, min_size=1, max_size=3),
)
def test_raising_a_metric_never_turns_pass_into_fail(
    monotone, value, delta, threshold, evaluations
):
    def model(bump: float | int) -> dict[str, Any]:
        return {
            "name": "m",
            "metrics": {"auc": value + bump},
            "evaluations": [{"auc": v + bump} for v in evaluations],
        }

    params = {"min_auc": threshold}
    low = by_ref(policygate.evaluate(model(0), monotone, now=NOW, params=params))
    high = by_ref(policygate.evaluate(model(delta), monotone, now=NOW, params=params))
    assert set(low) == set(high)
    for ref, status in low.items():
        assert status in (Status.PASS, Status.FAIL)
        if status is Status.PASS:
            assert high[ref] is Status.PASS, ref


SHIPPED_METRICS = [
    ("metrics", "auc"),
    ("metrics", "accuracy"),
    ("evaluations", 0, "metrics", "auc"),
    ("evaluations", 1, "metrics", "accuracy"),
    ("fairness", "metrics", 1, "value"),  # a *_ratio metric: `>=` min_fairness_ratio
]


def set_in(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


@settings(max_examples=15, deadline=None)
@given(
    path=st.sampled_from(SHIPPED_METRICS),
    value=st.floats(min_value=0, max_value=1),
    delta=st.floats(min_value=0, max_value=1),
)
def test_raising_a_metric_in_the_shipped_policies_never_turns_pass_into_fail(
    shipped, credit_default, path, value, delta
):
    ge_rules = {
        "performance.auc",
        "performance.accuracy",
        "performance.evaluations",
        "fairness.ratio",
    }
    reports = []
    for v in (value, value + delta):
        model = copy.deepcopy(credit_default)
        set_in(model["spec"], path, v)
        reports.append(by_ref(policygate.evaluate(model, shipped, now=NOW)))
    low, high = reports
    for ref, status in low.items():
        if ref[0].split("/")[1] in ge_rules and status is Status.PASS:
            assert high[ref] is Status.PASS, ref


@pytest.fixture(scope="module")
def credit_default() -> dict[str, Any]:
    (document,) = policygate.load_models([CREDIT_DEFAULT])
    return document.data


# --------------------------------------------------------------------------- (d) fail closed

DIRECT_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: direct}
spec:
  params: {min_auc: 0.8, roles: [model-risk-officer]}
  rules:
    - id: owner
      check: model.metadata.owner != "" && model.metadata.created_by != model.metadata.owner
    - id: tier
      check: model.spec.risk_tier in ["high", "limited"]
    - id: auc
      check: model.spec.metrics.auc >= params.min_auc && model.spec.metrics.accuracy >= 0.5
    - id: evaluations
      for_each: model.spec.evaluations
      check: item.metrics.auc >= params.min_auc && item.dataset != ""
    - id: approvals
      check: >-
        model.spec.approvals.all(a, a.decision == "approved" && timestamp(a.expires_at) > now
        && a.role in params.roles)
    - id: monitoring
      severity: warning
      for_each: model.spec.monitoring.checks
      check: item.value <= item.threshold && item.name != ""
"""

DIRECT_MODEL = {
    "metadata": {"owner": "team", "created_by": "alice"},
    "spec": {
        "risk_tier": "high",
        "metrics": {"auc": 0.9, "accuracy": 0.8},
        "evaluations": [
            {"dataset": "a", "metrics": {"auc": 0.85}},
            {"dataset": "b", "metrics": {"auc": 0.82}},
        ],
        "approvals": [
            {
                "role": "model-risk-officer",
                "decision": "approved",
                "expires_at": "2027-01-01T00:00:00Z",
            }
        ],
        "monitoring": {"checks": [{"name": "psi", "value": 0.1, "threshold": 0.2}]},
    },
}


def key_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every mapping key in ``data``, as a path (list positions included on the way)."""
    paths = []
    if isinstance(data, dict):
        for key, value in data.items():
            paths.append((*prefix, key))
            paths.extend(key_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            paths.extend(key_paths(value, (*prefix, index)))
    return paths


def delete(data: Any, path: tuple[Any, ...]) -> None:
    for part in path[:-1]:
        data = data[part]
    del data[path[-1]]


@pytest.fixture(scope="module")
def direct(tmp_path_factory):
    directory = tmp_path_factory.mktemp("direct")
    return policygate.load_policies([write(directory, "direct.yaml", DIRECT_POLICY)])


def test_the_direct_model_passes_and_every_key_is_read(direct):
    report = policygate.evaluate(DIRECT_MODEL, direct, now=NOW, fail_on="warning")
    assert report.passed
    assert all(r.status is Status.PASS for r in report.models[0].results)


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(key_paths(DIRECT_MODEL)), fail_on=st.sampled_from(["error", "warning"]))
def test_deleting_a_field_a_rule_reads_never_passes(direct, path, fail_on):
    """Every key of DIRECT_MODEL is read by some rule, directly (no has(), no ||,
    no exists()); deleting it gives that rule an error (or a fail), never a pass."""
    model = copy.deepcopy(DIRECT_MODEL)
    delete(model, path)
    report = policygate.evaluate(model, direct, now=NOW, fail_on=fail_on)
    results = report.models[0].results
    broken = [r for r in results if r.status in (Status.ERROR, Status.FAIL)]
    assert broken, path
    if path[:2] == ("spec", "monitoring"):  # read only by the warning-severity rule
        assert all(r.rule == "monitoring" for r in broken)
        assert report.passed is (fail_on == "error")  # a warning rule
    else:
        assert not report.passed, path
        assert report.exit_code() == 1
    leaf = str(path[-1])
    assert any(leaf in (r.message or "") for r in broken if r.status is Status.ERROR) or any(
        r.status is Status.FAIL for r in broken
    ), [r.message for r in broken]


# --------------------------------------------------------------------------- (e) expired waivers

WAIVABLE_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: waivable}
spec:
  rules:
    - id: fairness.gap
      for_each: model.gaps
      check: item <= 0.1
    - id: fairness.missing
      check: model.fairness.assessed
    - id: approval
      severity: warning
      check: model.approved
    - id: ok
      check: "true"
"""

waivable_models = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["credit-limit", "credit-line", "churn"]),
        "version": st.sampled_from(["2.4.0", "2.5.1", "1.0"]),
        "gaps": st.lists(st.floats(min_value=0, max_value=0.3), max_size=3),
        "approved": st.booleans(),
    },
    optional={"fairness": st.fixed_dictionaries({"assessed": st.booleans()})},
)
waivers = st.builds(
    Waiver,
    name=st.just("w"),
    rule=st.sampled_from(
        ["*", "waivable/*", "waivable/fairness.*", "waivable/approval", "other/*", "policygate/*"]
    ),  # fmt: skip
    models=st.lists(
        st.sampled_from(["*", "credit-limit", "credit-*@2.4.*", "churn@1.0", "x"]),
        min_size=1,
        max_size=2,
    ).map(tuple),  # fmt: skip
    justification=st.just("j"),
    approved_by=st.just("a"),
    expires_at=st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2028, 1, 1),
        timezones=st.just(dt.UTC),
    ),  # fmt: skip
)


@pytest.fixture(scope="module")
def waivable(tmp_path_factory):
    directory = tmp_path_factory.mktemp("waivable")
    return policygate.load_policies([write(directory, "waivable.yaml", WAIVABLE_POLICY)])


def _named(chosen: list[Waiver]) -> list[Waiver]:
    """Waivers of distinct names (two of one name are a load error)."""
    return [dataclasses.replace(w, name=f"w{i}") for i, w in enumerate(chosen)]


some_waivers = st.lists(waivers, min_size=1, max_size=3).map(_named)


@SETTINGS
@given(model=waivable_models, chosen=some_waivers)
def test_an_expired_waiver_never_changes_a_status(waivable, model, chosen):
    expired = [w for w in chosen if w.expires_at <= NOW_DT]
    assume(expired)
    plain = policygate.evaluate(model, waivable, now=NOW)
    with_expired = policygate.evaluate(model, waivable, now=NOW, waivers=expired)
    assert [r.status for r in plain.models[0].results] == [
        r.status for r in with_expired.models[0].results
    ]
    assert plain.passed is with_expired.passed
    for after in with_expired.models[0].results:
        if after.waiver is not None:
            assert after.waiver.expired
            assert "expired" in after.message


@SETTINGS
@given(model=waivable_models, chosen=some_waivers)
def test_a_waiver_only_turns_fail_or_error_into_waived(waivable, model, chosen):
    plain = policygate.evaluate(model, waivable, now=NOW)
    waived = policygate.evaluate(model, waivable, now=NOW, waivers=chosen)
    results = list(waived.models[0].results)
    if len(results) == len(plain.models[0].results) + 1:
        # Waivers left nothing evaluated: the engine's own error, and the model fails.
        engine = results.pop()
        assert (engine.rule, engine.status) == ("applicability", Status.ERROR)
        assert all(r.status in (Status.SKIP, Status.WAIVED) for r in results)
        assert not waived.passed
    for before, after in zip(plain.models[0].results, results, strict=True):
        if before.status is not after.status:
            assert before.status in (Status.FAIL, Status.ERROR)
            assert after.status is Status.WAIVED
            assert after.waiver is not None and not after.waiver.expired
