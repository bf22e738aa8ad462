"""``policygate test``: policy unit tests (``kind: PolicyTest``) with rule coverage.

suites = load_suites(["policies/tests/"])
run = run_suites(suites)
run.passed, run.coverage.percent, run.exit_code(threshold=100)
render(run, "junit", coverage=True)
"""

from __future__ import annotations

from .cases import RuleExpectation, TestCase, TestSuite, load_suites, merge_patch
from .coverage import Coverage, RuleCoverage
from .reporters import REPORTERS, render
from .runner import Mismatch, TestResult, TestRun, rule_status, run_case, run_suites

__all__ = [
    "REPORTERS",
    "Coverage",
    "Mismatch",
    "RuleCoverage",
    "RuleExpectation",
    "TestCase",
    "TestResult",
    "TestRun",
    "TestSuite",
    "load_suites",
    "merge_patch",
    "render",
    "rule_status",
    "run_case",
    "run_suites",
]
