"""policygate test: PolicyTest documents, expectations, diffs, coverage, reporters."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policygate.errors import ErrorGroup, NothingEvaluatedError, PolicygateError
from policygate.evaluate import evaluate
from policygate.policy import load_policies
from policygate.tester import load_suites, merge_patch, render, run_suites
from policygate.waivers import load_waivers

ROOT = Path(__file__).parent.parent

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  params: {min_auc: 0.8}
  rules:
    - id: auc
      check: model.metrics.auc >= params.min_auc
      message: 'AUC {model.metrics.auc} is below {params.min_auc}'
      controls: [eu-ai-act:art-15]
    - id: evals
      severity: warning
      for_each: 'has(model.evals) ? model.evals : []'
      check: item.auc >= params.min_auc
      message: 'AUC {item.auc} on {item.name}'
      controls: [eu-ai-act:art-15]
"""

MODEL = "name: m\nversion: '1'\nmetrics: {auc: 0.9}\nevals: [{name: a, auc: 0.9}]\n"


def project(tmp_path: Path, tests: str, *, spec: str = "") -> Path:
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "gate.yaml").write_text(POLICY)
    (tmp_path / "models").mkdir(exist_ok=True)
    (tmp_path / "models" / "m.yaml").write_text(MODEL)
    path = tmp_path / "policies" / "gate.test.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: PolicyTest\nmetadata: {name: gate}\nspec:\n"
        "  policies: [gate.yaml]\n  model: ../models/m.yaml\n  now: '2026-11-26T00:00:00Z'\n"
        f"{spec}  tests:\n{tests}"
    )
    return path


def run(tmp_path: Path, tests: str, **kwargs):
    return run_suites(load_suites([project(tmp_path, tests, **kwargs)]))


def errors_of(tmp_path: Path, tests: str, **kwargs) -> list[str]:
    path = project(tmp_path, tests, **kwargs)
    with pytest.raises(PolicygateError) as caught:
        load_suites([path])
    error = caught.value
    found = error.errors if isinstance(error, ErrorGroup) else [error]
    return [str(e).replace(f"{tmp_path}/", "") for e in found]


def test_passing_and_failing_tests_with_a_diff(tmp_path):
    tests = """\
    - name: good model passes
      expect: {passed: true, rules: {auc: pass, evals: pass}}
    - name: low auc fails
      patch: {metrics: {auc: 0.7}}
      expect:
        passed: true
        rules:
          auc: {status: pass, message: "above"}
"""
    result = run(tmp_path, tests)
    assert [r.passed for r in result.results] == [True, False]
    assert result.exit_code() == 1
    assert render(result, "text") == (
        "FAIL  gate: low auc fails  (policies/gate.test.yaml:11:13)\n".replace(
            "policies/", f"{tmp_path}/policies/"
        )
        + "      passed\n"
        "        - expected: true\n"
        "        + actual:   false\n"
        "          gate/auc: fail\n"
        "      gate/auc\n"
        "        - expected: pass\n"
        "        + actual:   fail\n"
        "          gate/auc: fail: AUC 0.7 is below 0.8\n"
        "      gate/auc message\n"
        "        - expected: a match of /above/\n"
        "        + actual:   no message matches\n"
        "          gate/auc: fail: AUC 0.7 is below 0.8\n"
        "\n"
        "tests: 1 passed, 1 failed\n"
    )


def test_inline_model_items_and_for_each_statuses(tmp_path):
    tests = """\
    - name: items
      model: {name: x, metrics: {auc: 0.9}, evals: [{name: a, auc: 0.9}, {name: b, auc: 0.5}]}
      expect:
        passed: true          # evals is a warning
        rules:
          evals: fail         # the most serious of the items
          "evals[0]": pass
          "gate/evals[1]": {status: fail, message: "^AUC 0.5 on b$"}
    - name: no evals
      model: {name: x, metrics: {auc: 0.9}}
      expect: {rules: {evals: skip}}
    - name: warnings fail with fail_on warning
      fail_on: warning
      patch: {evals: [{name: b, auc: 0.1}]}
      expect: {passed: false}
"""
    result = run(tmp_path, tests)
    assert [r.mismatches for r in result.results] == [(), (), ()]
    assert result.exit_code() == 0


def test_merge_patch_null_removes_and_lists_replace(tmp_path):
    tests = """\
    - name: patched
      patch: {metrics: null, evals: []}
      expect: {passed: false, rules: {auc: error, evals: skip}}
"""
    assert run(tmp_path, tests).passed


def test_params_and_now(tmp_path):
    tests = """\
    - name: stricter
      params: {min_auc: 0.95}
      expect: {passed: false, rules: {auc: {status: fail, message: "below 0.95"}}}
"""
    assert run(tmp_path, tests, spec="  params: {min_auc: 0.5}\n").passed


