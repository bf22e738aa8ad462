"""The one door to CEL. Everything else asks this package for a backend by name."""

from __future__ import annotations

import os
from collections.abc import Callable

from .interface import Activation, Backend, CELEvaluationError, CELSyntaxError, Program

ENV_VAR = "POLICYGATE_CEL_ENGINE"
DEFAULT = "cel-python"


def _celpython() -> Backend:
    from .celpython import CelPythonBackend

    return CelPythonBackend()


BACKENDS: dict[str, Callable[[], Backend]] = {
    "cel-python": _celpython,
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


__all__ = [
    "Activation",
    "Backend",
    "CELEvaluationError",
    "CELSyntaxError",
    "Program",
    "get_backend",
    "BACKENDS",
]
