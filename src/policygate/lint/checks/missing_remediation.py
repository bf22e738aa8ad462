"""``missing-remediation``: a rule that says nothing about what to do when it fails."""

from __future__ import annotations

from ..context import LintRun
from ..problem import Check, Level

CHECKS = (
    Check(
        "missing-remediation", Level.WARNING, "A rule says nothing about what to do when it fails."
    ),
)


def run(lint: LintRun) -> None:
    for policy in lint.policies:
        for rule in policy.parsed.rules:
            if not (rule.remediation and rule.remediation.strip()):
                lint.report(
                    rule.id_location,
                    "missing-remediation",
                    f"rule {rule.label!r} has no remediation",
                )
