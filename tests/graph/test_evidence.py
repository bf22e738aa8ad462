"""Control states in the report: a model's risks, the controls they call for,
and satisfied / violated / waived / unverified from the evidence, including
evidence through maps_to and the engine's fail-closed results."""

from __future__ import annotations

import datetime as dt

import pytest

import policygate
from policygate.errors import UsageError
from policygate.graph import build_risk_graph, load_risk_registers
from policygate.graph.catalogs import load_catalogs
from policygate.report import ControlState, Status
from policygate.validation import shipped_validator
from policygate.waivers import Waiver

NOW = "2026-11-26T00:00:00Z"

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: p}
spec:
  rules:
    - id: fair
      check: model.gap <= 0.1
      controls: [eu-ai-act:art-10]
    - id: documented
      check: has(model.card)
      controls: [eu-ai-act:art-13, acme:DOC-1]
    - id: prod-only
      when: model.stage == "production"
      check: "true"
      controls: [eu-ai-act:art-72]
"""

CATALOG = """\
apiVersion: policygate/v1
kind: ControlCatalog
metadata: {name: acme}
spec:
  framework: acme
  controls:
    - id: DOC-1
      title: Documented
      maps_to: [eu-ai-act:art-11]
"""

REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: reg}
spec:
  risks:
    - id: R-BIAS
      title: Bias
      controls: [eu-ai-act:art-10]
    - id: R-OPAQUE
      title: Opaque
      controls: [eu-ai-act:art-11, eu-ai-act:art-14]
      applies_to: model.tier == "high"
    - id: R-DRIFT
      title: Drift
      controls: [eu-ai-act:art-72]
"""


@pytest.fixture
def setup(write):
    policies = policygate.load_policies([write("p.yaml", POLICY)])
    catalogs = load_catalogs([write("acme.yaml", CATALOG)])
    register = load_risk_registers([write("reg.yaml", REGISTER)])
    return policies, build_risk_graph(register, policies, extra_catalogs=catalogs)


