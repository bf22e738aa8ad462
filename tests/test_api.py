"""Tests for the library API of SPEC §7: load_policies, evaluate, render, gate."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

import policygate
from policygate import (
    GateFailed,
    LoadError,
    NothingEvaluatedError,
    PolicyError,
    PolicygateError,
    Report,
    SchemaError,
    UsageError,
)

ROOT = Path(__file__).parent.parent
POLICIES = ROOT / "policies"
MODELS = ROOT / "examples" / "models"
WAIVERS = ROOT / "examples" / "waivers"
NOW = "2026-11-26T00:00:00Z"
CREDIT_DEFAULT = MODELS / "credit-default-passes.yaml"
CREDIT_LIMIT = MODELS / "credit-limit-fails-fairness-and-expired-approval.yaml"


@pytest.fixture(scope="module")
def policies():
    return policygate.load_policies([POLICIES])


@pytest.fixture(scope="module")
def credit_default() -> dict:
    return yaml.safe_load(CREDIT_DEFAULT.read_text())


def test_public_api():
    names = ["load_policies", "load_models", "load_waivers", "load_inputs", "evaluate", "render"]
    names += ["gate", "GateFailed", "PolicygateError", "Report", "Status"]
    for name in names:
        assert name in policygate.__all__
        assert hasattr(policygate, name)
    assert policygate.__version__ == "0.1.0"


def test_load_policies_directory(policies):
    names = {p.name for p in policies}
    assert {"limited-risk-promotion", "production-promotion"} <= names
    production = next(p for p in policies if p.name == "production-promotion")
    # extends: the baseline's rules are merged in, a same-id rule replaces the parent's
    ids = [r.id for r in production.rules]
    assert "metadata.required" in ids and "performance.auc" in ids
    assert ids.count("approval.renewal-due") == 1
    assert production.rule("approval.renewal-due").severity == "warning"
    assert production.params["approval_renewal_days"] == 45


def test_spec_example(policies):
    report = policygate.evaluate([CREDIT_DEFAULT], policies, now=NOW)
    assert isinstance(report, Report)
    assert report.passed
    assert report.models[0].results
    assert report.to_dict()["passed"] is True
    assert json.loads(policygate.render(report, "json")) == report.to_dict()
    assert "1 model, 1 passed, 0 failed" in policygate.render(report, "text")
    assert "1 model, 1 passed, 0 failed" in policygate.render(report)


def test_evaluate_accepts_a_dict_a_record_and_a_path(policies, credit_default):
    record = policygate.ModelRecord("credit-default", "3.1.0", credit_default, "registry")
    from_dict = policygate.evaluate(credit_default, policies, now=NOW)
    from_record = policygate.evaluate(record, policies, now=NOW)
    from_path = policygate.evaluate(CREDIT_DEFAULT, policies, now=NOW)
    from_str = policygate.evaluate(str(CREDIT_DEFAULT), policies, now=NOW)
    reports = [from_dict, from_record, from_path, from_str]
    assert [r.models[0].source for r in reports] == [
        "<memory>",
        "registry",
        str(CREDIT_DEFAULT),
        str(CREDIT_DEFAULT),
    ]
    results = [[res.to_dict() for res in r.models[0].results] for r in reports]
    assert all(r == results[0] for r in results)
    assert all(r.passed for r in reports)


def test_gate_returns_the_report_on_pass(policies, credit_default):
    report = policygate.gate(credit_default, policies, now=NOW)
    assert report.passed
    assert report.exit_code() == 0


def test_gate_raises_with_the_report_on_fail(policies):
    with pytest.raises(GateFailed) as info:
        policygate.gate([CREDIT_DEFAULT, CREDIT_LIMIT], policies, now=NOW)
    error = info.value
    assert isinstance(error, PolicygateError)
    assert isinstance(error.report, Report)
    assert not error.report.passed
    assert error.report.exit_code() == 1
    assert str(error) == "policy gate failed: failed: credit-limit@2.4.0"


def test_gate_waivers_and_params(policies):
    # the waiver covers fairness.gap only; the expired approval still fails
    waivers = policygate.load_waivers([WAIVERS])
    with pytest.raises(GateFailed) as info:
        policygate.gate(CREDIT_LIMIT, policies, now=NOW, waivers=waivers)
    results = info.value.report.models[0].results
    flagged = {(r.rule, r.status.value) for r in results if r.status.value in ("fail", "waived")}
    assert flagged == {("fairness.gap", "waived"), ("approval.required-roles", "fail")}
    # a looser gap param makes the waiver unnecessary, but the expired approval still fails
    with pytest.raises(GateFailed) as info:
        policygate.gate(CREDIT_LIMIT, policies, now=NOW, params={"max_fairness_gap": 0.2})
    failing = {r.rule for r in info.value.report.models[0].results if r.status.value == "fail"}
    assert failing == {"approval.required-roles"}
    # --fail-on never reports without failing
    report = policygate.gate(CREDIT_LIMIT, policies, now=NOW, fail_on="never")
    assert report.passed


def test_gate_params_can_fail_a_passing_model(policies, credit_default):
    with pytest.raises(GateFailed) as info:
        policygate.gate(credit_default, policies, now=NOW, params={"min_auc": 0.95})
    failing = [r for r in info.value.report.models[0].results if r.status.value == "fail"]
    assert {r.rule for r in failing} == {"performance.auc", "performance.evaluations"}


def test_gate_fails_closed_when_nothing_is_evaluated(policies):
    with pytest.raises(GateFailed) as info:
        policygate.gate([], policies, now=NOW)
    assert info.value.report.nothing_evaluated
    assert str(info.value) == "policy gate failed: no model found"


def test_gate_fails_when_no_rule_applies(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  applies_to: 'false'\n  rules: [{id: r, check: 'true'}]\n"
    )
    with pytest.raises(GateFailed) as info:
        policygate.gate({"name": "m"}, policygate.load_policies([path]), now=NOW)
    assert "no rule applies to any model" in str(info.value)
    assert info.value.report.exit_code() == 2


def test_gate_fails_with_fail_on_never_when_nothing_evaluated(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules: [{id: r, when: 'false', check: 'true'}]\n"
    )
    with pytest.raises(GateFailed):
        policygate.gate({"name": "m"}, policygate.load_policies([path]), now=NOW, fail_on="never")


def test_gate_does_not_mutate_the_model(policies, credit_default):
    before = copy.deepcopy(credit_default)
    policygate.gate(credit_default, policies, now=NOW)
    assert credit_default == before


def test_render_unknown_format_is_a_usage_error(policies):
    report = policygate.evaluate([], policies, now=NOW)
    with pytest.raises(UsageError, match="unknown format 'pdf'"):
        policygate.render(report, "pdf")


def test_load_inputs(tmp_path):
    (tmp_path / "roles.yaml").write_text("[model-risk-officer, model-validation]\n")
    (tmp_path / "multi.yaml").write_text("a: 1\n---\nb: 2\n")
    inputs = policygate.load_inputs(
        [f"roles={tmp_path / 'roles.yaml'}", f"multi={tmp_path / 'multi.yaml'}"]
    )
    assert inputs == {
        "roles": ["model-risk-officer", "model-validation"],
        "multi": [{"a": 1}, {"b": 2}],
    }


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        (["roles"], "expected NAME=PATH"),
        (["=x.yaml"], "expected NAME=PATH"),
        (["roles="], "expected NAME=PATH"),
        (["not-a-name=x.yaml"], "not a valid name"),
        (["a={f}", "a={f}"], "given twice"),
    ],
)
def test_load_inputs_usage_errors(tmp_path, assignments, message):
    f = tmp_path / "x.yaml"
    f.write_text("a: 1\n")
    with pytest.raises(UsageError, match=message):
        policygate.load_inputs([a.format(f=f) for a in assignments])


def test_load_inputs_empty_file(tmp_path):
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    with pytest.raises(LoadError, match="holds no document"):
        policygate.load_inputs([f"x={tmp_path / 'empty.yaml'}"])


def test_error_hierarchy():
    for cls in (LoadError, SchemaError, PolicyError, UsageError, NothingEvaluatedError, GateFailed):
        assert issubclass(cls, PolicygateError)


def test_library_errors_carry_locations(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n    - id: r\n      check: 'model.x >'\n"
    )
    with pytest.raises(PolicygateError) as info:
        policygate.load_policies([path])
    assert info.value.location is not None
    assert info.value.location.path == str(path)
    assert info.value.location.line == 7


def test_no_policy_found(tmp_path):
    with pytest.raises(NothingEvaluatedError, match="no policy found"):
        policygate.load_policies([tmp_path])


def test_gate_takes_exactly_the_keywords_of_evaluate():
    """SPEC §7: gate() has the same keywords as evaluate(); a keyword added to one
    and forgotten in the other (as risk_graph once was) fails here."""
    import inspect

    from policygate.api import gate
    from policygate.evaluate import evaluate

    def keywords(func):
        return {
            name: (p.default, p.kind)
            for name, p in inspect.signature(func).parameters.items()
        }

    # gate(run) takes a loaded run alone, so its policies may be left out.
    expected = {**keywords(evaluate), "policies": (None, inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    assert keywords(gate) == expected
