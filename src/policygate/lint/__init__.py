"""``policygate lint``: static checks of policies, reported like a compiler's.

result = lint_paths(["policies/"])
result.problems, result.summary(), result.exit_code()
render(result, "sarif")
"""

from __future__ import annotations

from .checks import CHECKS
from .formats import FORMATS, render
from .linter import lint_paths
from .problem import Check, Level, LintResult, Problem

__all__ = ["CHECKS", "FORMATS", "Check", "Level", "LintResult", "Problem", "lint_paths", "render"]
