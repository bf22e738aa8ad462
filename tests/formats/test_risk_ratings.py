"""Every report format shows both risk ratings (inherent and residual) of every
model's risks (SPEC §12), and stays valid against its schema with them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from lxml import etree

from policygate import evaluate, load_models, load_policies, load_waivers
from policygate.formats import render
from policygate.graph import build_risk_graph, load_risk_registers
from policygate.report import ModelReport, PolicyUse, Report, Result, RiskUse, Status
from policygate.validation import shipped_validator

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "data" / "schemas"
NOW = "2026-11-26T00:00:00Z"
HOSTILE = '<script>x</script> ::error::forged %0A\nsecond line \x00\x1b[31m @octo-org #12 |'


@pytest.fixture(scope="module")
def rated() -> Report:
    """The shipped examples with the shipped register and waiver."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        policies = load_policies(["policies/"])
        graph = build_risk_graph(load_risk_registers(["examples/risk-register.yaml"]), policies)
        report = evaluate(
            load_models(["examples/models/"]),
            policies,
            waivers=load_waivers(["examples/waivers/"]),
            now=NOW,
            risk_graph=graph,
        )
    finally:
        os.chdir(cwd)
    return report


def pairs(report: Report) -> list[tuple[ModelReport, RiskUse]]:
    return [(m, r) for m in report.models for r in m.risks or ()]


def test_the_examples_have_rated_risks_lowered_and_not(rated):
    found = {(r.inherent, r.residual) for _, r in pairs(rated)}
    assert all(inherent and residual for inherent, residual in found)
    assert any(i == r for i, r in found) and any(i != r for i, r in found)


def test_text_shows_both_ratings_per_model(rated):
    text = render(rated, "text")
    sections = text.split("\n\n")
    for model in rated.models:
        (section,) = [s for s in sections if f"  {model.ref}  " in s.splitlines()[0]]
        for risk in model.risks or ():
            assert f"{risk.inherent} → {risk.residual}" in section
            line = next(x for x in section.splitlines() if f"  {risk.id}  " in x + "  ")
            assert line.strip().startswith(f"{risk.inherent} → {risk.residual}")


def test_text_lists_the_worst_residual_first():
    risks = (
        RiskUse("R-LOW", "low one", inherent="medium", residual="low"),
        RiskUse("R-NONE", "unrated one"),
        RiskUse("R-TOP", "top one", inherent="critical", residual="critical"),
        RiskUse("R-MID", "mid one", inherent="critical", residual="high"),
    )
    text = render(_report(risks), "text")
    assert (
        "  risks: 4 (inherent → residual)\n"
        "    critical → critical  R-TOP   top one\n"
        "    critical → high      R-MID   mid one\n"
        "    medium → low         R-LOW   low one\n"
        "    unrated              R-NONE  unrated one\n"
    ) in text


def test_markdown_has_a_risk_table_per_model(rated):
    text = render(rated, "markdown")
    for model, risk in pairs(rated):
        section = text.split(f"### {model.ref} ")[1].split("\n### ")[0]
        row = next(x for x in section.splitlines() if x.startswith(f"| {risk.id} |"))
        assert row.split(" | ")[1:3] == [risk.inherent, risk.residual]


def test_json_has_both_ratings_and_validates_against_the_shipped_schema(rated):
    data = json.loads(render(rated, "json"))
    shipped_validator("Report").validate(data)
    assert data["rating_scale"] == ["low", "medium", "high", "critical"]
    for model, risk in pairs(rated):
        found = next(m for m in data["models"] if m["name"] == model.name)
        entry = next(r for r in found["risks"] if r["id"] == risk.id)
        assert (entry["inherent"], entry["residual"]) == (risk.inherent, risk.residual)


def test_junit_has_rating_properties_and_system_out(rated):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "junit.xsd")))
    root = etree.fromstring(render(rated, "junit").encode("utf-8"))
    assert schema.validate(root), schema.error_log
    for model in rated.models:
        (suite,) = [s for s in root.iter("testsuite") if s.get("name") == model.ref]
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["rating_scale"] == "low, medium, high, critical"
        out = suite.find("system-out").text
        for risk in model.risks or ():
            assert props[f"risk.{risk.id}.inherent"] == risk.inherent
            assert props[f"risk.{risk.id}.residual"] == risk.residual
            assert f"risk {risk.id}: {risk.inherent} → {risk.residual}" in out.splitlines()


def test_sarif_has_the_ratings_in_the_run_property_bag(rated):
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    log = json.loads(render(rated, "sarif"))
    errors = list(Draft4Validator(schema).iter_errors(log))
    assert not errors, errors[0].message if errors else ""
    properties = log["runs"][0]["properties"]
    assert properties["ratingScale"] == ["low", "medium", "high", "critical"]
    by_model = {(e["model"], e["modelVersion"]): e["risks"] for e in properties["riskRatings"]}
    for model, risk in pairs(rated):
        entry = next(r for r in by_model[(model.name, model.version)] if r["id"] == risk.id)
        assert (entry["inherent"], entry["residual"]) == (risk.inherent, risk.residual)


def test_sarif_without_a_register_has_no_ratings(example_report):
    properties = json.loads(render(example_report, "sarif"))["runs"][0]["properties"]
    assert "ratingScale" not in properties and "riskRatings" not in properties


def test_github_gives_one_ratings_notice_per_model(rated):
    lines = render(rated, "github").splitlines()
    for model in rated.models:
        (notice,) = [
            x
            for x in lines
            if x.startswith("::notice ") and f"title={model.ref}%3A risk ratings" in x
        ]
        message = notice.split("::", 2)[2]
        for risk in model.risks or ():
            assert f"{risk.id}: {risk.inherent} → {risk.residual}" in message.split("%0A")


def test_html_risk_table_shows_both_ratings(rated):
    page = render(rated, "html")
    for _, risk in pairs(rated):
        assert risk.inherent in page and risk.residual in page
    assert "Inherent" in page and "Residual" in page


def _report(risks: tuple[RiskUse, ...], title: str = "") -> Report:
    model = ModelReport(
        name="m", version="1", source="m.yaml", passed=True,
        policies=(PolicyUse("p", True),),
        results=(Result(policy="p", rule="ok", status=Status.PASS),),
        risks=risks,
    )  # fmt: skip
    return Report(
        now=NOW, fail_on="error", models=(model,), risk_registers=(),
        rating_scale=("low", "medium", "high", "critical"),
    )  # fmt: skip


@pytest.mark.parametrize("name", ["text", "markdown", "github"])
def test_a_hostile_risk_title_stays_inert(name):
    risks = (RiskUse("R-X", HOSTILE, inherent="high", residual="medium"),)
    out = render(_report(risks), name)
    assert "\x1b" not in out and "\x00" not in out
    if name == "markdown":
        assert "<script>" not in out
    assert all(not x.startswith(("second line", "::error")) for x in out.splitlines())
