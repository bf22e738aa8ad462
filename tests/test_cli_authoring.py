"""The authoring commands on the command line: lint, test, explain, diff, init and
check --explain. Exact exit codes and output (SPEC §5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import COMMANDS, main

ROOT = Path(__file__).parent.parent
NOW = "2026-11-26T00:00:00Z"

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  params: {min_auc: 0.8}
  rules:
    - id: auc
      check: model.spec.metrics.auc >= params.min_auc
      message: 'AUC {model.spec.metrics.auc} is below {params.min_auc}'
      controls: [eu-ai-act:art-15]
      remediation: Retrain.
"""

TESTS = """\
apiVersion: policygate/v1
kind: PolicyTest
metadata: {name: gate}
spec:
  policies: [../gate.yaml]
  now: "2026-11-26T00:00:00Z"
  model: {metadata: {name: m, version: "1"}, spec: {metrics: {auc: 0.9}}}
  tests:
    - name: passes
      expect: {passed: true, rules: {auc: pass}}
    - name: fails
      patch: {spec: {metrics: {auc: 0.5}}}
      expect: {passed: false, rules: {auc: fail}}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYGATE_CEL_ENGINE", "cel-python")
    (tmp_path / "policies" / "tests").mkdir(parents=True)
    (tmp_path / "policies" / "gate.yaml").write_text(POLICY)
    (tmp_path / "policies" / "tests" / "gate.test.yaml").write_text(TESTS)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "good.yaml").write_text(
        "metadata: {name: good, version: '1'}\nspec: {metrics: {auc: 0.9}}\n"
    )
    (tmp_path / "models" / "bad.yaml").write_text(
        "metadata: {name: bad, version: '2'}\nspec: {metrics: {auc: 0.7}}\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    return result


def test_the_commands_are_registered():
    assert {"lint", "test", "explain", "diff", "init"} <= set(COMMANDS)


# --------------------------------------------------------------------------- lint


def test_lint_clean_exits_0(project):
    result = run("lint", "policies/")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "0 problems (0 errors, 0 warnings)\n",
        "",
    )


def test_lint_findings_exit_1_compiler_style(project):
    Path("policies/gate.yaml").write_text(POLICY.replace("params.min_auc", "params.min_acu"))
    result = run("lint", "policies/gate.yaml")
    assert result.exit_code == 1
    assert result.stdout == (
        "policies/gate.yaml:8:47: error: unknown param 'min_acu'; did you mean 'min_auc'?"
        " [unknown-param]\n"
        "policies/gate.yaml:9:63: error: unknown param 'min_acu'; did you mean 'min_auc'?"
        " [unknown-param]\n"
        "2 problems (2 errors, 0 warnings)\n"
    )


def test_lint_warnings_pass_with_fail_on_error(project):
    Path("policies/gate.yaml").write_text(POLICY.replace("      remediation: Retrain.\n", ""))
    assert run("lint", "policies/").exit_code == 1
    result = run("lint", "policies/", "--fail-on", "error")
    assert result.exit_code == 0
    assert result.stdout == (
        "policies/gate.yaml:7:11: warning: rule 'auc' has no remediation [missing-remediation]\n"
        "1 problem (0 errors, 1 warning)\n"
    )


def test_lint_formats_and_output_file(project):
    data = json.loads(run("lint", "policies/", "-f", "json").stdout)
    assert data["summary"] == {"problems": 0, "errors": 0, "warnings": 0}
    sarif = json.loads(run("lint", "policies/", "-f", "sarif").stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []
    result = run("lint", "policies/", "-f", "sarif", "-o", "lint.sarif")
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(Path("lint.sarif").read_text())["version"] == "2.1.0"


def test_lint_usage_errors_exit_2(project):
    result = run("lint", "models/")
    assert (result.exit_code, result.stderr) == (
        2,
        "policygate: error: no policy found in models/\n",
    )
    assert run("lint", "missing/").exit_code == 2
    assert run("lint", "policies/", "-f", "xml").exit_code == 2


# --------------------------------------------------------------------------- test


def test_test_passing_exits_0(project):
    result = run("test", "policies/", "--coverage")
    assert result.exit_code == 0
    assert result.stdout == (
        "tests: 2 passed, 0 failed\ncoverage: 100.00% (2 of 2 rule branches)\n"
    )


def test_test_failing_exits_1_with_a_diff(project):
    path = Path("policies/tests/gate.test.yaml")
    path.write_text(TESTS.replace("rules: {auc: fail}", "rules: {auc: pass}"))
    result = run("test", "policies/")
    assert result.exit_code == 1
    assert result.stdout == (
        "FAIL  gate: fails  (policies/tests/gate.test.yaml:11:13)\n"
        "      gate/auc\n"
        "        - expected: pass\n"
        "        + actual:   fail\n"
        "          gate/auc: fail: AUC 0.5 is below 0.8\n"
        "\n"
        "tests: 1 passed, 1 failed\n"
    )


def test_test_below_the_threshold_exits_1(project):
    path = Path("policies/tests/gate.test.yaml")
    path.write_text(TESTS.split("    - name: fails")[0])
    result = run("test", "policies/", "--threshold", "75")
    assert result.exit_code == 1
    assert result.stdout == (
        "tests: 1 passed, 0 failed\n"
        "coverage: 50.00% (1 of 2 rule branches)\n"
        "  gate/auc  not exercised: fail\n"
        "coverage 50.00% is below the threshold 75%\n"
    )
    assert run("test", "policies/", "--threshold", "50").exit_code == 0


def test_test_bad_input_and_no_tests_exit_2(project):
    Path("policies/tests/gate.test.yaml").write_text(TESTS.replace("{auc: fail}", "{auc: failed}"))
    result = run("test", "policies/")
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: policies/tests/gate.test.yaml:13:44: must be one of 'pass', 'fail',"
        " 'error', 'skip', 'waived', got 'failed' (at $.spec.tests[1].expect.rules.auc)\n"
    )
    result = run("test", "models/")
    assert (result.exit_code, result.stderr) == (
        2,
        "policygate: error: no test found in models/ (kind: PolicyTest)\n",
    )


def test_test_junit_and_json(project):
    junit = run("test", "policies/", "-f", "junit", "--coverage").stdout
    assert junit.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    data = json.loads(run("test", "policies/", "-f", "json").stdout)
    assert data["summary"] == {"tests": 2, "passed": 2, "failed": 0} and "coverage" not in data


def test_the_shipped_tests_run_as_ci_runs_them():
    result = run("test", str(ROOT / "policies"), "--coverage", "--threshold", "94")
    assert result.exit_code == 0, result.stdout
    assert "tests: 100 passed, 0 failed\n" in result.stdout


# --------------------------------------------------------------------------- explain


def test_explain_a_failing_rule_exits_1(project):
    result = run("explain", "models/bad.yaml", "-p", "policies/", "--rule", "auc", "--now", NOW)
    assert result.exit_code == 1
    assert result.stdout == (
        "rule gate/auc (error) at policies/gate.yaml:7:7\n"
        "model bad@2  models/bad.yaml\n"
        "status: fail\n"
        "  check: model.spec.metrics.auc >= params.min_auc\n"
        "    = false\n"
        "        model.spec.metrics.auc  0.7\n"
        "        params.min_auc          0.8\n"
        "  message: AUC 0.7 is below 0.8\n"
        "waivers: none given\n"
        "controls that depend on this rule:\n"
        "  eu-ai-act:art-15  violated    Accuracy, robustness and cybersecurity\n"
    )


def test_explain_passing_json_and_params(project):
    result = run(
        "explain",
        "models/bad.yaml",
        "-p",
        "policies/",
        "--rule",
        "gate/auc",
        "--param",
        "min_auc=0.5",
        "--now",
        NOW,
        "-f",
        "json",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["status"], data["items"][0]["check"]["value"]) == ("pass", True)


def test_explain_an_unknown_rule_exits_2(project):
    result = run("explain", "models/bad.yaml", "-p", "policies/", "--rule", "acu")
    assert (result.exit_code, result.stderr) == (
        2,
        "policygate: error: no rule 'acu' in the loaded policies; did you mean 'auc'?\n",
    )


def test_check_explain_appends_the_explanations(project):
    result = run("check", "models/", "-p", "policies/", "--now", NOW, "--explain")
    assert result.exit_code == 1
    report, explanation = result.stdout.split("\n\nrule ", 1)
    assert report.startswith("FAILED  bad@2  models/bad.yaml\n")
    assert explanation.startswith("gate/auc (error) at policies/gate.yaml:7:7\nmodel bad@2")
    assert "        model.spec.metrics.auc  0.7\n" in explanation
    result = run("check", "models/", "-p", "policies/", "--explain", "-f", "json")
    assert result.exit_code == 2
    assert "--explain adds to the text report on stdout, not to -f json" in result.stderr


def test_check_explain_with_output_says_where_the_explanations_go(project):
    """-o with --explain is refused with what to do instead (it told a user who
    asked for a text file to use JSON)."""
    result = run("check", "models/", "-p", "policies/", "--explain", "-o", "report.txt")
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: --explain adds to the text report on stdout, not to -o FILE; "
        "redirect stdout to keep both in a file\n"
    )
    assert "JSON" not in result.stderr


# --------------------------------------------------------------------------- diff


def test_diff_newly_failing_exits_1(project):
    Path("head").mkdir()
    Path("head/gate.yaml").write_text(POLICY.replace("0.8", "0.95"))
    result = run("diff", "--base", "policies/", "--head", "head/", "models/", "--now", NOW)
    assert result.exit_code == 1
    assert result.stdout == (
        "good@1  models/good.yaml  passed -> FAILED\n"
        "  gate/auc  pass -> fail  (error, newly failing)\n"
        "            AUC 0.9 is below 0.95\n"
        "\n"
        "2 models: 1 newly failing, 0 newly passing · 1 newly fail, 0 newly error,"
        " 0 newly pass, 0 other\n"
    )


def test_diff_nothing_new_exits_0_and_json(project):
    result = run(
        "diff", "--base", "policies/", "--head", "policies/", "models/", "--now", NOW, "-f", "json"
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["changes"] == []
    result = run("diff", "--base", "policies/", "--head", "policies/", "policies/")
    assert (result.exit_code, result.stderr) == (
        2,
        "policygate: error: no model found in policies/\n",
    )


# --------------------------------------------------------------------------- init


def test_init_scaffolds_a_green_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("init", "team")
    assert result.exit_code == 0
    assert result.stdout == (
        "created team/policies/promotion.yaml\n"
        "created team/policies/tests/promotion.test.yaml\n"
        "created team/models/example-model.yaml\n"
        "next: cd team && policygate lint policies/ && policygate test policies/ --coverage\n"
    )
    monkeypatch.chdir(tmp_path / "team")
    assert run("lint", "policies/").stdout == "0 problems (0 errors, 0 warnings)\n"
    tested = run("test", "policies/", "--threshold", "100")
    assert tested.exit_code == 0, tested.stdout
    assert run("check", "models/", "-p", "policies/").exit_code == 0
    monkeypatch.chdir(tmp_path)
    again = run("init", "team")
    assert again.exit_code == 2 and "would overwrite" in again.stderr and "--force" in again.stderr
    assert run("init", "team", "--force").exit_code == 0


def test_test_junit_is_valid_against_the_junit_schema(project):
    """The whole document, as check -f junit is validated (tests/formats/test_junit.py)."""
    from lxml import etree

    schema = etree.XMLSchema(
        etree.parse(str(Path(__file__).parent / "data" / "schemas" / "junit.xsd"))
    )
    for args in ([], ["--coverage"], ["--threshold", "100"]):
        text = run("test", "policies/", "-f", "junit", *args).stdout
        assert schema.validate(etree.fromstring(text.encode())), (args, schema.error_log)
