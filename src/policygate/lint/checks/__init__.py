"""The lint checks: one module per family of codes, and the registry lint runs.

Each module has ``CHECKS`` (the codes it reports, with their usual level and a
summary), ``run(lint)`` (its findings, from the :class:`~..context.LintRun`)
and, when some of its findings are load errors that compiling already finds,
``LOAD_ERRORS``: the error codes (:data:`policygate.errors.CODES`) it claims,
mapped to its own lint code (``None``: it reports the case itself, better);
each reports the load errors it claims, and ``load`` those nobody claims. A
new check is a new module and one line in :data:`MODULES`; a test proves that
every code is documented in ``docs/authoring.md`` and every documented code has
its module.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, ModuleType

from ..problem import Check
from . import (
    constant_condition,
    cost,
    duplicate_id,
    load,
    missing_controls,
    missing_remediation,
    unknown_control,
    unknown_field,
    unknown_function,
    unknown_param,
    unknown_rating,
)

MODULES: tuple[ModuleType, ...] = (
    load,
    duplicate_id,
    unknown_param,
    unknown_field,
    unknown_function,
    unknown_control,
    unknown_rating,
    missing_controls,
    missing_remediation,
    constant_condition,
    cost,
)
"""Every check module, in the order lint runs them."""


def _checks() -> dict[str, Check]:
    found: dict[str, Check] = {}
    for module in MODULES:
        for check in module.CHECKS:
            if check.code in found:
                raise AssertionError(f"lint code {check.code!r} is registered twice")
            found[check.code] = check
    return found


def _load_errors() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for module in MODULES:
        for error_code, lint_code in getattr(module, "LOAD_ERRORS", {}).items():
            if error_code in found:
                raise AssertionError(f"error code {error_code!r} is claimed twice")
            found[error_code] = lint_code
    return found


CHECKS: Mapping[str, Check] = MappingProxyType(_checks())
"""Every lint code and its check, from the modules of :data:`MODULES`."""

LOAD_ERRORS: Mapping[str, str | None] = MappingProxyType(_load_errors())
"""The lint code each load error code is reported under (absent: ``load``)."""

__all__ = ["CHECKS", "LOAD_ERRORS", "MODULES"]
