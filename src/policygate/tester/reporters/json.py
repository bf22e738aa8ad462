"""Tests for machines: every test, its mismatches, and coverage when asked for."""

from __future__ import annotations

import json
from typing import Any

from ..runner import TestRun


def render(
    run: TestRun, *, coverage: bool = False, threshold: float | None = None, **_: Any
) -> str:
    data: dict[str, Any] = {
        "test_version": 1,
        "passed": run.passed and not run.below(threshold),
        "summary": {
            "tests": len(run.results),
            "passed": len(run.results) - run.failed,
            "failed": run.failed,
        },
        "tests": [
            {
                "suite": r.case.suite,
                "name": r.case.name,
                "source": r.case.location.path,
                "line": r.case.location.line,
                "passed": r.passed,
                "mismatches": [
                    {
                        "subject": m.subject,
                        "expected": m.expected,
                        "actual": m.actual,
                        "details": list(m.details),
                    }
                    for m in r.mismatches
                ],
            }
            for r in run.results
        ],
    }
    if coverage:
        data["coverage"] = run.coverage.to_dict()
        data["coverage"]["threshold"] = threshold
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
