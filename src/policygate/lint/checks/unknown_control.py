"""``unknown-control``: a control id no catalog defines (the shipped ones and
``--catalog``), with the closest id. ``check`` refuses these too."""

from __future__ import annotations

from ..context import LintRun
from ..fields import did_you_mean
from ..problem import Check, Level

CHECKS = (Check("unknown-control", Level.ERROR, "A rule names a control id no catalog defines."),)


def run(lint: LintRun) -> None:
    known = set(lint.controls)
    for policy in lint.policies:
        for rule in policy.parsed.rules:
            for control, where in rule.controls:
                if not isinstance(control, str) or control in known:
                    continue
                hint = did_you_mean(control, lint.controls)
                suffix = f"; did you mean {hint!r}?" if hint else ""
                lint.report(
                    where,
                    "unknown-control",
                    f"unknown control id {control!r} in rule {rule.label!r}{suffix}",
                )
