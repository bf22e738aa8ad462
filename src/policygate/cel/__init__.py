"""The one door to CEL. Everything else asks this package for a backend by name."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from .interface import (
    WHEN_FALSE,
    Activation,
    Backend,
    CELEvaluationError,
    CELSyntaxError,
    Fused,
    Outcome,
    Program,
)

if TYPE_CHECKING:
    from .syntax import Analysis, SubExpression

ENV_VAR = "POLICYGATE_CEL_ENGINE"
PORTABLE = "cel-python"  # pure Python, always installed
FAST = "cel-cpp"  # Google's CEL C++ runtime: the `fast` extra (cel-expr-python)
OWN = "policygate"  # policygate's own engine (.lang, issue 15): --engine policygate


def fast_available() -> bool:
    """Whether ``cel-expr-python`` is installed (found without importing it)."""
    import importlib.util

    return importlib.util.find_spec("cel_expr_python") is not None


def default_engine() -> str:
    """policygate's own engine (:mod:`.lang`): CEL's meaning, proven by the
    conformance suite, and the fastest of the three here (docs/cel.md).
    ``--engine cel-python`` or ``cel-cpp`` still choose the others."""
    return OWN


DEFAULT = default_engine()


def _celpython() -> Backend:
    from .celpython import CelPythonBackend

    return CelPythonBackend()


def _celcpp() -> Backend:
    from ..errors import UsageError

    if not fast_available():
        raise UsageError(
            "CEL engine 'cel-cpp' needs cel-expr-python: pip install 'policygate[fast]'"
        )
    from .celcpp import CelCppBackend

    return CelCppBackend()


def _own() -> Backend:
    from .own import OwnBackend

    return OwnBackend()


BACKENDS: dict[str, Callable[[], Backend]] = {
    PORTABLE: _celpython,
    FAST: _celcpp,
    OWN: _own,
}

_instances: dict[str, Backend] = {}


def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name``, else ``$POLICYGATE_CEL_ENGINE``, else the default."""
    from ..errors import UsageError

    chosen = name or os.environ.get(ENV_VAR) or DEFAULT
    if chosen not in BACKENDS:
        known = ", ".join(sorted(BACKENDS))
        raise UsageError(f"unknown CEL engine {chosen!r} (known: {known})")
    if chosen not in _instances:
        _instances[chosen] = BACKENDS[chosen]()
    return _instances[chosen]


def analyze(text: str) -> Analysis:
    """The fields, variables, functions and sub-expressions of ``text`` (see :mod:`.syntax`).

    CEL's syntax is the same on every backend, so this needs none; raises
    :class:`CELSyntaxError` when ``text`` does not parse.
    """
    from .syntax import analyze as _analyze

    return _analyze(text)


def free_variables(program: Program) -> set[str]:
    """The variables ``program`` reads: from the backend's own parsed tree where it
    has one (``program.free_variables()``), else from the syntax analysis (which
    loads cel-python's parser)."""
    known = getattr(program, "free_variables", None)
    found = known() if callable(known) else None
    if found is not None:
        return set(found)
    return {reference.variable for reference in analyze(program.text).references}


def subexpressions(text: str) -> tuple[SubExpression, ...]:
    """The sub-expressions of ``text`` worth showing with a value, outermost first;
    evaluate each by compiling its ``text`` with any backend."""
    return analyze(text).subexpressions


__all__ = [
    "analyze",
    "free_variables",
    "subexpressions",
    "Activation",
    "Backend",
    "CELEvaluationError",
    "CELSyntaxError",
    "Fused",
    "Outcome",
    "Program",
    "WHEN_FALSE",
    "get_backend",
    "default_engine",
    "BACKENDS",
    "DEFAULT",
    "FAST",
    "OWN",
    "PORTABLE",
]
