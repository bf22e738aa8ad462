"""SARIF 2.1.0: valid against the official schema, located, levelled, with the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from policygate.formats import render
from policygate.report import ModelReport, PolicyUse, Report, Result, Status

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def sarif(report: Report, validator: Draft4Validator) -> dict:
    log = json.loads(render(report, "sarif"))
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return log


def test_examples_validate_against_the_official_schema(example_report, validator):
    log = sarif(example_report, validator)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "policygate"
    assert run["invocations"] == [
        {"executionSuccessful": True, "exitCode": 1, "exitCodeDescription": "failed"}
    ]


def test_every_evaluated_rule_is_declared_with_help_and_controls(example_report, validator):
    (run,) = sarif(example_report, validator)["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r.rule_ref for m in example_report.models for r in m.results}
    gap = rules[ids.index("production-promotion/fairness.gap")]
    assert gap["shortDescription"]["text"] == "Fairness gaps within the allowed maximum"
    assert "Remediation: Mitigate" in gap["help"]["text"]
    assert "Controls: eu-ai-act:art-10" in gap["help"]["text"]
    assert gap["properties"]["tags"] == [
        "policygate", "fairness", "eu-ai-act:art-10", "iso-42001:A.5.4",
        "nist-ai-rmf:MEASURE-2", "nist-ai-rmf:MAP-5",
    ]  # fmt: skip
    assert gap["defaultConfiguration"]["level"] == "error"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_point_at_the_line_of_the_field_the_rule_read(example_report, validator):
    (run,) = sarif(example_report, validator)["runs"]
    located = {
        r["ruleId"]: (
            r["locations"][0]["physicalLocation"]["artifactLocation"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r.get("suppressions"),
        )
        for r in run["results"]
    }
    limit = "examples/models/credit-limit-fails-fairness-and-expired-approval.yaml"
    lines = (Path(__file__).resolve().parents[2] / limit).read_text().splitlines()
    artifact, line, suppressions = located["production-promotion/approval.required-roles"]
    assert artifact == {"uri": limit, "uriBaseId": "%SRCROOT%"}
    assert lines[line - 1].strip() == "- role: model-risk-officer"  # spec.approvals
    assert suppressions is None
    artifact, line, suppressions = located["production-promotion/fairness.gap"]
    assert "demographic_parity_difference" in lines[line - 1]
    assert suppressions[0]["kind"] == "external" and suppressions[0]["status"] == "accepted"
    assert "credit-limit-parity-2026q4" in suppressions[0]["justification"]
    # The skin-lesion record has no spec.fairness: the nearest field that exists.
    _, line, _ = located["production-promotion/fairness.assessed"]
    skin = Path(__file__).resolve().parents[2] / "examples/models"
    skin = skin / "image-classifier-fails-missing-fairness.yaml"
    assert line > 1 and skin.read_text().splitlines()[line - 2].startswith("spec:")


def result(status: str, severity: str, **kwargs) -> Result:
    return Result(policy="p", rule=f"r-{status}-{severity}", status=Status(status),
                  severity=severity, **kwargs)  # fmt: skip


@pytest.mark.parametrize(
    ("severity", "level"), [("error", "error"), ("warning", "warning"), ("info", "note")]
)
def test_level_follows_severity(severity, level, validator):
    results = (result("fail", severity), result("error", severity))
    model = ModelReport("m", "1", "m.yaml", severity != "error", (PolicyUse("p", True),), results)
    report = Report(now="2026-11-26T00:00:00Z", fail_on="error", models=(model,))
    (run,) = sarif(report, validator)["runs"]
    assert [r["level"] for r in run["results"]] == [level, level]
    assert [r["kind"] for r in run["results"]] == ["fail", "fail"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert run["invocations"][0]["exitCode"] == (1 if severity == "error" else 0)


def test_passes_and_skips_are_not_findings(validator):
    results = (result("pass", "error"), result("skip", "error"))
    model = ModelReport("m", "1", "m.yaml", True, (PolicyUse("p", True),), results)
    report = Report(now="2026-11-26T00:00:00Z", fail_on="error", models=(model,))
    (run,) = sarif(report, validator)["runs"]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == 2  # declared: code scanning can close alerts


def test_nothing_evaluated_reports_exit_2(validator):
    report = Report(now="2026-11-26T00:00:00Z", fail_on="error", models=())
    (run,) = sarif(report, validator)["runs"]
    invocation = run["invocations"][0]
    assert invocation["exitCode"] == 2 and invocation["executionSuccessful"] is False
    assert "no model found" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_hostile_text_is_valid_and_paths_are_uri_encoded(hostile_report, validator):
    (run,) = sarif(hostile_report, validator)["runs"]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "models/evil%20%3Cx%3E.yaml"
    assert location["region"]["startLine"] == 7
    markdown = run["tool"]["driver"]["rules"][0]["help"]["markdown"]
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown


def test_same_report_same_bytes(example_report):
    assert render(example_report, "sarif") == render(example_report, "sarif")


def test_the_schema_is_not_vacuous(example_report, validator):
    log = json.loads(render(example_report, "sarif"))
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(list(validator.iter_errors(log))) == 2
