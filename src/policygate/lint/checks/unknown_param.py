"""``unknown-param``: ``params.NAME`` that no policy in the ``extends`` chain declares
(a warning in an abstract policy: the policies extending it may declare it)."""

from __future__ import annotations

from ..context import LintRun
from ..fields import did_you_mean
from ..problem import Check, Level

CHECKS = (
    Check(
        "unknown-param", Level.ERROR, "An expression reads a param no policy in the chain declares."
    ),
)


def run(lint: LintRun) -> None:
    for expression in lint.expressions:
        declared = expression.policy.params
        abstract = expression.policy.parsed.abstract
        for reference in expression.analysis.references:
            name = reference.variable
            if name not in expression.variables:
                continue  # a load error (UndeclaredVariableError), reported as unknown-variable
            if name != "params" or not reference.path or not isinstance(reference.path[0], str):
                continue
            param = reference.path[0]
            if param in declared:
                continue
            hint = did_you_mean(param, declared)
            known = ", ".join(sorted(declared)) or "none"
            message = f"unknown param {param!r}" + (
                f"; did you mean {hint!r}?" if hint else f" (declared: {known})"
            )
            level = None
            if abstract:
                message += "; every policy extending this one must declare it"
                level = Level.WARNING
            lint.report(
                lint.at(expression, reference.key_starts[0]), "unknown-param", message, level
            )
