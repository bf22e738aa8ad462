"""The risk register: loading, schema, selectors, and its references as load
errors with file:line:col (unknown control ids, unknown risk ids on models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policygate.errors import ErrorGroup, LoadError, PolicygateError, SchemaError
from policygate.graph.catalogs import shipped_catalogs
from policygate.graph.register import (
    check_model_risks,
    check_register_controls,
    declared_risks,
    load_risk_registers,
)
from policygate.models import load_models, model_from_data

ROOT = Path(__file__).parent.parent.parent

REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg, version: "2026.1"}
spec:
  risks:
    - id: R-BIAS
      title: Biased outcomes
      description: Groups are treated differently.
      category: fairness
      likelihood: likely
      impact: major
      owner: risk-office
      controls: [eu-ai-act:art-10, iso-42001:A.5.4]
    - id: R-HIGH
      title: High-risk obligations
      applies_to: 'model.spec.risk_tier == "high"'
      controls: [eu-ai-act:art-14]
    - id: R-OPEN
      title: Not treated yet
"""


def test_load_register(write):
    path = write("reg.yaml", REGISTER)
    register = load_risk_registers([path])
    assert register.ids() == ["R-BIAS", "R-HIGH", "R-OPEN"]
    bias = register.risk("R-BIAS")
    assert bias is not None
    assert (bias.title, bias.category, bias.likelihood, bias.impact, bias.owner) == (
        "Biased outcomes",
        "fairness",
        "likely",
        "major",
        "risk-office",
    )
    assert bias.controls == ("eu-ai-act:art-10", "iso-42001:A.5.4")
    assert bias.applies_to is None
    assert str(bias.location) == f"{path}:6:7"
    high = register.risk("R-HIGH")
    assert high is not None and high.applies_to is not None
    assert high.applies_to.text == 'model.spec.risk_tier == "high"'
    assert register.risk("R-NONE") is None
    [document] = register.documents
    assert (document.name, document.version, document.source) == ("reg", "2026.1", str(path))
    assert document.digest.startswith("sha256:") and len(document.digest) == 71
    assert check_register_controls(register, shipped_catalogs()) == []


def test_registers_in_a_directory_merge(write):
    write("regs/a.yaml", REGISTER)
    write(
        "regs/b.yaml",
        """\
        apiVersion: policygate/v1
        kind: RiskRegister
        metadata: {name: other}
        spec:
          risks:
            - {id: R-EXTRA, title: Extra}
        """,
    )
    register = load_risk_registers([write("regs/a.yaml", REGISTER).parent])
    assert register.ids() == ["R-BIAS", "R-HIGH", "R-OPEN", "R-EXTRA"]
    assert [d.name for d in register.documents] == ["reg", "other"]


def test_schema_violation_names_file_line_column_and_path(write):
    path = write("reg.yaml", REGISTER.replace("likelihood: likely", "likelihood: [often]"))
    with pytest.raises(SchemaError) as caught:
        load_risk_registers([path])
    assert str(caught.value) == (
        f"{path}:10:19: must be of type ['string', 'integer'], got array "
        "(at $.spec.risks[0].likelihood)"
    )


def test_duplicate_risk_id_is_an_error_at_the_second(write):
    path = write("reg.yaml", REGISTER.replace("id: R-OPEN", "id: R-BIAS"))
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert str(caught.value) == (
        f"{path}:18:11: duplicate risk id 'R-BIAS' (first defined at {path}:6:11)"
    )


def test_selector_syntax_error_points_into_the_expression(write):
    path = write("reg.yaml", REGISTER.replace('== "high"', '== = "high"'))
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([path])
    assert str(caught.value) == (
        f"{path}:16:44: CEL syntax error: unexpected character '=' in applies_to"
    )
    assert "CEL" in str(caught.value) and "applies_to" in str(caught.value)


def test_other_kinds_and_empty_paths_are_errors(write, tmp_path):
    waiver = write(
        "w.yaml",
        """\
        apiVersion: policygate/v1
        kind: Waiver
        metadata: {name: w}
        spec: {rule: a/b, models: [m], justification: j, approved_by: x, expires_at: "2030-01-01"}
        """,
    )
    with pytest.raises(PolicygateError) as caught:
        load_risk_registers([waiver])
    assert str(caught.value) == f"{waiver}:1:1: expected a RiskRegister document, found Waiver"
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError) as caught_empty:
        load_risk_registers([tmp_path / "empty"])
    assert caught_empty.value.message == f"no RiskRegister document found in {tmp_path / 'empty'}"


def test_unknown_control_in_register_points_at_the_entry(write):
    path = write("reg.yaml", REGISTER.replace("iso-42001:A.5.4]", "iso-42001:A.5.44]"))
    [error] = check_register_controls(load_risk_registers([path]), shipped_catalogs())
    assert str(error) == (
        f"{path}:13:36: unknown control id 'iso-42001:A.5.44' in risk 'R-BIAS'; "
        "did you mean 'iso-42001:A.5.4'?"
    )


# --------------------------------------------------------------------------- models' risks


def record(data, source="m.yaml"):
    return model_from_data(data, source)


def test_declared_risks_canonical_untyped_and_absent():
    assert [r for r, _ in declared_risks(record({"spec": {"risks": ["A", "B"]}}))] == ["A", "B"]
    assert [r for r, _ in declared_risks(record({"risks": ["C"]}))] == ["C"]
    assert declared_risks(record({"spec": {}})) == ()
    assert declared_risks(record({"spec": {"risks": None}})) == ()
    with pytest.raises(LoadError) as caught:
        declared_risks(record({"spec": {"risks": "R-A"}}))
    assert caught.value.message == "spec.risks must be a list of risk ids"


def test_unknown_risk_on_a_model_points_at_the_list_entry(write):
    register = load_risk_registers([write("reg.yaml", REGISTER)])
    model = write(
        "m.yaml",
        """\
        apiVersion: policygate/v1
        kind: ModelRecord
        metadata: {name: m, version: "1"}
        spec:
          risks: [R-BIAS, R-BIASS, R-ZZZ]
        """,
    )
    errors = check_model_risks(load_models([model]), register)
    assert [str(e) for e in errors] == [
        f"{model}:5:19: unknown risk id 'R-BIASS' in model m@1: no risk register defines it; "
        "did you mean 'R-BIAS'?",
        f"{model}:5:28: unknown risk id 'R-ZZZ' in model m@1: no risk register defines it",
    ]


def test_malformed_risks_on_an_untyped_model_is_a_load_error(write):
    register = load_risk_registers([write("reg.yaml", REGISTER)])
    model = write("m.yaml", "name: m\nrisks: {R-BIAS: true}\n")
    [error] = check_model_risks(load_models([model]), register)
    assert str(error) == f"{model}:2:8: risks must be a list of risk ids"


def test_shipped_register_is_valid_and_names_shipped_controls():
    register = load_risk_registers([ROOT / "examples" / "risk-register.yaml"])
    assert check_register_controls(register, shipped_catalogs()) == []
    assert check_model_risks(load_models([ROOT / "examples"]), register) == []
    assert "R-MISUSE" in register.ids()


def test_errors_are_collected_together_sorted_by_location(write):
    bad_schema = REGISTER.replace("likelihood: likely", "likelihood: often")
    bad_selector = REGISTER.replace("R-", "S-").replace('== "high"', "==")
    path = write("reg.yaml", bad_schema + "---\n" + bad_selector)
    with pytest.raises(ErrorGroup) as caught:
        load_risk_registers([path])
    assert [(e.location.line if e.location else None) for e in caught.value.errors] == [10, 36]
