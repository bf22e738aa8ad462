"""``missing-controls``: a promotion rule that names no control it gives evidence
for (an access rule judges a request, not a model: it is not asked; nor is a rule
that reads ``risks``, or any rule of a policy whose ``applies_to``, its own or the
one it inherits, reads ``risks``: those may name none, SPEC §12)."""

from __future__ import annotations

from ... import cel
from ...message import Placeholder, TemplateSyntaxError, split_template
from ...policy import PolicyDocument, RuleDocument
from ..context import LintRun
from ..problem import Check, Level

CHECKS = (
    Check("missing-controls", Level.WARNING, "A rule names no control it gives evidence for."),
)


def run(lint: LintRun) -> None:
    for policy in lint.policies:
        if policy.parsed.kind != "Policy" or _applies_to_reads_risks(lint, policy.parsed):
            continue
        for rule in policy.parsed.rules:
            if not rule.raw.get("controls") and not _reads_risks(rule):
                lint.report(
                    rule.id_location,
                    "missing-controls",
                    f"rule {rule.label!r} names no controls it gives evidence for",
                )


def _applies_to_reads_risks(lint: LintRun, parsed: PolicyDocument) -> bool:
    """Whether the policy's ``applies_to`` reads ``risks``: its own, else the
    nearest one of its ``extends`` chain (what the loader gives it)."""
    for ancestor in reversed(lint.chain(parsed)):
        if ancestor.applies_to is not None:
            return _any_reads_risks([ancestor.applies_to.text])
    return False


def _reads_risks(rule: RuleDocument) -> bool:
    """Whether an expression of the rule reads ``risks`` (one that does not parse
    reads nothing here: its syntax error is a problem of its own)."""
    texts = [s.text for s in (rule.check, rule.when, rule.for_each) if s is not None]
    if rule.message is not None:
        try:
            parts = split_template(rule.message.text)
        except TemplateSyntaxError:
            parts = []
        texts.extend(p.text for p in parts if isinstance(p, Placeholder))
    return _any_reads_risks(texts)


def _any_reads_risks(texts: list[str]) -> bool:
    for text in texts:
        try:
            if "risks" in cel.analyze(text).variables:
                return True
        except cel.CELSyntaxError:
            continue
    return False
