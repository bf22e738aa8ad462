"""SARIF within what GitHub code scanning accepts: a run of more than 25,000
results is rejected whole, so none of its alerts would show (SECURITY.md T-OUT-15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from policygate.formats import render
from policygate.formats.sarif import MAX_RESULTS
from policygate.report import ModelReport, PolicyUse, Report, Result, Status

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
NOW = "2026-11-26T00:00:00Z"


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return Draft4Validator(schema)


def model(name: str, *statuses: tuple[str, str]) -> ModelReport:
    results = tuple(
        Result(policy="p", rule=f"r-{status}", status=Status(status), severity=severity, item=i)
        for i, (status, severity) in enumerate(statuses)
    )
    return ModelReport(name, "1", f"{name}.yaml", False, (PolicyUse("p", True),), results)


def test_a_run_over_githubs_limit_keeps_a_result_for_every_failing_model():
    # the team's own record fails thousands of items first; the others fail once each
    flood = model("flood", *[("fail", "warning")] * (MAX_RESULTS + 10))
    quiet = model("quiet", ("pass", "error"), ("fail", "error"))
    broken = model("broken", ("error", "info"))
    waived = model("waived", ("waived", "error"))
    report = Report(now=NOW, fail_on="error", models=(flood, quiet, broken, waived))
    (run,) = json.loads(render(report, "sarif"))["runs"]
    assert len(run["results"]) == MAX_RESULTS
    models = [r["properties"]["model"] for r in run["results"]]
    assert {"quiet", "broken", "waived"} <= set(models)
    assert models[-3:] == ["quiet", "broken", "waived"]  # the report's order kept
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith("13 more results not listed")
    assert run["properties"]["passed"] is False


def test_within_the_limit_nothing_is_left_out():
    report = Report(now=NOW, fail_on="error", models=(model("m", *[("fail", "error")] * 7),))
    (run,) = json.loads(render(report, "sarif", max_results=7))["runs"]
    assert len(run["results"]) == 7
    assert "toolExecutionNotifications" not in run["invocations"][0]


def test_over_a_small_limit_the_findings_that_count_most_are_kept(validator):
    a = model("a", ("waived", "error"), ("fail", "info"), ("fail", "error"), ("error", "warning"))
    b = model("b", ("fail", "info"), ("waived", "error"))
    report = Report(now=NOW, fail_on="error", models=(a, b))
    log = json.loads(render(report, "sarif", max_results=3))
    assert not list(validator.iter_errors(log))
    (run,) = log["runs"]
    kept = [(r["properties"]["model"], r["properties"]["status"], r["properties"]["item"])
            for r in run["results"]]  # fmt: skip
    # each model's most serious finding (a's error, b's failure), then a's error-severity failure
    assert kept == [("a", "fail", 2), ("a", "error", 3), ("b", "fail", 0)]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("3 more results not listed")
