"""Tests for the command line (SPEC §5): exact exit codes and output.

click 8.2+ keeps stderr apart in CliRunner: ``result.stdout`` is the report,
``result.stderr`` the messages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate import __version__
from policygate.cli import main
from policygate.validation import shipped_validator

ROOT = Path(__file__).parent.parent
NOW = "2026-11-26T00:00:00Z"

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  params:
    min_auc: 0.8
  rules:
    - id: auc
      check: model.metrics.auc >= params.min_auc
      message: 'AUC {model.metrics.auc} is below {params.min_auc}'
    - id: owner
      severity: warning
      check: model.owner != ""
"""

GOOD = "name: good\nversion: '1'\nowner: team\nmetrics: {auc: 0.9}\n"
BAD = "name: bad\nversion: '2'\nowner: team\nmetrics: {auc: 0.7}\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A working directory with policies/, models/good.yaml and models/bad.yaml."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "gate.yaml").write_text(POLICY)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, input: str | bytes | None = None):
    result = CliRunner().invoke(main, list(args), input=input)
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


def check(*args: str, **kwargs):
    return run("check", *args, "--now", NOW, **kwargs)


# --------------------------------------------------------------------------- exit codes


def test_pass_exits_0(project):
    result = check("models/good.yaml", "-p", "policies/")
    assert result.exit_code == 0
    assert result.stdout == (
        "PASSED  good@1  models/good.yaml\n"
        "  2 pass, 0 fail, 0 error, 0 skip, 0 waived\n"
        "\n"
        "1 model, 1 passed, 0 failed · 2 pass, 0 fail, 0 error, 0 skip, 0 waived\n"
    )
    assert result.stderr == ""


def test_fail_exits_1(project):
    result = check("models/", "bad.yaml", "-p", "policies/gate.yaml")
    assert result.exit_code == 1
    assert result.stdout == (
        "FAILED  bad@2  bad.yaml\n"
        "  FAIL   gate/auc (error)\n"
        "         AUC 0.7 is below 0.8\n"
        "  1 pass, 1 fail, 0 error, 0 skip, 0 waived\n"
        "\n"
        "PASSED  good@1  models/good.yaml\n"
        "  2 pass, 0 fail, 0 error, 0 skip, 0 waived\n"
        "\n"
        "2 models, 1 passed, 1 failed · 3 pass, 1 fail, 0 error, 0 skip, 0 waived\n"
    )
    assert result.stderr == ""


def test_no_model_found_exits_2(project):
    (project / "empty").mkdir()
    result = check("empty/", "-p", "policies/")
    assert result.exit_code == 2
    assert result.stderr == "policygate: error: nothing evaluated: no model found\n"
    assert result.stdout.endswith(
        "0 models, 0 passed, 0 failed · 0 pass, 0 fail, 0 error, 0 skip, 0 waived\n"
    )


def test_no_policy_found_exits_2(project):
    (project / "empty").mkdir()
    result = check("models/", "-p", "empty/")
    assert result.exit_code == 2
    assert result.stderr == "policygate: error: no policy found in empty/\n"
    assert result.stdout == ""


def test_no_applicable_rule_exits_2(project):
    (project / "policies" / "gate.yaml").write_text(
        POLICY.replace("  params:", "  applies_to: model.name == 'nobody'\n  params:")
    )
    result = check("models/", "-p", "policies/")
    assert result.exit_code == 2
    assert "nothing evaluated: no rule applies to any model" in result.stderr
    assert "policygate/applicability" in result.stdout


def test_fail_on(project):
    (project / "models" / "anon.yaml").write_text("name: anon\nowner: ''\nmetrics: {auc: 0.9}\n")
    args = ("models/anon.yaml", "-p", "policies/")
    assert check(*args).exit_code == 0
    assert check(*args, "--fail-on", "error").exit_code == 0
    assert check(*args, "--fail-on", "warning").exit_code == 1
    assert check("bad.yaml", "-p", "policies/", "--fail-on", "never").exit_code == 0
    bogus = check(*args, "--fail-on", "sometimes")
    assert bogus.exit_code == 2
    assert "Invalid value for '--fail-on'" in bogus.stderr


def test_missing_field_is_an_error_result(project):
    (project / "models" / "nometrics.yaml").write_text("name: nometrics\nowner: x\n")
    result = check("models/nometrics.yaml", "-p", "policies/")
    assert result.exit_code == 1
    assert (
        "  ERROR  gate/auc (error)\n         cannot evaluate check: no such key: model.metrics\n"
        in result.stdout
    )