def model(**fields):
    data = {"name": "m", "version": "1", "tier": "high", "gap": 0.05, "card": "x", "stage": "dev"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def evaluate(setup, data, **kwargs):
    policies, risk_graph = setup
    report = policygate.evaluate([data], policies, now=NOW, risk_graph=risk_graph, **kwargs)
    return report, report.models[0]


def states(model_report):
    return {c.id: c.status.value for c in model_report.controls}


def test_risks_from_record_and_selector(setup):
    _, m = evaluate(setup, model(risks=["R-BIAS", "R-DRIFT"]))
    assert [(r.id, r.via) for r in m.risks] == [
        ("R-BIAS", ("record",)),
        ("R-DRIFT", ("record",)),
        ("R-OPAQUE", ("applies_to",)),
    ]
    _, low = evaluate(setup, model(tier="low", risks=["R-OPAQUE"]))
    assert [(r.id, r.via) for r in low.risks] == [("R-OPAQUE", ("record",))]


def test_each_state_with_rules_risks_and_mapping(setup):
    report, m = evaluate(setup, model(gap=0.2, risks=["R-BIAS", "R-DRIFT"]))
    controls = {c.id: c for c in m.controls}
    assert states(m) == {
        "acme:DOC-1": "satisfied",  # named by a rule that passed; no risk calls for it
        "eu-ai-act:art-10": "violated",
        "eu-ai-act:art-11": "satisfied",  # through acme:DOC-1, which maps to it
        "eu-ai-act:art-13": "satisfied",
        "eu-ai-act:art-14": "unverified",  # called for, no rule names it
        "eu-ai-act:art-72": "unverified",  # called for, its only rule was skipped
    }
    art11 = controls["eu-ai-act:art-11"]
    assert art11.rules == ("p/documented",) and art11.via == ("acme:DOC-1",)
    assert art11.risks == ("R-OPAQUE",) and art11.title.startswith("Technical documentation")
    assert art11.framework == "eu-ai-act"
    assert controls["eu-ai-act:art-72"].rules == ("p/prod-only",)
    assert controls["acme:DOC-1"].risks == () and controls["acme:DOC-1"].title == "Documented"
    assert not m.passed
    shipped_validator("Report").validate(report.to_dict())


def test_waived_control(setup):
    waiver = Waiver(
        "w", "p/fair", ("m",), "accepted", "carol", dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    )
    _, m = evaluate(setup, model(gap=0.2, risks=["R-BIAS"]), waivers=[waiver])
    assert states(m)["eu-ai-act:art-10"] == "waived"
    assert m.passed


def test_report_json_carries_risks_and_control_details(setup):
    report, _ = evaluate(setup, model(risks=["R-BIAS"]))
    data = report.to_dict()
    assert [r["name"] for r in data["risk_registers"]] == ["reg"]
    first = data["models"][0]
    assert list(first)[-2:] == ["risks", "controls"]
    assert first["risks"][0] == {
        "id": "R-BIAS",
        "title": "Bias",
        "category": "",
        "likelihood": "",
        "impact": "",
        "inherent": "",
        "residual": "",
        "owner": "",
        "via": ["record"],
        "controls": ["eu-ai-act:art-10"],
    }
    art10 = next(c for c in first["controls"] if c["id"] == "eu-ai-act:art-10")
    assert art10 == {
        "id": "eu-ai-act:art-10",
        "status": "satisfied",
        "rules": ["p/fair"],
        "title": "Data and data governance",
        "framework": "eu-ai-act",
        "risks": ["R-BIAS"],
        "via": [],
    }
    shipped_validator("Report").validate(data)


def test_without_a_register_the_report_is_unchanged(setup):
    policies, _ = setup
    report = policygate.evaluate([model()], policies, now=NOW)
    data = report.to_dict()
    assert "risk_registers" not in data
    assert "risks" not in data["models"][0]
    assert all(set(c) == {"id", "status", "rules"} for c in data["models"][0]["controls"])
    # a control whose rules were all skipped stays listed, as before
    assert {c.id: c.status for c in report.models[0].controls}["eu-ai-act:art-72"] is (
        ControlState.UNVERIFIED
    )


def engine_results(m, rule=None):
    return [r for r in m.results if r.policy == "policygate" and (rule is None or r.rule == rule)]


def test_require_evidence_fails_a_high_risk_model_on_unverified_controls(setup):
    _, m = evaluate(
        setup, model(risks=["R-BIAS"], spec={"risk_tier": "high"}), require_evidence=True
    )
    [missing] = engine_results(m, "evidence.required")
    assert missing.status is Status.FAIL and missing.item == "eu-ai-act:art-14"
    assert missing.message == (
        "no evaluated rule gives evidence for eu-ai-act:art-14 (Human oversight), "
        "which the model's risks call for (R-OPAQUE)"
    )
    assert missing.controls == ()  # the missing evidence does not violate the control
    assert states(m)["eu-ai-act:art-14"] == "unverified"
    assert not m.passed


def test_require_evidence_spares_other_tiers_and_respects_fail_on(setup):
    _, limited = evaluate(
        setup, model(risks=["R-OPAQUE"], spec={"risk_tier": "limited"}), require_evidence=True
    )
    assert engine_results(limited) == [] and limited.passed
    _, never = evaluate(
        setup, model(risks=["R-BIAS"], spec={"risk_tier": "high"}), require_evidence=True,
        fail_on="never",
    )  # fmt: skip
    assert engine_results(never, "evidence.required") and never.passed


def test_require_evidence_needs_a_register(setup):
    policies, _ = setup
    with pytest.raises(UsageError):
        policygate.evaluate([model()], policies, now=NOW, require_evidence=True)


def test_unknown_risk_on_a_model_fails_closed(setup):
    _, m = evaluate(setup, model(risks=["R-NOPE"]))
    [error] = engine_results(m)
    assert (error.rule, error.status, error.item) == ("risks.declared", Status.ERROR, "R-NOPE")
    assert error.message == "risk 'R-NOPE' is not defined in the risk register"
    assert not m.passed


def test_malformed_risks_fail_closed(setup):
    _, m = evaluate(setup, model(risks="R-BIAS"))
    [error] = engine_results(m)
    assert (error.rule, error.message) == ("risks.declared", "risks must be a list of risk ids")


def test_undecidable_selector_is_an_error_and_the_risk_applies(setup):
    _, m = evaluate(setup, model(tier=None))
    [error] = engine_results(m)
    assert (error.rule, error.item, error.status) == ("risks.applies_to", "R-OPAQUE", Status.ERROR)
    assert error.message.startswith("cannot decide whether risk R-OPAQUE applies: ")
    assert [r.id for r in m.risks] == ["R-OPAQUE"]
    assert "eu-ai-act:art-14" in states(m)
    assert not m.passed


def test_engine_results_are_not_waivable(setup):
    waiver = Waiver(
        "w", "*", ("*",), "everything", "x", dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    )
    _, m = evaluate(setup, model(risks=["R-NOPE"]), waivers=[waiver])
    assert [r.status for r in engine_results(m)] == [Status.ERROR]


def test_gate_takes_the_risk_graph(setup):
    policies, risk_graph = setup
    with pytest.raises(policygate.GateFailed):
        policygate.gate(
            model(risks=["R-BIAS"], spec={"risk_tier": "high"}), policies, now=NOW,
            risk_graph=risk_graph, require_evidence=True,
        )  # fmt: skip
    report = policygate.gate(model(risks=["R-BIAS"]), policies, now=NOW, risk_graph=risk_graph)
    assert report.passed and report.models[0].risks is not None
