"""Hostile sizes of what a model team writes about risks (SECURITY.md): a
register with many risks and a record that names them all. Assessing a model
costs time in proportion to its risks, not to their square; the bound is CPU
time, as in test_bounded_loading.py (the machines are shared)."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

import policygate
from policygate.cli import main
from policygate.errors import LoadError
from policygate.graph import build_risk_graph
from policygate.graph.catalogs import all_catalogs
from policygate.graph.register import (
    Risk,
    RiskRegister,
    check_model_risks,
    check_register_controls,
    load_risk_registers,
)
from policygate.models import model_from_data

NOW = "2026-11-26T00:00:00Z"
POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: tiny, version: "1.0.0"}
spec:
  rules:
    - id: named
      title: The model has a name
      category: metadata
      check: model.metadata.name != ""
"""


def test_a_record_naming_many_risks_is_assessed_in_linear_time(tmp_path):
    count = 20_000
    ids = [f"R-{i}" for i in range(count)]
    register = RiskRegister(tuple(Risk(id=i, title="t") for i in ids), rating_scale=("low",))
    graph = build_risk_graph(register)
    path = tmp_path / "tiny.yaml"
    path.write_text(POLICY, encoding="utf-8")
    policies = policygate.load_policies([path])
    model = {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {"name": "many-risks", "version": "1"},
        "spec": {"risks": ids},
    }
    started = time.process_time()
    report = policygate.evaluate([model], policies, now=NOW, risk_graph=graph)
    seconds = time.process_time() - started
    assert [risk.id for risk in report.models[0].risks or ()] == sorted(ids)
    assert report.models[0].passed
    assert seconds < 2.0, f"took {seconds:.2f} s of CPU for {count} risks"


DUPLICATED = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: duplicated}
spec:
  risks:
    - id: R-DRIFT
      title: Drift
      controls:
        - eu-ai-act:art-10
        - eu-ai-act:art-10
"""


def test_a_control_a_risk_lists_twice_is_a_load_error_at_the_list(tmp_path):
    """One control repeated 95,000 times in a 2.5 MB register made every model's
    report repeat it: 23 MB of HTML per model, so gigabytes for a fleet. A risk
    calls for each control once, as a rule names it once."""
    path = tmp_path / "register.yaml"
    path.write_text(DUPLICATED, encoding="utf-8")
    with pytest.raises(LoadError) as raised:
        load_risk_registers([path])
    assert raised.value.code == "schema-invalid"
    assert raised.value.json_path == ("spec", "risks", 0, "controls")
    assert f"{path}:9:" in str(raised.value)


# --------------------------------------------------------------------------- limits

SMALL_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: small}
spec:
  rules:
    - {id: named, check: model.name != ""}
"""
SMALL_REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: padded}
spec:
  risks:
    - {id: R-1, title: One}
"""
PADDING = "# " + "x" * 4000 + "\n"  # a register over the 3000 bytes the run allows


def test_the_run_limits_bound_the_risk_registers_as_every_other_file(tmp_path):
    """``--limit max-file-bytes`` applies to every file read (policygate.limits):
    the risk registers too, which were loaded at the default limits whatever
    --limit or POLICYGATE_* said."""
    (tmp_path / "policy.yaml").write_text(SMALL_POLICY, encoding="utf-8")
    (tmp_path / "model.yaml").write_text("name: m\nversion: '1'\n", encoding="utf-8")
    register = tmp_path / "register.yaml"
    register.write_text(PADDING + SMALL_REGISTER, encoding="utf-8")
    args = [str(tmp_path / "model.yaml"), "-p", str(tmp_path / "policy.yaml"),
            "--risk-register", str(register), "--now", NOW]  # fmt: skip
    assert CliRunner().invoke(main, ["check", *args]).exit_code == 0
    result = CliRunner().invoke(main, ["check", *args, "--limit", "max-file-bytes=3000"])
    assert result.exit_code == 2, result.output
    assert f"{register}" in result.output and "3000" in result.output
    env = {"POLICYGATE_MAX_FILE_BYTES": "3000"}
    result = CliRunner().invoke(main, ["check", *args], env=env)
    assert result.exit_code == 2, result.output
    assert f"{register}" in result.output


def test_policy_tests_load_their_risk_registers_within_the_limits(tmp_path):
    (tmp_path / "policy.yaml").write_text(SMALL_POLICY, encoding="utf-8")
    register = tmp_path / "register.yaml"
    register.write_text(PADDING + SMALL_REGISTER, encoding="utf-8")
    tests = tmp_path / "policy_test.yaml"
    tests.write_text(
        "apiVersion: policygate/v1\nkind: PolicyTest\nmetadata: {name: t}\nspec:\n"
        "  policies: [policy.yaml]\n  risk_registers: [register.yaml]\n"
        "  model: {name: m, version: '1'}\n  now: '2026-11-26T00:00:00Z'\n"
        "  tests:\n    - {name: passes, expect: {passed: true}}\n",
        encoding="utf-8",
    )
    assert CliRunner().invoke(main, ["test", str(tests)]).exit_code == 0
    result = CliRunner().invoke(main, ["test", str(tests), "--limit", "max-file-bytes=3000"])
    assert result.exit_code == 2, result.output
    assert f"{register}" in result.output and "3000" in result.output


def test_the_graph_commands_load_the_risk_registers_within_the_limits(tmp_path):
    register = tmp_path / "register.yaml"
    register.write_text(PADDING + SMALL_REGISTER, encoding="utf-8")
    args = ["graph", "gaps", "--risk-register", str(register)]
    assert CliRunner().invoke(main, args).exit_code != 2
    result = CliRunner().invoke(main, args, env={"POLICYGATE_MAX_FILE_BYTES": "3000"})
    assert result.exit_code == 2, result.output
    assert f"{register}" in result.output and "3000" in result.output


# --------------------------------------------------------------------------- unknown ids


def test_thousands_of_unknown_control_ids_are_reported_in_linear_time():
    """Each unknown id got a difflib did-you-mean over every known id: 20,000 of
    them in one register took most of a minute. The first ones get a hint (an
    ErrorGroup prints twenty), every one its error."""
    count = 20_000
    controls = tuple(f"eu-ai-act:art-{i}x" for i in range(count))
    register = RiskRegister((Risk(id="R-1", title="t", controls=controls),))
    started = time.process_time()
    errors = check_register_controls(register, all_catalogs())
    seconds = time.process_time() - started
    assert len(errors) == count
    assert "did you mean" in errors[0].message
    assert seconds < 2.0, f"took {seconds:.2f} s of CPU for {count} unknown controls"


def test_thousands_of_unknown_risk_ids_in_a_record_are_reported_in_linear_time():
    count = 20_000
    register = RiskRegister(tuple(Risk(id=f"R-{i}", title="t") for i in range(300)))
    record = model_from_data(
        {
            "metadata": {"name": "m", "version": "1"},
            "spec": {"risks": [f"R-{i}x" for i in range(count)]},
        }  # fmt: skip
    )
    started = time.process_time()
    errors = check_model_risks([record], register)
    seconds = time.process_time() - started
    assert len(errors) == count
    assert "did you mean" in errors[0].message
    assert seconds < 2.0, f"took {seconds:.2f} s of CPU for {count} unknown risk ids"