# --------------------------------------------------------------------------- output options


def test_json_format(project):
    result = check("models/", "bad.yaml", "-p", "policies/", "-f", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    shipped_validator("Report").validate(data)
    assert data["now"] == NOW
    assert data["summary"] == {
        "models": 2,
        "passed": 1,
        "failed": 1,
        "results": {"pass": 3, "fail": 1, "error": 0, "skip": 0, "waived": 0},
    }
    assert [(m["name"], m["source"], m["passed"]) for m in data["models"]] == [
        ("good", "models/good.yaml", True),
        ("bad", "bad.yaml", False),
    ]


def test_output_file_and_nothing_on_stdout(project):
    result = check("bad.yaml", "-p", "policies/", "-f", "json", "-o", "report.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ""
    data = json.loads((project / "report.json").read_text())
    assert data["passed"] is False
    assert [p.name for p in project.iterdir() if p.name.startswith(".report")] == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_report_files_get_ordinary_permissions(project):
    (project / "plain.txt").write_text("")
    ordinary = (project / "plain.txt").stat().st_mode & 0o777
    check("models/", "-p", "policies/", "-o", "new.txt", "--report", "json=new.json")
    assert (project / "new.txt").stat().st_mode & 0o777 == ordinary
    assert (project / "new.json").stat().st_mode & 0o777 == ordinary
    (project / "new.txt").chmod(0o640)
    check("models/", "-p", "policies/", "-o", "new.txt")
    assert (project / "new.txt").stat().st_mode & 0o777 == 0o640


def test_extra_reports_besides_stdout(project):
    result = check(
        "models/", "-p", "policies/", "--report", "json=out/r.json", "--report", "text=r.txt"
    )
    assert result.exit_code == 2  # out/ does not exist
    assert (
        result.stderr == "policygate: error: out/r.json: cannot write: No such file or directory\n"
    )
    (project / "out").mkdir()
    result = check(
        "models/", "-p", "policies/", "--report", "json=out/r.json", "--report", "text=r.txt"
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("PASSED  good@1")
    assert json.loads((project / "out" / "r.json").read_text())["passed"] is True
    assert (project / "r.txt").read_text() == result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("bogus=x", "unknown format 'bogus'"),
        ("json", "expected FORMAT=PATH"),
        ("=x", "expected FORMAT=PATH"),
        ("json=", "expected FORMAT=PATH"),
    ],
)
def test_bad_report_option_exits_2(project, value, message):
    result = check("models/", "-p", "policies/", "--report", value)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_unknown_format_exits_2(project):
    result = check("models/", "-p", "policies/", "-f", "pdf")
    assert result.exit_code == 2
    assert "Invalid value for '-f' / '--format'" in result.stderr


def test_quiet(project):
    passing = check("models/", "-p", "policies/", "-q")
    assert (passing.exit_code, passing.stdout, passing.stderr) == (0, "", "")
    failing = check("bad.yaml", "-p", "policies/", "--quiet")
    assert failing.exit_code == 1
    assert failing.stdout.startswith("FAILED  bad@2  bad.yaml\n")


def test_quiet_still_writes_report_files(project):
    result = check("models/", "-p", "policies/", "-q", "--report", "json=r.json")
    assert (result.exit_code, result.stdout) == (0, "")
    assert json.loads((project / "r.json").read_text())["passed"] is True


def test_verbose_lists_passing_results(project):
    result = check("models/", "-p", "policies/", "-v")
    assert "  PASS   gate/auc (error)\n" in result.stdout
    assert "  PASS   gate/owner (warning)\n" in result.stdout


def test_color_flags(project):
    assert "\x1b[" in check("bad.yaml", "-p", "policies/", "--color").stdout
    assert "\x1b[" not in check("bad.yaml", "-p", "policies/", "--no-color").stdout
    assert "\x1b[" not in check("bad.yaml", "-p", "policies/").stdout  # not a tty


# -------------------------------------------------------------------- params, now, inputs, waivers


def test_param_override_changes_the_outcome(project):
    assert check("bad.yaml", "-p", "policies/", "--param", "min_auc=0.6").exit_code == 0
    result = check("models/", "-p", "policies/", "--param", "min_auc=0.95")
    assert result.exit_code == 1
    assert "AUC 0.9 is below 0.95" in result.stdout


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("max_auc=0.9", "unknown param max_auc (the loaded policies declare: min_auc)"),
        ("min_auc=[0.9", "--param min_auc: value does not parse"),
        ("min_auc", "expected NAME=VALUE"),
        ("=0.9", "expected NAME=VALUE"),
        ("min-auc=0.9", "is not a parameter name"),
    ],
)
def test_bad_param_exits_2(project, param, message):
    result = check("models/", "-p", "policies/", "--param", param)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith("policygate: error: ")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "now", ["yesterday", "2026-11-26", "2026-11-26T00:00:00", "2026-02-30T00:00:00Z"]
)
def test_bad_now_exits_2(project, now):
    result = run("check", "models/", "-p", "policies/", "--now", now)
    assert result.exit_code == 2
    assert result.stderr.startswith("policygate: error: now: ")
    assert result.stdout == ""


