"""Exports: exact DOT, Mermaid and JSON for a small graph; GraphML read back
by networkx; byte-identical across processes; the registry is the CLI's choice."""

from __future__ import annotations

import json

import networkx as nx
import pytest

import policygate
from policygate.errors import UsageError
from policygate.graph import load_risk_registers
from policygate.graph.build import evaluated_graph
from policygate.graph.export import EXPORTERS, export
from policygate.models import model_from_data

NOW = "2026-11-26T00:00:00Z"

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  rules:
    - {id: fair, title: 'Fair "enough"', check: "true", controls: [eu-ai-act:art-10]}
"""
REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  risks:
    - {id: R-BIAS, title: Bias, controls: [eu-ai-act:art-10]}
"""


@pytest.fixture
def risk_graph(write):
    record = model_from_data(
        {
            "metadata": {"name": "m", "version": "1"},
            "spec": {"risks": ["R-BIAS", "R-X"], "lineage": {"training_data": [{"name": "d"}]}},
        },
        "m.yaml",
    )
    graph, _ = evaluated_graph(
        [record],
        policygate.load_policies([write("p.yaml", POLICY)]),
        load_risk_registers([write("reg.yaml", REGISTER)]),
        now=NOW,
    )
    return graph


def test_dot(risk_graph):
    assert export(risk_graph, "dot") == (
        "digraph policygate {\n"
        "  rankdir=LR;\n"
        '  node [fontname="Helvetica"];\n'
        '  "model:m@1" [label="m@1", shape=box];\n'
        '  "risk:R-BIAS" [label="R-BIAS", shape=hexagon, tooltip="Bias"];\n'
        '  "risk:R-X" [label="R-X", shape=hexagon, style=dashed];\n'
        '  "control:eu-ai-act:art-10" [label="eu-ai-act:art-10", shape=ellipse, '
        'tooltip="Data and data governance"];\n'
        '  "rule:p/fair" [label="p/fair", shape=note, tooltip="Fair \\"enough\\""];\n'
        '  "dataset:d" [label="d", shape=cylinder];\n'
        '  "model:m@1" -> "risk:R-BIAS" [label="carries"];\n'
        '  "model:m@1" -> "risk:R-X" [label="carries"];\n'
        '  "model:m@1" -> "dataset:d" [label="trained_on"];\n'
        '  "risk:R-BIAS" -> "control:eu-ai-act:art-10" [label="calls_for"];\n'
        '  "control:eu-ai-act:art-10" -> "rule:p/fair" [label="evidenced_by"];\n'
        "}\n"
    )


def test_mermaid(risk_graph):
    assert export(risk_graph, "mermaid") == (
        "flowchart LR\n"
        '  n0["model: m@1"]\n'
        '  n1{{"risk: R-BIAS"}}\n'
        '  n2{{"risk: R-X"}}\n'
        '  n3(["control: eu-ai-act:art-10"])\n'
        '  n4[["rule: p/fair"]]\n'
        '  n5[("dataset: d")]\n'
        "  n0 -->|carries| n1\n"
        "  n0 -->|carries| n2\n"
        "  n0 -->|trained_on| n5\n"
        "  n1 -->|calls_for| n3\n"
        "  n3 -->|evidenced_by| n4\n"
    )


def test_json(risk_graph):
    data = json.loads(export(risk_graph, "json"))
    assert [n["node"] for n in data["nodes"]] == [
        "model:m@1",
        "risk:R-BIAS",
        "risk:R-X",
        "control:eu-ai-act:art-10",
        "rule:p/fair",
        "dataset:d",
    ]
    assert data["nodes"][0] == {
        "node": "model:m@1",
        "kind": "model",
        "id": "m@1",
        "name": "m",
        "passed": False,
        "source": "m.yaml",
        "version": "1",
    }
    assert data["edges"][2] == {
        "source": "model:m@1",
        "target": "dataset:d",
        "relation": "trained_on",
        "version": "",
    }


def test_graphml_reads_back(risk_graph):
    text = export(risk_graph, "graphml")
    graph = nx.parse_graphml(text)
    assert set(graph.edges) == set(risk_graph.graph.edges)  # isolated controls are left out
    assert len(graph) == 6
    assert graph.nodes["risk:R-X"]["defined"] is False
    assert graph.edges["risk:R-BIAS", "control:eu-ai-act:art-10"]["relation"] == "calls_for"


def test_unknown_format_is_an_error(risk_graph):
    with pytest.raises(UsageError) as caught:
        export(risk_graph, "png")
    assert (
        caught.value.message == "unknown export format 'png' (known: dot, mermaid, graphml, json)"
    )


def test_registry_covers_the_formats_the_issue_names():
    assert list(EXPORTERS) == ["dot", "mermaid", "graphml", "json"]