def test_waivers_inline_and_by_path_mean_what_they_mean_in_check(tmp_path):
    waiver = """\
apiVersion: policygate/v1
kind: Waiver
metadata: {name: w}
spec: {rule: gate/auc, models: [m], justification: j, approved_by: a,
       expires_at: "2026-12-01T00:00:00Z"}
"""
    (tmp_path / "waivers").mkdir()
    (tmp_path / "waivers" / "w.yaml").write_text(waiver)
    tests = """\
    - name: waived by file
      patch: {metrics: {auc: 0.5}}
      waivers: [../waivers/w.yaml]
      expect: {passed: true, rules: {auc: {status: waived, waiver: w}}}
    - name: expired
      now: "2026-12-02T00:00:00Z"
      patch: {metrics: {auc: 0.5}}
      waivers: [../waivers/w.yaml]
      expect: {passed: false, rules: {auc: {status: fail, message: "waiver 'w' expired"}}}
    - name: inline
      patch: {metrics: {auc: 0.5}}
      waivers:
        - apiVersion: policygate/v1
          kind: Waiver
          metadata: {name: inline}
          spec: {rule: "gate/*", models: ["m@1"], justification: j, approved_by: a,
                 expires_at: "2027-01-01T00:00:00Z"}
      expect: {passed: true, rules: {auc: {status: waived, waiver: inline}}}
"""
    result = run(tmp_path, tests)
    assert [r.mismatches for r in result.results] == [(), (), ()]
    # the same as check: evaluate with the same waiver gives the same statuses
    policies = load_policies([tmp_path / "policies" / "gate.yaml"])
    for case, now in ((0, "2026-11-26T00:00:00Z"), (1, "2026-12-02T00:00:00Z")):
        model = dict(result.results[case].case.model.data)
        report = evaluate(
            [model],
            policies,
            now=now,
            waivers=load_waivers([tmp_path / "policies" / "../waivers/w.yaml"]),
        )
        expected = [r.to_dict() for r in report.models[0].results]
        assert expected == [r.to_dict() for r in result.results[case].report.results]


def test_inputs_inline_and_from_files(tmp_path):
    policy = POLICY.replace(
        "check: model.metrics.auc >= params.min_auc",
        "check: model.metrics.auc >= inputs.floor.value",
    )
    path = project(
        tmp_path,
        """\
    - name: inline input
      inputs: {floor: {value: 0.95}}
      expect: {rules: {auc: fail}}
    - name: file input
      input_files: {floor: floor.yaml}
      expect: {rules: {auc: pass}}
""",
    )
    (tmp_path / "policies" / "gate.yaml").write_text(policy)
    (tmp_path / "policies" / "floor.yaml").write_text("value: 0.5\n")
    result = run_suites(load_suites([path]))
    assert [r.passed for r in result.results] == [True, True]


# --------------------------------------------------------------------------- bad input


def test_a_rule_that_does_not_exist_is_an_error_with_its_location(tmp_path):
    assert errors_of(
        tmp_path,
        """\
    - name: typo
      expect: {rules: {acu: pass, other/auc: pass, "gate/nope[0]": fail}}
""",
    ) == [
        "policies/gate.test.yaml:10:24: no rule 'acu' in the tested policies; did you mean 'auc'?",
        "policies/gate.test.yaml:10:35: no policy 'other' among the tested policies (gate)",
        "policies/gate.test.yaml:10:52: no rule 'nope' in policy 'gate'",
    ]


def test_an_unknown_status_is_a_schema_error_with_its_location(tmp_path):
    assert errors_of(
        tmp_path,
        """\
    - name: bad status
      expect: {rules: {auc: passed}}
""",
    ) == [
        "policies/gate.test.yaml:10:29: must be one of 'pass', 'fail', 'error', 'skip', 'waived',"
        " got 'passed' (at $.spec.tests[0].expect.rules.auc)",
    ]


def test_a_model_fixture_that_does_not_load_is_an_error(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "broken.yaml").write_text("name: [\n")
    (errors,) = errors_of(
        tmp_path,
        """\
    - name: broken fixture
      model: ../models/broken.yaml
      expect: {passed: true}
""",
    )
    assert errors.startswith("policies/gate.test.yaml:10:14: model '../models/broken.yaml': ")


def test_more_bad_input_all_reported_together(tmp_path):
    found = errors_of(
        tmp_path,
        """\
    - name: same
      params: {min_acu: 1}
      now: yesterday
      expect: {passed: true, rules: {auc: {message: "("}}}
    - name: same
      expect: {passed: true}
    - name: typed record that breaks its schema
      model: {apiVersion: policygate/v1, kind: ModelRecord, metadata: {name: x}}
      expect: {passed: true}
""",
    )
    assert found == [
        "policies/gate.test.yaml:10:16: unknown param 'min_acu' (the policies declare: min_auc);"
        " did you mean 'min_auc'?",
        "policies/gate.test.yaml:11:12: now: not an RFC 3339 timestamp with offset: 'yesterday'"
        " (e.g. 2026-12-31T00:00:00Z)",
        "policies/gate.test.yaml:12:53: message pattern: missing ), unterminated subpattern at"
        " position 0",
        "policies/gate.test.yaml:13:13: duplicate test name 'same' (first at line 9)",
        "policies/gate.test.yaml:16:71: 'version' is required (at $.metadata)",
    ]


