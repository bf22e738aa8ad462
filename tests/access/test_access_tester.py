"""PolicyTest cases with a request, lint and explain on access policies."""

from __future__ import annotations

from pathlib import Path

import pytest
from access_support import ACCESS, CREDIT_DEFAULT, POLICIES

from policygate.errors import PolicygateError
from policygate.lint import lint_paths
from policygate.tester import load_suites, run_suites

SUITE = """\
apiVersion: policygate/v1
kind: PolicyTest
metadata: {name: access}
spec:
  policies: [access.yaml]
  now: "2026-11-26T00:00:00Z"
  model: MODEL
  tests:
TESTS"""

ALLOWED = """\
    - name: a release manager
      request:
        action: set-alias
        actor: {name: rita@example.com, roles: [release-manager]}
        target: {model: credit-default, version: "3.1.0", alias: champion}
      expect:
        allowed: ALLOWED
        rules: {protected-alias.role: STATUS}
"""


def _suite(tmp_path: Path, tests: str, model: str = str(CREDIT_DEFAULT)) -> Path:
    (tmp_path / "access.yaml").write_text(ACCESS, encoding="utf-8")
    path = tmp_path / "access.test.yaml"
    path.write_text(SUITE.replace("MODEL", model).replace("TESTS", tests), encoding="utf-8")
    return path


def test_a_request_case_passes_when_its_expectations_hold(tmp_path):
    run = run_suites(load_suites([_suite(tmp_path, ALLOWED.replace("ALLOWED", "true")
                                         .replace("STATUS", "pass"))]))  # fmt: skip
    assert run.passed and len(run.results) == 1
    assert run.coverage.rules[1].covered == ("pass",)  # protected-alias.role


@pytest.mark.parametrize(("allowed", "status", "subject"), [
    ("false", "pass", "allowed"), ("true", "fail", "registry-access/protected-alias.role")])
def test_a_request_case_fails_when_an_expectation_does_not_hold(tmp_path, allowed, status,
                                                                subject):  # fmt: skip
    text = ALLOWED.replace("ALLOWED", allowed).replace("STATUS", status)
    run = run_suites(load_suites([_suite(tmp_path, text)]))
    assert not run.passed
    assert [m.subject for m in run.results[0].mismatches] == [subject]


def test_a_bad_request_in_a_test_is_a_load_error_at_its_place(tmp_path):
    text = ALLOWED.replace("ALLOWED", "true").replace("STATUS", "pass").replace(
        "alias: champion", "alais: champion")
    path = _suite(tmp_path, text)
    with pytest.raises(PolicygateError) as raised:
        load_suites([path])
    assert str(raised.value).startswith(f"{path}:11:9: request: request.target: unknown key "
                                        "'alais'; did you mean 'alias'?")  # fmt: skip


def test_passed_is_for_model_cases_and_allowed_for_request_cases(tmp_path):
    text = ALLOWED.replace("allowed: ALLOWED", "passed: true").replace("STATUS", "pass")
    with pytest.raises(PolicygateError, match="expects allowed, not passed"):
        load_suites([_suite(tmp_path, text)])


def test_access_policies_alone_need_a_request_in_every_case(tmp_path):
    text = "    - name: no request\n      expect: {rules: {protected-alias.role: pass}}\n"
    with pytest.raises(PolicygateError, match="the tested policies are access policies"):
        load_suites([_suite(tmp_path, text)])


def test_the_shipped_access_pack_has_tests_that_pass_and_cover_it():
    run = run_suites(load_suites([POLICIES / "tests" / "registry-access.test.yaml"]))
    assert run.passed
    access = [r for r in run.coverage.rules if r.policy == "registry-access"]
    assert len(access) == 10 and all(not r.missing for r in access)


def test_the_shipped_access_pack_lints_clean():
    result = lint_paths([str(POLICIES / "access")])
    assert result.problems == ()


def test_lint_reports_an_unknown_action_and_request_in_a_promotion_policy(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ACCESS.replace("transition-stage]", "transition-stag]"), encoding="utf-8")
    messages = [p.message for p in lint_paths([str(bad)]).problems]
    assert "unknown action 'transition-stag'; did you mean 'transition-stage'?" in messages
    promotion = tmp_path / "promotion.yaml"
    promotion.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  rules:\n"
        "    - id: r\n      check: request.actor.name != ''\n      remediation: x\n"
        "      controls: [eu-ai-act:art-15]\n", encoding="utf-8")  # fmt: skip
    messages = [p.message for p in lint_paths([str(promotion)]).problems]
    assert any("undeclared variable 'request'" in m for m in messages)


def test_lint_reports_a_misspelt_request_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ACCESS.replace("request.actor.roles", "request.actr.roles"), encoding="utf-8")
    problems = [str(p) for p in lint_paths([str(bad)]).problems if p.code == "unknown-field"]
    assert problems == [
        f"{bad}:10:44: error: request.actr.roles: request has no field 'actr' in the request "
        "schema, which allows no other; did you mean 'actor'? [unknown-field]"]
