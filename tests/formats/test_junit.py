"""JUnit XML: valid against the Ant JUnit XSD, one suite per model, statuses as readers expect."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from policygate.formats import render
from policygate.report import (
    ModelReport,
    PolicyUse,
    Report,
    Result,
    Status,
    WaiverUse,
    control_statuses,
)

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"


def small_report(*models: ModelReport) -> Report:
    return Report(now="2026-11-26T00:00:00Z", fail_on="error", models=models)


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "junit.xsd")))


def validate(schema: etree.XMLSchema, text: str) -> etree._Element:
    document = etree.fromstring(text.encode("utf-8"))
    assert schema.validate(document), schema.error_log
    return document


def test_examples_validate_against_the_junit_schema(example_report, junit_schema):
    root = validate(junit_schema, render(example_report, "junit"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [m.ref for m in example_report.models]
    for suite, model in zip(suites, example_report.models, strict=True):
        assert len(suite.findall("testcase")) == len(model.results)
        counts = model.counts()
        assert suite.get("failures") == str(counts["fail"])
        assert suite.get("errors") == str(counts["error"])
        assert suite.get("skipped") == str(counts["skip"] + counts["waived"])
        assert suite.get("timestamp") == "2026-11-26T00:00:00"


def test_hostile_text_stays_valid_xml(hostile_report, junit_schema):
    text = render(hostile_report, "junit")
    root = validate(junit_schema, text)
    assert "\x00" not in text and "\x1b" not in text
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert "<script>" in failure.get("message")  # escaped in the file, intact once parsed
    assert "<script>" not in text


SEVERE = Result(
    policy="p", rule="auc", status=Status.FAIL, message="AUC 0.7 < 0.8", item=0,
    controls=("eu-ai-act:art-15",), remediation="Retrain.", title="AUC",
)  # fmt: skip
WARN_ERROR = Result(policy="p", rule="owner", status=Status.ERROR, severity="warning",
                    message="no such key: owner", error_code="no-such-key")  # fmt: skip
WAIVED = Result(
    policy="p", rule="gap", status=Status.WAIVED, message="gap 0.18",
    waiver=WaiverUse("w1", "w.yaml", "Retraining planned.", "carol@example.com",
                     "2027-01-01T00:00:00Z", False),
)  # fmt: skip
SKIPPED = Result(policy="p", rule="later", status=Status.SKIP, message="when is false")
PASSED = Result(policy="p", rule="ok", status=Status.PASS)

EXPECTED = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="m@1" package="policygate.m" id="0" timestamp="2026-11-26T00:00:00" \
hostname="localhost" tests="5" failures="1" errors="1" skipped="2" time="0">
    <properties>
      <property name="model" value="m" />
      <property name="version" value="1" />
      <property name="source" value="m.yaml" />
      <property name="passed" value="false" />
      <property name="now" value="2026-11-26T00:00:00Z" />
      <property name="fail_on" value="error" />
      <property name="policygate_version" value="0.1.0" />
      <property name="control.eu-ai-act:art-15" value="violated" />
    </properties>
    <testcase name="p/auc[0]" classname="m@1.p" time="0">
      <failure type="error" message="AUC 0.7 &lt; 0.8">fail (error): AUC 0.7 &lt; 0.8
rule: AUC
controls: eu-ai-act:art-15
fix: Retrain.</failure>
    </testcase>
    <testcase name="p/owner" classname="m@1.p" time="0">
      <error type="no-such-key" message="no such key: owner">error (warning): \
no such key: owner</error>
    </testcase>
    <testcase name="p/gap" classname="m@1.p" time="0">
      <skipped message="waived by w1 until 2027-01-01T00:00:00Z (carol@example.com): \
Retraining planned.">waived (error): waived by w1 until 2027-01-01T00:00:00Z \
(carol@example.com): Retraining planned.
finding: gap 0.18</skipped>
    </testcase>
    <testcase name="p/later" classname="m@1.p" time="0">
      <skipped message="when is false">skip (error): when is false</skipped>
    </testcase>
    <testcase name="p/ok" classname="m@1.p" time="0" />
    <system-out>FAILED m@1 (m.yaml)</system-out>
    <system-err />
  </testsuite>
</testsuites>
"""


def test_each_status_maps_to_its_junit_element(junit_schema):
    results = (SEVERE, WARN_ERROR, WAIVED, SKIPPED, PASSED)
    model = ModelReport("m", "1", "m.yaml", False, (PolicyUse("p", True),), results,
                        control_statuses(results))  # fmt: skip
    text = render(small_report(model), "junit")
    assert text == EXPECTED
    validate(junit_schema, text)


def test_no_model_still_gives_a_valid_document(junit_schema):
    text = render(small_report(), "junit")
    validate(junit_schema, text)
    # not an empty <testsuites />, which a reader shows as nothing failed
    assert '<error type="nothing-evaluated" message="nothing evaluated: no model found">' in text
