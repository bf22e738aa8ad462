"""``constant-condition``: a ``when``, ``applies_to`` or ``check`` that reads
nothing from the model, params, ``now`` or inputs: always true, always false,
or always an error. It is evaluated once to say which."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ... import cel
from ..context import LintRun
from ..problem import Check, Level

CHECKS = (
    Check(
        "constant-condition",
        Level.WARNING,
        "A when, applies_to or check does not depend on the model.",
    ),
)

_PLACES = ("when", "applies_to", "check")


def run(lint: LintRun) -> None:
    backend = None
    for expression in lint.expressions:
        if expression.place not in _PLACES or not expression.analysis.constant:
            continue  # a message placeholder may well be constant
        backend = backend or cel.get_backend()
        what = expression.place
        try:
            program = backend.compile(expression.text)
            activation = backend.activation(
                model={}, params={}, now=_dt.datetime.now(_dt.UTC), inputs={}
            )
            value = backend.to_python(program.evaluate(activation))
        except (cel.CELSyntaxError, cel.CELEvaluationError) as error:
            message = f"{what} does not depend on the model and cannot be evaluated: {error}"
        else:
            message = _constant_message(what, value)
        lint.report(lint.at(expression, 0), "constant-condition", message)


def _constant_message(what: str, value: Any) -> str:
    if what == "check":
        if value is True:
            return "check is always true: the rule can never fail"
        if value is False:
            return "check is always false: the rule always fails"
        return f"check is constant and not a bool ({value!r}): the rule always errors"
    subject = "the policy" if what == "applies_to" else "the rule"
    if value is True:
        return f"{what} is always true: {subject} always applies; remove {what}"
    if value is False:
        return f"{what} is always false: {subject} never applies"
    return f"{what} is constant and not a bool ({value!r}): {subject} always errors"
