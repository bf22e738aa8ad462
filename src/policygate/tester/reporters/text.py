"""Tests for people: failures with a diff of expected and actual, then the counts
(``tests: 11 passed, 1 failed``), then coverage when asked for."""

from __future__ import annotations

from typing import Any

from ..runner import Mismatch, TestResult, TestRun


def render(
    run: TestRun,
    *,
    coverage: bool = False,
    verbose: bool = False,
    threshold: float | None = None,
    **_: Any,
) -> str:
    lines: list[str] = []
    for result in run.results:
        if verbose or not result.passed:
            lines.extend(_test(result))
    if lines:
        lines.append("")
    lines.append(f"tests: {len(run.results) - run.failed} passed, {run.failed} failed")
    if coverage:
        lines.extend(coverage_lines(run, verbose=verbose, threshold=threshold))
    return "\n".join(lines) + "\n"


def coverage_lines(
    run: TestRun, *, verbose: bool = False, threshold: float | None = None
) -> list[str]:
    cov = run.coverage
    lines = [f"coverage: {cov.percent:.2f}% ({cov.covered} of {cov.total} rule branches)"]
    width = max((len(r.ref) for r in cov.rules), default=0)
    for rule in cov.rules:
        if rule.missing:
            lines.append(f"  {rule.ref:<{width}}  not exercised: {', '.join(rule.missing)}")
        elif verbose:
            lines.append(f"  {rule.ref:<{width}}  {', '.join(rule.covered)}")
    if run.below(threshold):
        lines.append(f"coverage {cov.percent:.2f}% is below the threshold {threshold:g}%")
    return lines


def _test(result: TestResult) -> list[str]:
    case = result.case
    if result.passed:
        return [f"PASS  {case.suite}: {case.name}"]
    lines = [f"FAIL  {case.suite}: {case.name}  ({case.location})"]
    for mismatch in result.mismatches:
        lines.extend(_diff(mismatch))
    return lines


def _diff(mismatch: Mismatch) -> list[str]:
    lines = [
        f"      {mismatch.subject}",
        f"        - expected: {mismatch.expected}",
        f"        + actual:   {mismatch.actual}",
    ]
    lines.extend(f"          {detail}" for detail in mismatch.details)
    return lines
