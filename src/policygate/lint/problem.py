"""Lint findings as data: a code, a level, a message and where, sorted like a compiler's."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import Location


class Level(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Check:
    """One kind of finding: its code, its usual level and what it means."""

    code: str
    level: Level
    summary: str


@dataclass(frozen=True)
class Cost:
    """An expression's static worst case in the engine's units (``None``: it
    depends on the record, a macro over its lists or a value's size)."""

    location: Location
    expression: str
    worst_case: int | None

    def __str__(self) -> str:
        said = "depends on the record" if self.worst_case is None else f"{self.worst_case:,} units"
        return f"{self.location}: worst case {said}: {' '.join(self.expression.split())}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "expression": self.expression,
            "worst_case": self.worst_case,
        }


@dataclass(frozen=True)
class Problem:
    """One finding. ``code`` is the lint check's; ``error_code`` is, for a finding
    that is a load error, that error's code (:data:`policygate.errors.CODES`)."""

    location: Location
    level: Level
    code: str
    message: str
    error_code: str | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line or 0, loc.column or 0, self.code, self.message)

    def __str__(self) -> str:
        return f"{self.location}: {self.level.value}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            **({"error_code": self.error_code} if self.error_code else {}),
        }


@dataclass(frozen=True)
class LintResult:
    """Every problem found, sorted by location; owns the summary and the exit code."""

    problems: tuple[Problem, ...]
    files: tuple[str, ...] = ()
    policies: int = 0
    costs: tuple[Cost, ...] = ()  # with lint_paths(costs=True) (`lint --cost`)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.level is Level.WARNING)

    def summary(self) -> str:
        """``3 problems (2 errors, 1 warning)``."""
        count, errors, warnings = len(self.problems), self.errors, self.warnings
        return (
            f"{count} problem{'s' if count != 1 else ''} "
            f"({errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''})"
        )

    def exit_code(self, *, fail_on: str = "warning") -> int:
        """0 clean, 1 findings (SPEC §5); ``fail_on="error"`` lets warnings through."""
        if fail_on == "error":
            return 1 if self.errors else 0
        return 1 if self.problems else 0

    def to_dict(self) -> dict[str, object]:
        return {
            "lint_version": 1,
            "files": list(self.files),
            "policies": self.policies,
            "summary": {
                "problems": len(self.problems),
                "errors": self.errors,
                "warnings": self.warnings,
            },
            "problems": [p.to_dict() for p in self.problems],
            **({"costs": [c.to_dict() for c in self.costs]} if self.costs else {}),
        }
