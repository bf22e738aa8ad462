"""Compiler-style lines, sorted by location, then the count:

policies/p.yaml:12:26: error: unknown param 'min_acc'; did you mean 'min_auc'? [unknown-param]
1 problem (1 error, 0 warnings)
"""

from __future__ import annotations

from typing import Any

from ...formats.inert import inert
from ..problem import LintResult


def render(result: LintResult, **_: Any) -> str:
    lines = [str(problem) for problem in result.problems]
    if result.costs:  # lint --cost: every expression's static worst case, then the count
        lines.extend(inert(str(cost)) for cost in result.costs)
    lines.append(result.summary())
    return "\n".join(lines) + "\n"
