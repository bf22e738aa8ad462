"""Tests for the JSON report (SPEC §6): exact layout, schema-valid, byte-stable."""

from __future__ import annotations

import json

from policygate.formats import render
from policygate.report import (
    ModelReport,
    PolicyRef,
    PolicyUse,
    Report,
    Result,
    Status,
    WaiverUse,
    control_statuses,
)
from policygate.validation import shipped_validator

NOW = "2026-11-26T00:00:00Z"

RESULTS = (
    Result(
        policy="production-promotion",
        rule="performance.auc",
        status=Status.FAIL,
        severity="error",
        title="AUC at or above the promotion threshold",
        category="performance",
        message="AUC 0.71 on holdout-2026q2 is below 0.8",
        item=0,
        controls=("eu-ai-act:art-15",),
        remediation="Retrain.",
    ),
    Result(
        policy="production-promotion",
        rule="fairness.gap",
        status=Status.WAIVED,
        severity="error",
        title="Gap",
        category="fairness",
        message="gap",
        item="sex",
        waiver=WaiverUse("w", "w.yaml", "RA-1", "carol@example.com", "2027-01-01T00:00:00Z", False),
    ),
)

REPORT = Report(
    now=NOW,
    fail_on="error",
    models=(
        ModelReport(
            name="credit-default",
            version="3.1.0",
            source="examples/models/credit-default.yaml",
            passed=False,
            policies=(PolicyUse("production-promotion", True),),
            results=RESULTS,
            controls=control_statuses(RESULTS),
        ),
    ),
    policies=(PolicyRef("production-promotion", "1.0.0", "p.yaml", "sha256:" + "a" * 64),),
)

EXPECTED = {
    "report_version": 1,
    "policygate_version": "0.1.0",
    "now": "2026-11-26T00:00:00Z",
    "engine": "policygate",
    "passed": False,
    "fail_on": "error",
    "summary": {
        "models": 1,
        "passed": 0,
        "failed": 1,
        "results": {"pass": 0, "fail": 1, "error": 0, "skip": 0, "waived": 1},
    },
    "policies": [
        {
            "name": "production-promotion",
            "version": "1.0.0",
            "source": "p.yaml",
            "digest": "sha256:" + "a" * 64,
            "params": {},
        }
    ],
    "models": [
        {
            "name": "credit-default",
            "version": "3.1.0",
            "source": "examples/models/credit-default.yaml",
            "passed": False,
            "policies": [{"name": "production-promotion", "applicable": True}],
            "results": [
                {
                    "policy": "production-promotion",
                    "rule": "performance.auc",
                    "title": "AUC at or above the promotion threshold",
                    "category": "performance",
                    "severity": "error",
                    "status": "fail",
                    "message": "AUC 0.71 on holdout-2026q2 is below 0.8",
                    "item": 0,
                    "controls": ["eu-ai-act:art-15"],
                    "remediation": "Retrain.",
                    "waiver": None,
                },
                {
                    "policy": "production-promotion",
                    "rule": "fairness.gap",
                    "title": "Gap",
                    "category": "fairness",
                    "severity": "error",
                    "status": "waived",
                    "message": "gap",
                    "item": "sex",
                    "controls": [],
                    "remediation": "",
                    "waiver": {
                        "name": "w",
                        "source": "w.yaml",
                        "justification": "RA-1",
                        "approved_by": "carol@example.com",
                        "expires_at": "2027-01-01T00:00:00Z",
                        "expired": False,
                    },
                },
            ],
            "controls": [
                {
                    "id": "eu-ai-act:art-15",
                    "status": "violated",
                    "rules": ["production-promotion/performance.auc"],
                }
            ],
        }
    ],
}


def test_json_report_layout():
    assert json.loads(render(REPORT, "json")) == EXPECTED


def test_json_report_is_indented_and_ends_with_a_newline():
    text = render(REPORT, "json")
    assert text == json.dumps(EXPECTED, indent=2, ensure_ascii=False) + "\n"


def test_json_report_validates_against_the_shipped_schema():
    shipped_validator("Report").validate(json.loads(render(REPORT, "json")))


def test_json_ignores_text_options():
    assert render(REPORT, "json", color=True, verbose=True) == render(REPORT, "json")


def test_empty_report():
    data = json.loads(render(Report(now=NOW, fail_on="never", models=()), "json"))
    assert data["passed"] is False
    assert data["models"] == []
    assert data["summary"]["models"] == 0
    shipped_validator("Report").validate(data)
