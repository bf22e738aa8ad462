"""gaps, impact and coverage on a small graph with exact answers, and their
text and JSON renderings."""

from __future__ import annotations

import json

import pytest

import policygate
from policygate.errors import UsageError
from policygate.graph import load_risk_registers
from policygate.graph.build import evaluated_graph
from policygate.graph.catalogs import load_catalogs
from policygate.graph.queries import coverage, gaps, impact, resolve_node
from policygate.graph.render import coverage_text, gaps_text, impact_text, to_json
from policygate.models import model_from_data

NOW = "2026-11-26T00:00:00Z"

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  rules:
    - {id: fair, check: model.gap <= 0.1, controls: [eu-ai-act:art-10]}
    - {id: doc, check: "true", controls: [acme:DOC-1]}
"""
CATALOG = """\
apiVersion: policygate/v1
kind: ControlCatalog
metadata: {name: acme, title: ACME}
spec:
  framework: acme
  controls:
    - {id: DOC-1, title: Documented, maps_to: ["eu-ai-act:art-11"]}
"""
REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  risks:
    - {id: R-BIAS, title: Bias, controls: [eu-ai-act:art-10]}
    - {id: R-OPAQUE, title: Opaque, controls: [eu-ai-act:art-11, eu-ai-act:art-14]}
    - {id: R-OPEN, title: Open}
"""


def record(name, gap, risks, data=()):
    spec = {"risks": list(risks), "lineage": {"training_data": [{"name": d} for d in data]}}
    return model_from_data({"metadata": {"name": name, "version": "1"}, "gap": gap, "spec": spec})


@pytest.fixture
def graph_and_report(write):
    return evaluated_graph(
        [
            record("good", 0.05, ["R-BIAS", "R-OPAQUE"], ["shared", "own"]),
            record("bad", 0.3, ["R-BIAS"], ["shared"]),
            record("odd", 0.0, ["R-GHOST"]),
        ],
        policygate.load_policies([write("p.yaml", POLICY)]),
        load_risk_registers([write("reg.yaml", REGISTER)]),
        extra_catalogs=load_catalogs([write("acme.yaml", CATALOG)]),
        now=NOW,
    )


def test_gaps(graph_and_report):
    risk_graph, _ = graph_and_report
    found = gaps(risk_graph)
    assert not found.empty
    assert [(g.risk, g.title) for g in found.risks_without_controls] == [("R-OPEN", "Open")]
    assert found.risks_without_controls[0].source.endswith("reg.yaml:8:7")
    assert [(g.control, g.risks) for g in found.controls_without_evidence] == [
        ("eu-ai-act:art-14", ("R-OPAQUE",))
    ]  # art-11 is evidenced through acme:DOC-1
    assert [(g.model, g.risks) for g in found.models_with_unknown_risks] == [
        ("odd@1", ("R-GHOST",))
    ]
    assert gaps_text(found).splitlines() == [
        "risks with no control (1)",
        f"  R-OPEN  Open  {found.risks_without_controls[0].source}",
        "controls called for that no rule gives evidence for (1)",
        "  eu-ai-act:art-14  Human oversight  (called for by R-OPAQUE)",
        "models with risks outside the register (1)",
        "  odd@1  R-GHOST  <memory>",
    ]
    assert json.loads(to_json(found))["controls_without_evidence"] == [
        {"control": "eu-ai-act:art-14", "title": "Human oversight", "risks": ["R-OPAQUE"]}
    ]


def test_impact_of_a_rule_reaches_up_to_models(graph_and_report):
    risk_graph, _ = graph_and_report
    found = impact(risk_graph, "rule:p/doc")
    assert found.affected == {
        "control": ("acme:DOC-1", "eu-ai-act:art-11"),
        "risk": ("R-OPAQUE",),
        "model": ("good@1",),
    }
    assert impact_text(found) == (
        "rule:p/doc reaches 4 nodes\n"
        "  models (1): good@1\n"
        "  risks (1): R-OPAQUE\n"
        "  controls (2): acme:DOC-1, eu-ai-act:art-11\n"
    )


def test_impact_of_a_dataset_reaches_down_to_controls(graph_and_report):
    risk_graph, _ = graph_and_report
    assert impact(risk_graph, "dataset:shared").affected == {
        "model": ("bad@1", "good@1"),
        "risk": ("R-BIAS", "R-OPAQUE"),
        "control": ("eu-ai-act:art-10", "eu-ai-act:art-11", "eu-ai-act:art-14"),
    }
    assert impact(risk_graph, "dataset:own").affected["model"] == ("good@1",)


