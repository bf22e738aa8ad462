"""Hostile sizes of what a model team writes about risks (SECURITY.md): a
register with many risks and a record that names them all. Assessing a model
costs time in proportion to its risks, not to their square; the bound is CPU
time, as in test_bounded_loading.py (the machines are shared)."""

from __future__ import annotations

import time

import policygate
from policygate.graph import build_risk_graph
from policygate.graph.register import Risk, RiskRegister

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
