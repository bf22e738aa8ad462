"""Tests as JUnit XML, for CI systems that show test results: one ``testsuite`` per
PolicyTest document, one ``testcase`` per test, a ``failure`` holding the diff.
With coverage, a rule branch no test exercised is a failed ``testcase`` of a
``coverage`` suite only when the run is below its threshold."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ..runner import TestRun
from .text import _diff


def render(
    run: TestRun, *, coverage: bool = False, threshold: float | None = None, **_: Any
) -> str:
    root = ET.Element("testsuites", name="policygate test")
    total = failures = 0
    for suite in run.suites:
        results = [
            r
            for r in run.results
            if r.case.suite == suite.name and r.case.location.path == suite.source
        ]
        failed = sum(1 for r in results if not r.passed)
        element = ET.SubElement(
            root,
            "testsuite",
            name=suite.name,
            tests=str(len(results)),
            failures=str(failed),
            errors="0",
            skipped="0",
            file=suite.source,
        )
        for result in results:
            case = ET.SubElement(
                element,
                "testcase",
                name=result.case.name,
                classname=suite.name,
                file=suite.source,
                line=str(result.case.location.line or 0),
            )
            if not result.passed:
                count = len(result.mismatches)
                failure = ET.SubElement(
                    case,
                    "failure",
                    type="expectation",
                    message=f"{count} expectation{'s' if count != 1 else ''} not met",
                )
                failure.text = (
                    "\n".join(line.strip() for m in result.mismatches for line in _diff(m)) + "\n"
                )
        total += len(results)
        failures += failed
    if coverage:
        cov = run.coverage
        below = run.below(threshold)
        element = ET.SubElement(
            root,
            "testsuite",
            name="coverage",
            tests=str(len(cov.rules)),
            failures="0",
            errors="0",
            skipped="0",
        )
        missing = 0
        for rule in cov.rules:
            case = ET.SubElement(element, "testcase", name=rule.ref, classname="coverage")
            if rule.missing and below:
                missing += 1
                ET.SubElement(
                    case,
                    "failure",
                    type="coverage",
                    message=f"not exercised: {', '.join(rule.missing)}",
                )
        element.set("failures", str(missing))
        total += len(cov.rules)
        failures += missing
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
