"""Staged enforcement: a rule's ``enforce_from`` reports its failures before that
date at warning severity, saying from when it fails; ``diff`` and ``audit`` say
how many models will fail on each date."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import evaluate, load_policies
from policygate.cli import main
from policygate.diff import diff, render_text
from policygate.errors import PolicygateError
from policygate.models import model_from_data
from policygate.report import upcoming_failures

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {{name: gate}}
spec:
  rules:
    - id: auc
      check: 'model.auc >= 0.8'
      message: 'AUC {{model.auc}} is below 0.8'
      severity: {severity}
{enforce}
    - id: named
      check: 'model.name != ""'
"""
BEFORE, ON, AFTER = "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z"


def policies(tmp_path: Path, enforce: str = 'enforce_from: "2027-01-01"', severity="error"):
    path = tmp_path / "gate.yaml"
    path.write_text(POLICY.format(enforce=f"      {enforce}" if enforce else "", severity=severity))
    return load_policies([path])


def model(auc):
    return model_from_data({"name": "m", "version": "1", "auc": auc}, "m.yaml")


def auc_result(report):
    (result,) = [r for r in report.models[0].results if r.rule == "auc"]
    return result


def test_before_the_date_a_failure_is_a_warning_that_says_from_when(tmp_path):
    report = evaluate([model(0.7)], policies(tmp_path), now=BEFORE)
    result = auc_result(report)
    assert (result.status.value, result.severity) == ("fail", "warning")
    assert result.message == "AUC 0.7 is below 0.8 (enforced from 2027-01-01: error from then)"
    assert report.passed
    assert result.to_dict()["enforce_from"] == {"date": "2027-01-01", "severity": "error"}


@pytest.mark.parametrize("now", [ON, AFTER])
def test_from_the_date_on_the_rule_is_enforced_as_written(tmp_path, now):
    report = evaluate([model(0.7)], policies(tmp_path), now=now)
    result = auc_result(report)
    assert (result.severity, result.staged) == ("error", None)
    assert result.message == "AUC 0.7 is below 0.8"
    assert not report.passed
    assert "enforce_from" not in result.to_dict()


def test_an_error_is_staged_too_and_a_pass_is_untouched(tmp_path):
    missing = model_from_data({"name": "m", "version": "1"}, "m.yaml")
    report = evaluate([missing, model(0.9)], policies(tmp_path), now=BEFORE)
    errored = auc_result(report)
    assert (errored.status.value, errored.severity) == ("error", "warning")
    assert "(enforced from 2027-01-01: error from then)" in (errored.message or "")
    passed = [r for r in report.models[1].results if r.rule == "auc"][0]
    assert (passed.severity, passed.staged) == ("error", None)


def test_a_timestamp_with_an_offset_is_read_as_utc(tmp_path):
    loaded = policies(tmp_path, 'enforce_from: "2027-01-01T01:00:00+01:00"')
    assert auc_result(evaluate([model(0.7)], loaded, now=BEFORE)).severity == "warning"
    assert auc_result(evaluate([model(0.7)], loaded, now=ON)).severity == "error"


@pytest.mark.parametrize("value", ['"2027-13-01"', '"next year"', "2027", '"2027-01-01T00:00:00"'])
def test_a_bad_date_is_a_load_error_at_the_field(tmp_path, value):
    with pytest.raises(PolicygateError) as caught:
        policies(tmp_path, f"enforce_from: {value}")
    assert str(caught.value).startswith(f"{tmp_path / 'gate.yaml'}:10:")
    assert "enforce_from" in str(caught.value)


def test_upcoming_failures_count_passing_models_at_their_first_date(tmp_path):
    report = evaluate([model(0.7), model(0.9)], policies(tmp_path), now=BEFORE)
    assert upcoming_failures(report.models, "error") == [("2027-01-01", 1)]
    # a warning rule that is staged fails nobody at --fail-on error, on the date or after
    warned = evaluate([model(0.7)], policies(tmp_path, severity="warning"), now=BEFORE)
    assert upcoming_failures(warned.models, "error") == []
    at_warning = evaluate([model(0.7)], policies(tmp_path), now=BEFORE, fail_on="warning")
    assert not at_warning.passed  # a staged failure is a warning: it fails at --fail-on warning
    assert upcoming_failures(at_warning.models, "warning") == []  # it fails already


def test_diff_says_how_many_models_will_fail_on_the_date(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    base = policies(tmp_path / "base", "")
    head = policies(tmp_path / "head")
    impact = diff([model(0.7)], base, head, now=BEFORE)
    assert render_text(impact).endswith("\n1 model will fail on 2027-01-01\n")
    assert impact.to_dict()["will_fail"] == [{"date": "2027-01-01", "models": 1}]
    assert impact.exit_code() == 0  # the new rule fails nobody today


def test_audit_says_how_many_models_will_fail_on_the_date(tmp_path):
    policies(tmp_path)
    models = tmp_path / "models"
    models.mkdir()
    for name, auc in (("a", 0.7), ("b", 0.6), ("c", 0.9)):
        (models / f"{name}.yaml").write_text(f"name: {name}\nversion: '1'\nauc: {auc}\n")
    args = ["audit", str(models), "-p", str(tmp_path / "gate.yaml"), "--now", BEFORE]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "\n2 models will fail on 2027-01-01\n" in result.stdout
    as_json = CliRunner().invoke(main, [*args, "-f", "json"])
    results = [r for m in json.loads(as_json.stdout)["models"] for r in m["results"]]
    staged = [r["enforce_from"] for r in results if "enforce_from" in r]
    assert staged == [{"date": "2027-01-01", "severity": "error"}] * 2


@settings(max_examples=40, deadline=None)
@given(auc=st.floats(0, 1), days=st.integers(0, 400))
def test_from_the_date_on_a_staged_rule_is_the_rule_itself(tmp_path_factory, auc, days):
    import datetime as dt

    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=days)
    staged = evaluate([model(auc)], policies(tmp_path_factory.mktemp("s")), now=now)
    plain = evaluate([model(auc)], policies(tmp_path_factory.mktemp("p"), ""), now=now)
    assert staged.to_dict()["models"] == plain.to_dict()["models"]


def test_the_json_report_with_a_staged_result_is_valid_against_its_schema(tmp_path):
    from policygate.formats import render
    from policygate.validation import shipped_validator

    report = evaluate([model(0.7)], policies(tmp_path), now=BEFORE)
    shipped_validator("Report").validate(json.loads(render(report, "json")))
