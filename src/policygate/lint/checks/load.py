"""Everything ``check`` would refuse: each load error of a policy (and of the files
named), reported under the code of its kind.

The error's own code (:data:`policygate.errors.CODES`) says which lint code it
is; a case another check claims is left to it (see :data:`..LOAD_ERRORS`),
and any other is ``load``.
"""

from __future__ import annotations

from ..context import LintRun
from ..problem import Check, Level

CHECKS = (
    Check("load", Level.ERROR, "The file cannot be read or parsed."),
    Check("schema", Level.ERROR, "The document does not match the Policy schema."),
    Check("cel-syntax", Level.ERROR, "A CEL expression does not parse."),
    Check("message-syntax", Level.ERROR, "A message placeholder does not parse."),
    Check("extends", Level.ERROR, "A policy in the extends chain cannot be loaded."),
    Check("model-schema", Level.ERROR, "The model_schema cannot be loaded."),
    Check("unknown-variable", Level.ERROR, "An expression reads a variable that is never bound."),
)

LOAD_ERRORS: dict[str, str] = {
    "schema-invalid": "schema",
    "unknown-kind": "schema",
    "undeclared-variable": "unknown-variable",
    "cel-syntax": "cel-syntax",
    "cel-type": "cel-syntax",
    "expression-too-large": "cel-syntax",
    "message-syntax": "message-syntax",
    "extends-unreadable": "extends",
    "extends-cycle": "extends",
    "model-schema-invalid": "model-schema",
}


def run(lint: LintRun) -> None:
    for error in lint.load_errors():
        if error.code in LOAD_ERRORS:
            lint.report_error(error, LOAD_ERRORS[error.code] or "load")
        elif error.code not in lint.error_checks:  # nobody's case: a load problem
            lint.report_error(error, "load")
