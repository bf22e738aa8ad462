"""``missing-controls``: a promotion rule that names no control it gives evidence
for (an access rule judges a request, not a model: it is not asked)."""

from __future__ import annotations

from ..context import LintRun
from ..problem import Check, Level

CHECKS = (
    Check("missing-controls", Level.WARNING, "A rule names no control it gives evidence for."),
)


def run(lint: LintRun) -> None:
    for policy in lint.policies:
        if policy.parsed.kind != "Policy":
            continue
        for rule in policy.parsed.rules:
            if not rule.raw.get("controls"):
                lint.report(
                    rule.id_location,
                    "missing-controls",
                    f"rule {rule.label!r} names no controls it gives evidence for",
                )