def test_no_test_found_is_nothing_evaluated(tmp_path):
    (tmp_path / "gate.yaml").write_text(POLICY)
    with pytest.raises(NothingEvaluatedError, match="no test found"):
        load_suites([tmp_path])


def test_policies_that_do_not_load_are_errors(tmp_path):
    path = project(tmp_path, "    - name: t\n      expect: {passed: true}\n")
    path.write_text(path.read_text().replace("[gate.yaml]", "[missing.yaml]"))
    with pytest.raises(PolicygateError, match="policies 'missing.yaml': no such file"):
        load_suites([path])


# --------------------------------------------------------------------------- coverage


def test_coverage_counts_pass_fail_and_the_empty_for_each(tmp_path):
    tests = """\
    - name: good
      expect: {passed: true}
    - name: bad auc
      patch: {metrics: {auc: 0.1}}
      expect: {passed: false}
"""
    result = run(tmp_path, tests)
    coverage = {r.ref: (r.covered, r.missing) for r in result.coverage.rules}
    assert coverage == {
        "gate/auc": (("pass", "fail"), ()),
        "gate/evals": (("pass",), ("fail", "empty")),
    }
    assert (result.coverage.covered, result.coverage.total) == (3, 5)
    assert result.coverage.percent == 60.0
    assert result.exit_code(threshold=60) == 0
    assert result.exit_code(threshold=61) == 1
    text = render(result, "text", coverage=True, threshold=61)
    assert text.endswith(
        "tests: 2 passed, 0 failed\n"
        "coverage: 60.00% (3 of 5 rule branches)\n"
        "  gate/evals  not exercised: fail, empty\n"
        "coverage 60.00% is below the threshold 61%\n"
    )


def test_json_reporter(tmp_path):
    result = run(tmp_path, "    - name: t\n      expect: {passed: false}\n")
    data = json.loads(render(result, "json", coverage=True, threshold=50))
    assert data["passed"] is False
    assert data["summary"] == {"tests": 1, "passed": 0, "failed": 1}
    assert data["tests"][0]["mismatches"] == [
        {"subject": "passed", "expected": "false", "actual": "true", "details": []}
    ]
    assert data["coverage"]["percent"] == 40.0 and data["coverage"]["threshold"] == 50


def test_junit_reporter(tmp_path):
    tests = (
        "    - name: ok\n      expect: {passed: true}\n"
        "    - name: bad\n      expect: {passed: false}\n"
    )
    result = run(tmp_path, tests)
    text = render(result, "junit", coverage=True, threshold=100)
    # The whole document is valid against the Ant JUnit schema, as check -f junit is.
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(ROOT / "tests/data/schemas/junit.xsd")))
    assert schema.validate(etree.fromstring(text.encode())), schema.error_log
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [(s.get("tests"), s.get("failures")) for s in suites] == [("2", "1"), ("2", "2")]
    suite, coverage = suites
    assert suite.get("name") == "gate" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["ok", "bad"]
    assert cases[1].find("failure").get("message") == "1 expectation not met"
    assert "- expected: false" in cases[1].find("failure").text
    assert cases[1].find("failure").text.startswith("at ")  # the test's file and line
    assert [c.get("name") for c in coverage.findall("testcase")] == ["gate/auc", "gate/evals"]
    assert coverage.get("failures") == "2"  # below the threshold, each rule missing a branch


def test_unknown_reporter_is_an_error(tmp_path):
    result = run(tmp_path, "    - name: t\n      expect: {passed: true}\n")
    with pytest.raises(PolicygateError, match="unknown test format 'tap'"):
        render(result, "tap")


# --------------------------------------------------------------------------- shipped


def test_the_shipped_policy_tests_pass_with_the_coverage_ci_asks_for():
    result = run_suites(load_suites([ROOT / "policies"]))
    failing = [(r.case.name, r.mismatches) for r in result.results if not r.passed]
    assert failing == []
    assert result.coverage.percent >= 94
    uncovered = {(r.ref, b) for r in result.coverage.rules for b in r.missing}
    assert uncovered <= {
        ("limited-risk-promotion/metadata.not-prohibited", "fail"),
        ("limited-risk-promotion/metadata.risk-tier", "fail"),
        ("production-promotion/metadata.not-prohibited", "fail"),
        ("production-promotion/metadata.risk-tier", "fail"),
        ("production-promotion/approval.signed", "pass"),
        ("production-promotion/approval.signed-max-age", "fail"),
        # one result per Annex IV section: the list is never empty
        ("eu-ai-act-classification/annex-iv.sections", "empty"),
        ("eu-ai-act-classification/annex-iv.complete", "empty"),
    }


# --------------------------------------------------------------------------- laws

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=2), children, max_size=3)
    ),
    max_leaves=10,
)


@given(target=_json, patch=_json)
def test_merge_patch_is_idempotent(target, patch):
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once


def test_merge_patch_rfc7386_examples():
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch(["a", "b"], ["c", "d"]) == ["c", "d"]
    assert merge_patch({"a": "foo"}, "bar") == "bar"
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}
