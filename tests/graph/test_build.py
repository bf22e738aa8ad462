"""The networkx graph: nodes, edges and their relations, evidence through
maps_to, models and datasets added from a report, and lazy networkx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import policygate
from policygate.errors import ErrorGroup, PolicygateError
from policygate.graph import build_risk_graph, load_risk_registers
from policygate.graph.build import RELATIONS, evaluated_graph, load_risk_graph, training_data
from policygate.graph.catalogs import load_catalogs
from policygate.models import load_models, model_from_data

ROOT = Path(__file__).parent.parent.parent
NOW = "2026-11-26T00:00:00Z"

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  rules:
    - {id: a, check: "true", controls: [acme:A, eu-ai-act:art-10]}
    - {id: b, check: "true"}
"""
CATALOG = """\
apiVersion: policygate/v1
kind: ControlCatalog
metadata: {name: acme}
spec:
  framework: acme
  controls:
    - {id: A, title: A, maps_to: ["acme:B"]}
    - {id: B, title: B, maps_to: ["eu-ai-act:art-14"]}
    - {id: C, title: C}
"""
REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  risks:
    - {id: R-1, title: one, controls: [eu-ai-act:art-14, acme:C]}
    - {id: R-2, title: two}
"""


@pytest.fixture
def risk_graph(write):
    return build_risk_graph(
        load_risk_registers([write("reg.yaml", REGISTER)]),
        policygate.load_policies([write("p.yaml", POLICY)]),
        extra_catalogs=load_catalogs([write("acme.yaml", CATALOG)]),
    )


def edges(risk_graph, relation):
    return sorted((u, v) for u, v, r in risk_graph.graph.edges(data="relation") if r == relation)


def test_nodes_and_edges(risk_graph):
    graph = risk_graph.graph
    assert graph.nodes["risk:R-1"] == {
        "kind": "risk",
        "id": "R-1",
        "title": "one",
        "category": "",
        "likelihood": "",
        "impact": "",
        "inherent": "",
        "owner": "",
        "defined": True,
        "source": graph.nodes["risk:R-1"]["source"],
    }
    assert graph.nodes["risk:R-1"]["source"].endswith("reg.yaml:6:7")
    assert graph.nodes["control:eu-ai-act:art-14"]["framework"] == "eu-ai-act"
    assert graph.nodes["rule:p/b"]["kind"] == "rule"
    assert edges(risk_graph, "calls_for") == [
        ("risk:R-1", "control:acme:C"),
        ("risk:R-1", "control:eu-ai-act:art-14"),
    ]
    assert edges(risk_graph, "evidenced_by") == [
        ("control:acme:A", "rule:p/a"),
        ("control:eu-ai-act:art-10", "rule:p/a"),
    ]
    assert edges(risk_graph, "maps_to") == [
        ("control:acme:A", "control:acme:B"),
        ("control:acme:B", "control:eu-ai-act:art-14"),
    ]
    # every control of every catalog is a node, referenced or not
    assert sum(1 for _, k in graph.nodes(data="kind") if k == "control") == 20 + 38 + 91 + 3


def test_every_edge_joins_the_kinds_its_relation_names(risk_graph, write):
    records = [model_from_data({"name": "m", "spec": {"risks": ["R-1"],
               "lineage": {"training_data": [{"name": "d"}]}}})]  # fmt: skip
    report = policygate.evaluate(records, [], now=NOW, risk_graph=risk_graph)
    graph = risk_graph.with_models(report, records).graph
    relations = set()
    for u, v, relation in graph.edges(data="relation"):
        assert (graph.nodes[u]["kind"], graph.nodes[v]["kind"]) == RELATIONS[relation]
        relations.add(relation)
    assert relations == set(RELATIONS)


def test_evidence_sources_follow_maps_to_transitively(risk_graph):
    assert risk_graph.evidence_sources("eu-ai-act:art-14") == {
        "eu-ai-act:art-14",
        "acme:B",
        "acme:A",
    }
    assert risk_graph.evidence_sources("acme:A") == {"acme:A"}
    assert risk_graph.evidence_sources("nowhere:1") == {"nowhere:1"}


def test_reference_errors_are_raised_together(write):
    register = load_risk_registers([write("reg.yaml", REGISTER.replace("acme:C", "acme:D"))])
    catalogs = load_catalogs([write("acme.yaml", CATALOG.replace('["acme:B"]', '["acme:A"]'))])
    with pytest.raises(ErrorGroup) as caught:
        build_risk_graph(register, (), extra_catalogs=catalogs)
    assert [e.message.split(";")[0] for e in caught.value.errors] == [
        "maps_to cycle: acme:A -> acme:A",
        "unknown control id 'acme:D' in risk 'R-1'",
    ]


def test_load_risk_graph_checks_model_risks_with_the_references(write):
    model = write("m.yaml", "name: m\nrisks: [R-1, R-9]\n")
    register = write("reg.yaml", REGISTER.replace("acme:C", "acme:D"))
    with pytest.raises(ErrorGroup) as caught:
        load_risk_graph([register], records=load_models([model]))
    assert [str(e.location) for e in caught.value.errors] == [
        f"{model}:2:14",
        f"{register}:6:58",
    ]
    with pytest.raises(PolicygateError) as without_records:  # model risks are not checked
        load_risk_graph([register])
    assert "acme:D" in str(without_records.value) and "R-9" not in str(without_records.value)


def test_with_models_adds_models_risks_and_datasets(risk_graph, write):
    records = [
        model_from_data(
            {
                "metadata": {"name": "m", "version": "1"},
                "spec": {
                    "risks": ["R-1", "R-UNKNOWN"],
                    "lineage": {"training_data": [{"name": "d1", "version": 7}, {"name": "d2"}]},
                },
            },
            "m.yaml",
        ),
        model_from_data({"name": "n"}, "n.yaml"),
    ]
    report = policygate.evaluate(records, [], now=NOW, risk_graph=risk_graph)
    full = risk_graph.with_models(report, records)
    graph = full.graph
    assert graph.nodes["model:m@1"]["passed"] is False  # the unknown risk fails closed
    assert edges(full, "carries") == [("model:m@1", "risk:R-1"), ("model:m@1", "risk:R-UNKNOWN")]
    assert graph.nodes["risk:R-UNKNOWN"]["defined"] is False
    assert edges(full, "trained_on") == [("model:m@1", "dataset:d1"), ("model:m@1", "dataset:d2")]
    assert graph.edges["model:m@1", "dataset:d1"]["version"] == "7"
    assert "model:n" in graph
    assert "model:m@1" not in risk_graph.graph  # the original is untouched
    with pytest.raises(ValueError):
        risk_graph.with_models(report, records[:1])


def test_training_data_ignores_what_is_not_a_named_dataset():
    data = {
        "spec": {"lineage": {"training_data": [{"name": "a"}, {"version": "1"}, "b", {"name": ""}]}}
    }
    assert training_data(model_from_data(data)) == [("a", "")]
    assert training_data(model_from_data({"spec": {"lineage": "x"}})) == []


def test_evaluated_graph_on_the_shipped_examples():
    risk_graph, report = evaluated_graph(
        load_models([ROOT / "examples"]),
        policygate.load_policies([ROOT / "policies"]),
        load_risk_registers([ROOT / "examples" / "risk-register.yaml"]),
        now=NOW,
    )
    assert len(report.models) == 4 and report.risk_registers
    graph = risk_graph.graph
    assert graph.has_edge("model:skin-lesion-triage@2.0.0", "dataset:ham10000")
    assert graph.has_edge("model:credit-default@3.1.0", "risk:R-AUTOMATION-BIAS")
    assert graph.edges["model:credit-default@3.1.0", "risk:R-DISCRIMINATION"]["via"] == "record"


def test_networkx_is_imported_only_with_a_risk_register(tmp_path):
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from policygate.cli import main\n"
        "args = ['check', 'examples/', '-p', 'policies/', '--now', '2026-11-26T00:00:00Z']\n"
        "CliRunner().invoke(main, args + sys.argv[1:])\n"
        "print('networkx' in sys.modules)\n"
    )

    def run(*extra):
        done = subprocess.run(
            [sys.executable, "-c", code, *extra], cwd=ROOT, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        return done.stdout.strip().splitlines()[-1]

    assert run() == "False"
    assert run("--catalog", "examples/catalogs/") == "False"
    assert run("--risk-register", "examples/risk-register.yaml") == "True"
