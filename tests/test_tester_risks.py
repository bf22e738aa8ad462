"""PolicyTest's ``risk_registers``: a test's model gets its risks and ratings as
``check --risk-register`` gives them, so a rule that reads ``risks`` can be
unit-tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from policygate.errors import PolicygateError
from policygate.tester import load_suites, run_suites

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  rules:
    - id: fair
      check: model.gap <= 0.1
      controls: [eu-ai-act:art-10]
    - id: no-critical
      check: '!risks.exists(r, r.residual == "critical")'
      message: 'critical: {risks.filter(r, r.residual == "critical").map(r, r.id)}'
"""

REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  risks:
    - {id: R-BIAS, title: Bias, likelihood: likely, impact: major,
       controls: [eu-ai-act:art-10]}
"""

TESTS = """\
apiVersion: policygate/v1
kind: PolicyTest
metadata: {name: gate}
spec:
  policies: [gate.yaml]
  risk_registers: [reg.yaml]
  model: {name: m, version: "1", gap: 0.05, risks: [R-BIAS]}
  now: "2026-11-26T00:00:00Z"
  tests:
    - name: evidence lowers the rating below critical
      expect: {passed: true, rules: {no-critical: pass}}
    - name: a failed control keeps it critical
      patch: {gap: 0.5}
      expect:
        passed: false
        rules:
          fair: fail
          no-critical: {status: fail, message: 'critical: \\["R-BIAS"\\]'}
"""


def write(tmp_path: Path, tests: str = TESTS) -> Path:
    (tmp_path / "gate.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "reg.yaml").write_text(REGISTER, encoding="utf-8")
    path = tmp_path / "gate.test.yaml"
    path.write_text(tests, encoding="utf-8")
    return path


def test_a_rule_reading_risks_is_tested_on_the_registers_ratings(tmp_path):
    run = run_suites(load_suites([write(tmp_path)]))
    assert [(r.case.name, r.passed, r.mismatches) for r in run.results] == [
        ("evidence lowers the rating below critical", True, ()),
        ("a failed control keeps it critical", True, ()),
    ]
    risks = run.results[0].report.risks
    assert risks is not None
    assert [(r.id, r.inherent, r.residual) for r in risks] == [("R-BIAS", "critical", "high")]


def test_without_risk_registers_a_rule_reading_risks_is_an_error(tmp_path):
    tests = TESTS.replace("  risk_registers: [reg.yaml]\n", "")
    run = run_suites(load_suites([write(tmp_path, tests)]))
    # No register: the rule cannot judge, in neither case (fail closed, no-risk-register).
    assert [r.passed for r in run.results] == [False, False]
    report = run.results[0].report
    assert report.risks is None
    (result,) = [r for r in report.results if r.rule == "no-critical"]
    assert (result.status.value, result.error_code) == ("error", "no-risk-register")


def test_a_register_that_does_not_load_is_an_error_at_the_test_file(tmp_path):
    path = write(tmp_path, TESTS.replace("[reg.yaml]", "[missing.yaml]"))
    with pytest.raises(PolicygateError) as caught:
        load_suites([path])
    assert str(caught.value).startswith(
        f"{path}:6:19: risk_registers: {tmp_path / 'missing.yaml'}: "
    )


def test_a_broken_register_is_reported_where_it_breaks(tmp_path):
    path = write(tmp_path)
    (tmp_path / "reg.yaml").write_text(REGISTER.replace("likely", "often"), encoding="utf-8")
    with pytest.raises(PolicygateError) as caught:
        load_suites([path])
    where = tmp_path / "reg.yaml"
    assert str(caught.value).startswith(f"{where}:6:45: unknown likelihood 'often'")
