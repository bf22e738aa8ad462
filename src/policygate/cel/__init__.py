"""The one door to CEL: policygate's own engine (:mod:`.lang`) behind the small
interface the evaluator uses (:mod:`.interface`, adapted in :mod:`.own`), and
the syntax analysis that lint and explain read (:mod:`.analysis`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .interface import (
    Activation,
    Backend,
    CELEvaluationError,
    CELSyntaxError,
    Program,
)

if TYPE_CHECKING:
    from .analysis import Analysis, SubExpression

ENGINE = "policygate"
"""The engine's name, as reports give it (``engine`` in the JSON report)."""

_instance: list[Backend] = []


def get_backend() -> Backend:
    """The CEL engine (one instance per process)."""
    if not _instance:
        from .own import OwnBackend

        _instance.append(OwnBackend())
    return _instance[0]


def analyze(text: str) -> Analysis:
    """The fields, variables, functions and sub-expressions of ``text`` (see
    :mod:`.analysis`); raises :class:`CELSyntaxError` when ``text`` does not parse."""
    from .analysis import analyze as _analyze

    return _analyze(text)


def free_variables(program: Program) -> set[str]:
    """The variables ``program`` reads: from the engine's checked tree where it has
    one (``program.free_variables()``), else from the syntax analysis."""
    known = getattr(program, "free_variables", None)
    found = known() if callable(known) else None
    if found is not None:
        return set(found)
    return set(analyze(program.text).variables)


def subexpressions(text: str) -> tuple[SubExpression, ...]:
    """The sub-expressions of ``text`` worth showing with a value, outermost first."""
    return analyze(text).subexpressions


__all__ = [
    "analyze",
    "free_variables",
    "subexpressions",
    "Activation",
    "Backend",
    "CELEvaluationError",
    "CELSyntaxError",
    "Program",
    "ENGINE",
    "get_backend",
]