def test_impact_of_a_risk_and_a_control(graph_and_report):
    risk_graph, _ = graph_and_report
    assert impact(risk_graph, "R-BIAS").affected == {
        "model": ("bad@1", "good@1"),
        "control": ("eu-ai-act:art-10",),
    }
    assert impact(risk_graph, "acme:DOC-1").affected == {
        "control": ("eu-ai-act:art-11",),
        "risk": ("R-OPAQUE",),
        "model": ("good@1",),
    }
    assert json.loads(to_json(impact(risk_graph, "risk:R-OPEN"))) == {
        "node": "risk:R-OPEN",
        "affected": {"model": [], "risk": [], "control": []},
    }


def test_resolve_node(graph_and_report):
    risk_graph, _ = graph_and_report
    assert resolve_node(risk_graph, "risk:R-BIAS") == "risk:R-BIAS"
    assert resolve_node(risk_graph, "eu-ai-act:art-10") == "control:eu-ai-act:art-10"
    assert resolve_node(risk_graph, "good@1") == "model:good@1"
    with pytest.raises(UsageError) as caught:
        resolve_node(risk_graph, "R-BIASS")
    assert caught.value.message == "no node 'R-BIASS' in the graph; did you mean 'risk:R-BIAS'?"
    with pytest.raises(UsageError) as nothing:
        resolve_node(risk_graph, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
    assert "nodes are named model:ID, risk:ID, control:ID, rule:ID, dataset:ID" in str(
        nothing.value
    )


def test_resolve_node_ambiguous(write):
    risk_graph, _ = evaluated_graph(
        [
            model_from_data(
                {"name": "shared", "spec": {"lineage": {"training_data": [{"name": "shared"}]}}}
            )
        ],
        [],
        None,
        now=NOW,
    )
    with pytest.raises(UsageError) as caught:
        resolve_node(risk_graph, "shared")
    assert caught.value.message == "'shared' is ambiguous: dataset:shared, model:shared"


def test_coverage(graph_and_report):
    risk_graph, report = graph_and_report
    found = coverage(risk_graph, report, "eu-ai-act")
    assert found.title.startswith("EU AI Act")
    assert [c.id for c in found.controls][:4] == [
        "eu-ai-act:art-6",
        "eu-ai-act:art-8",
        "eu-ai-act:art-9",
        "eu-ai-act:art-10",
    ]  # catalog order
    rows = {c.id: c for c in found.controls}
    art10 = rows["eu-ai-act:art-10"]
    assert (art10.called_for_by, art10.rules) == (("R-BIAS",), ("p/fair",))
    # odd@1 carries no risk calling for art-10, but a rule naming it was evaluated
    assert art10.models == {"satisfied": ("good@1", "odd@1"), "violated": ("bad@1",)}
    assert rows["eu-ai-act:art-11"].rules == ("p/doc",)
    assert rows["eu-ai-act:art-11"].models == {"satisfied": ("good@1",)}
    assert rows["eu-ai-act:art-14"].models == {"unverified": ("good@1",)}
    assert found.summary() == {
        "controls": 20,
        "called_for": 3,
        "evidenced": 2,
        "satisfied": 2,
        "violated": 1,
        "waived": 0,
        "unverified": 1,
    }
    data = json.loads(to_json(found))
    assert data["controls"][3] == {
        "id": "eu-ai-act:art-10",
        "title": "Data and data governance",
        "called_for_by": ["R-BIAS"],
        "rules": ["p/fair"],
        "satisfied": ["good@1", "odd@1"],
        "violated": ["bad@1"],
        "waived": [],
        "unverified": [],
    }


def test_coverage_text(graph_and_report):
    risk_graph, report = graph_and_report
    lines = coverage_text(coverage(risk_graph, report, "acme")).splitlines()
    assert lines == [
        "acme: ACME",
        "1 controls · 0 called for by a risk · 1 evidenced by a rule · 0 violated · 0 unverified",
        "",
        "CONTROL  RULES  SATISFIED  VIOLATED  WAIVED  UNVERIFIED  CALLED FOR BY  TITLE",
        "DOC-1        1          3         0       0           0  -              Documented",
    ]
    text = coverage_text(coverage(risk_graph, report, "eu-ai-act"))
    assert text.endswith(
        "\nviolated (an evidencing rule failed or errored, unwaived):\n"
        "  art-10  Data and data governance: bad@1\n"
        "\n"
        "unverified (no evaluated rule gives evidence):\n"
        "  art-14  Human oversight: good@1\n"
    )


def test_coverage_of_an_unknown_framework(graph_and_report):
    risk_graph, report = graph_and_report
    with pytest.raises(UsageError) as caught:
        coverage(risk_graph, report, "eu-ai")
    assert caught.value.message == (
        "unknown framework 'eu-ai' (known: acme, eu-ai-act, iso-42001, nist-ai-rmf)"
    )
