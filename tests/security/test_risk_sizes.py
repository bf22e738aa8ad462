"""Hostile sizes of what a model team writes about risks (SECURITY.md): a
register with many risks and a record that names them all. Assessing a model
costs time in proportion to its risks, not to their square; the bound is CPU
time, as in test_bounded_loading.py (the machines are shared)."""

from __future__ import annotations

import time

import pytest

import policygate
from policygate.errors import LoadError
from policygate.graph import build_risk_graph
from policygate.graph.register import Risk, RiskRegister, load_risk_registers

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
