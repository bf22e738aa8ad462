"""``unknown-function``: a call to a function neither CEL nor policygate defines,
with the closest name. Compiling refuses it too; this check says it better, so
the load error (``unknown-function``) is not reported besides."""

from __future__ import annotations

import re

from ...cel.analysis import MACROS
from ...cel.lang.library import FUNCTIONS as ENGINE_FUNCTIONS
from ..context import LintRun
from ..fields import did_you_mean
from ..problem import Check, Level

CHECKS = (
    Check(
        "unknown-function",
        Level.ERROR,
        "An expression calls a function CEL and policygate do not define (it cannot load).",
    ),
)

LOAD_ERRORS: dict[str, str | None] = {"unknown-function": None}

# Every function the engine defines (CEL's standard library, the strings extension,
# optionals, policygate's days()) and the macros, as authors write them.
CEL_FUNCTIONS = frozenset(ENGINE_FUNCTIONS) | MACROS | {"has", "optMap", "optFlatMap"}


def run(lint: LintRun) -> None:
    for expression in lint.expressions:
        for name in sorted(expression.analysis.functions - CEL_FUNCTIONS):
            call = re.search(rf"\b{re.escape(name)}\s*\(", expression.text)
            offset = call.start() if call else 0
            hint = did_you_mean(name, CEL_FUNCTIONS)
            suffix = f"; did you mean {hint!r}?" if hint else ""
            lint.report(
                lint.at(expression, offset),
                "unknown-function",
                f"unknown function {name!r}{suffix}",
            )