def test_now_decides_expiry(project):
    (project / "policies" / "gate.yaml").write_text(
        POLICY + "    - id: fresh\n      check: timestamp(model.approved_until) > now\n"
    )
    (project / "models" / "good.yaml").write_text(GOOD + "approved_until: '2026-12-01T00:00:00Z'\n")
    before = run("check", "models/", "-p", "policies/", "--now", "2026-11-30T23:59:59Z")
    after = run("check", "models/", "-p", "policies/", "--now", "2026-12-01T00:00:00Z")
    assert (before.exit_code, after.exit_code) == (0, 1)


def test_input_is_visible_as_inputs_name(project):
    (project / "policies" / "gate.yaml").write_text(
        POLICY + "    - id: registered\n      check: model.name in inputs.registry.models\n"
    )
    (project / "registry.yaml").write_text("models: [good]\n")
    result = check(
        "models/", "bad.yaml", "-p", "policies/", "--input", "registry=registry.yaml", "-f", "json"
    )
    data = json.loads(result.stdout)
    registered = {
        m["name"]: r["status"]
        for m in data["models"]
        for r in m["results"]
        if r["rule"] == "registered"
    }
    assert registered == {"good": "pass", "bad": "fail"}
    without = check("models/", "-p", "policies/")
    assert without.exit_code == 1
    assert "no such key: inputs.registry" in without.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("registry", "expected NAME=PATH"),
        ("registry=nope.yaml", "nope.yaml: no such file or directory"),
    ],
)
def test_bad_input_exits_2(project, value, message):
    result = check("models/", "-p", "policies/", "--input", value)
    assert result.exit_code == 2
    assert message in result.stderr


WAIVER = """\
apiVersion: policygate/v1
kind: Waiver
metadata: {{name: {name}}}
spec:
  rule: gate/auc
  models: ["bad@2"]
  justification: Retraining scheduled.
  approved_by: carol@example.com
  expires_at: "{expires}"
"""


def test_waivers(project):
    (project / "waivers").mkdir()
    (project / "waivers" / "w.yaml").write_text(
        WAIVER.format(name="auc-q4", expires="2026-12-31T00:00:00Z")
    )
    result = check("bad.yaml", "-p", "policies/", "--waivers", "waivers/")
    assert result.exit_code == 0
    assert result.stdout == (
        "PASSED  bad@2  bad.yaml\n"
        "  WAIVED gate/auc (error)\n"
        "         AUC 0.7 is below 0.8\n"
        "         waiver auc-q4 (until 2026-12-31T00:00:00Z, carol@example.com)\n"
        "  1 pass, 0 fail, 0 error, 0 skip, 1 waived\n"
        "\n"
        "1 model, 1 passed, 0 failed · 1 pass, 0 fail, 0 error, 0 skip, 1 waived\n"
    )


def test_expired_waiver(project):
    (project / "w.yaml").write_text(WAIVER.format(name="auc-q3", expires="2026-10-01T00:00:00Z"))
    result = check("bad.yaml", "-p", "policies/", "--waivers", "w.yaml")
    assert result.exit_code == 1
    assert (
        "  FAIL   gate/auc (error)\n"
        "         AUC 0.7 is below 0.8 (waiver 'auc-q3' expired 2026-10-01T00:00:00Z)\n"
        "         waiver auc-q3 (expired 2026-10-01T00:00:00Z, carol@example.com)\n"
    ) in result.stdout


def test_waiver_without_expiry_exits_2(project):
    (project / "w.yaml").write_text(
        WAIVER.format(name="x", expires="").replace('  expires_at: ""\n', "")
    )
    result = check("bad.yaml", "-p", "policies/", "--waivers", "w.yaml")
    assert result.exit_code == 2
    assert "expires_at" in result.stderr
    assert result.stderr.startswith("policygate: error: w.yaml:")


