"""``duplicate-id``: a rule id twice in one policy, a policy name twice in the files
named (errors), and two parents of one policy defining the same rule id, so
that the later silently replaces the earlier (a warning)."""

from __future__ import annotations

from ...errors import Location
from ..context import LintedPolicy, LintRun
from ..problem import Check, Level

CHECKS = (Check("duplicate-id", Level.ERROR, "A rule id or policy name is defined twice."),)

LOAD_ERRORS: dict[str, str | None] = {"duplicate-rule-id": "duplicate-id"}


def run(lint: LintRun) -> None:
    for error in lint.load_errors():
        if error.code in LOAD_ERRORS:
            lint.report_error(error, "duplicate-id")
    names: dict[str, Location] = {}
    for policy in lint.policies:
        if policy.given:
            _unique_name(lint, policy, names)
        if policy.schema_ok:
            _across_chain(lint, policy)


def _unique_name(lint: LintRun, policy: LintedPolicy, names: dict[str, Location]) -> None:
    name = policy.parsed.name
    if name is None:
        return
    where = policy.parsed.name_location
    if name in names:
        message = f"duplicate policy name {name!r} (first defined at {names[name]})"
        lint.report(where, "duplicate-id", message)
    else:
        names[name] = where


def _across_chain(lint: LintRun, policy: LintedPolicy) -> None:
    """Two parents defining the same rule id: the later silently wins."""
    owners: dict[str, tuple[int, Location]] = {}
    for position, (ref, parent) in enumerate(policy.parents):
        for ancestor in lint.chain(parent):
            for rule in ancestor.rules:
                if rule.id is None:
                    continue
                first = owners.get(rule.id)
                if first is not None and first[1] != rule.id_location and first[0] != position:
                    lint.report(
                        ref.location,
                        "duplicate-id",
                        f"rule id {rule.id!r} is defined by two policies this one extends"
                        f" ({first[1]} and {rule.id_location}); the later replaces the earlier",
                        Level.WARNING,
                    )
                owners.setdefault(rule.id, (position, rule.id_location))
