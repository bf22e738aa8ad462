"""Tests as JUnit XML, for CI systems that show test results: one ``testsuite`` per
PolicyTest document, one ``testcase`` per test, a ``failure`` holding the diff.
With coverage, a rule branch no test exercised is a failed ``testcase`` of a
``coverage`` suite only when the run is below its threshold."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ...formats.junit import close_suite, document, testcase, testsuite
from ...timestamps import format_timestamp, utc_now
from ..runner import TestRun
from .text import _diff


def render(
    run: TestRun, *, coverage: bool = False, threshold: float | None = None, **_: Any
) -> str:
    """Valid against the Ant JUnit schema, as ``check -f junit`` is: the suite's
    timestamp is when the tests ran, and each test's file and line are in its
    failure and in the suite's output (the schema's test cases have no place)."""
    now = format_timestamp(utc_now())
    root = ET.Element("testsuites")
    for index, suite in enumerate(run.suites):
        results = [
            r
            for r in run.results
            if r.case.suite == suite.name and r.case.location.path == suite.source
        ]
        failed = sum(1 for r in results if not r.passed)
        element = testsuite(suite.name, package=f"policygate.test.{suite.name}", index=index,
                            now=now, counts=(len(results), failed, 0, 0),
                            properties=[("file", suite.source)])  # fmt: skip
        lines = []
        for result in results:
            where = f"{suite.source}:{result.case.location.line or 0}"
            case = testcase(result.case.name, suite.name)
            element.append(case)
            lines.append(f"{'PASSED' if result.passed else 'FAILED'} {result.case.name} ({where})")
            if not result.passed:
                count = len(result.mismatches)
                failure = ET.SubElement(
                    case,
                    "failure",
                    type="expectation",
                    message=f"{count} expectation{'s' if count != 1 else ''} not met",
                )
                diff = (line.strip() for m in result.mismatches for line in _diff(m))
                failure.text = f"at {where}\n" + "\n".join(diff) + "\n"
        close_suite(element, "\n".join(lines))
        root.append(element)
    if coverage:
        cov = run.coverage
        below = run.below(threshold)
        missing = sum(1 for rule in cov.rules if rule.missing and below)
        element = testsuite("coverage", package="policygate.test.coverage",
                            index=len(run.suites), now=now,
                            counts=(len(cov.rules), missing, 0, 0),
                            properties=[("percent", f"{cov.percent:.2f}")])  # fmt: skip
        for rule in cov.rules:
            case = testcase(rule.ref, "coverage")
            element.append(case)
            if rule.missing and below:
                ET.SubElement(
                    case,
                    "failure",
                    type="coverage",
                    message=f"not exercised: {', '.join(rule.missing)}",
                )
        close_suite(element, f"coverage: {cov.percent:.2f}%")
        root.append(element)
    return document(root)