# --------------------------------------------------------------------- inputs from files and stdin


def test_stdin_model(project):
    result = check("-", "-p", "policies/", input=BAD)
    assert result.exit_code == 1
    assert result.stdout.startswith("FAILED  bad@2  <stdin>\n")


def test_stdin_json_model(project):
    result = check(
        "-",
        "-p",
        "policies/",
        "-f",
        "json",
        input=json.dumps({"name": "j", "owner": "o", "metrics": {"auc": 1}}),
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["models"][0]["source"] == "<stdin>"


def test_missing_path_exits_2(project):
    result = check("models/nope.yaml", "-p", "policies/")
    assert result.exit_code == 2
    assert result.stderr == "policygate: error: models/nope.yaml: no such file or directory\n"
    assert result.stdout == ""
    result = check("models/", "-p", "nowhere/")
    assert result.exit_code == 2
    assert "nowhere/" in result.stderr


def test_bad_yaml_in_a_model_names_file_line_col(project):
    (project / "models" / "broken.yaml").write_text("name: broken\nmetrics: {auc: 0.9\nowner: x\n")
    result = check("models/", "-p", "policies/")
    assert result.exit_code == 2
    assert result.stderr.startswith("policygate: error: models/broken.yaml:3:")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_cel_in_a_policy_names_file_line_col(project):
    (project / "policies" / "gate.yaml").write_text(
        POLICY.replace(">= params.min_auc", ">= (params.min_auc")
    )
    result = check("models/", "-p", "policies/")
    assert result.exit_code == 2
    assert result.stderr.startswith("policygate: error: policies/gate.yaml:9:")
    assert "CEL" in result.stderr
    assert "Traceback" not in result.stderr


def test_several_load_errors_are_all_reported(project):
    (project / "models" / "a.yaml").write_text("- 1\n")
    (project / "models" / "b.yaml").write_text("- 2\n")
    result = check("models/", "-p", "policies/")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("policygate: error: models/a.yaml:1:1: ")
    assert lines[1].startswith("models/b.yaml:1:1: ")


def test_unwritable_output_path_exits_2(project):
    (project / "dir").mkdir()
    result = check("models/", "-p", "policies/", "-o", "dir")
    assert result.exit_code == 2
    assert result.stderr == "policygate: error: dir: cannot write: Is a directory\n"
    assert [p.name for p in project.iterdir() if p.name.endswith(".tmp")] == []


def test_there_is_no_engine_switch(project):
    result = check("models/", "-p", "policies/", "--engine", "cel-python")
    assert result.exit_code == 2
    assert "No such option '--engine'" in result.stderr


def test_usage_errors_exit_2(project):
    assert run("check", "models/").exit_code == 2  # -p is required
    assert run("check", "-p", "policies/").exit_code == 2  # a model is required
    assert run("nonsense").exit_code == 2


# --------------------------------------------------------------------------- version, help, README


def test_version():
    result = run("--version")
    assert (result.exit_code, result.stdout) == (0, f"policygate, version {__version__}\n")


def test_python_m_policygate_version():
    completed = subprocess.run(
        [sys.executable, "-m", "policygate", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0
    assert completed.stdout == f"policygate, version {__version__}\n"


def test_help():
    result = run("check", "--help")
    assert result.exit_code == 0
    assert "--fail-on" in result.stdout


def test_readme_example(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("check", "examples/", "-p", "policies/", "--now", NOW)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    for name in ("credit-default", "churn-predictor"):
        assert any(line.startswith(f"PASSED  {name}@") for line in lines), name
    for name in ("credit-limit", "skin-lesion-triage"):
        assert any(line.startswith(f"FAILED  {name}@") for line in lines), name
    assert lines[-1].startswith("4 models, 2 passed, 2 failed · ")
    assert result.stderr == ""


def test_readme_example_with_the_waiver(monkeypatch):
    monkeypatch.chdir(ROOT)
    model = "examples/models/credit-limit-fails-fairness-and-expired-approval.yaml"
    args = ["-p", "policies/", "--waivers", "examples/waivers/", "--now", NOW, "-f", "json"]
    result = run("check", model, *args)
    assert result.exit_code == 1
    (model,) = json.loads(result.stdout)["models"]
    flagged = {
        (r["policy"], r["rule"], r["status"])
        for r in model["results"]
        if r["status"] in ("fail", "error", "waived")
    }
    assert flagged == {
        ("production-promotion", "fairness.gap", "waived"),
        ("production-promotion", "approval.required-roles", "fail"),
    }
