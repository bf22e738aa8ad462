"""Rule coverage: did the tests see each rule both pass and fail?

Each rule of each tested policy has two branches, ``pass`` (a result passed)
and ``fail`` (a result failed, or would have and was waived); a rule with
``for_each`` has a third, ``empty`` (the collection was empty, so the rule was
skipped). Coverage is the share of branches some test exercised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..report import ModelReport, Status
from .cases import TestSuite

EMPTY_FOR_EACH = "for_each is empty"  # the message of evaluate's skip result


@dataclass(frozen=True)
class RuleCoverage:
    policy: str
    rule: str
    branches: tuple[str, ...]  # the branches the rule has
    covered: tuple[str, ...]  # those some test exercised

    @property
    def ref(self) -> str:
        return f"{self.policy}/{self.rule}"

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(b for b in self.branches if b not in self.covered)

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.ref,
            "branches": list(self.branches),
            "covered": list(self.covered),
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class Coverage:
    rules: tuple[RuleCoverage, ...]

    @property
    def total(self) -> int:
        return sum(len(r.branches) for r in self.rules)

    @property
    def covered(self) -> int:
        return sum(len(r.covered) for r in self.rules)

    @property
    def percent(self) -> float:
        return 100.0 if not self.total else 100.0 * self.covered / self.total

    def to_dict(self) -> dict[str, object]:
        return {
            "percent": round(self.percent, 2),
            "covered": self.covered,
            "total": self.total,
            "rules": [r.to_dict() for r in self.rules],
        }


def measure(suites: Sequence[TestSuite], reports: Iterable[ModelReport]) -> Coverage:
    seen: dict[tuple[str, str], set[str]] = {}
    for report in reports:
        for result in report.results:
            branch = _branch(result.status, result.message)
            if branch is not None:
                seen.setdefault((result.policy, result.rule), set()).add(branch)
    rules: dict[tuple[str, str], RuleCoverage] = {}
    for suite in suites:
        for policy in suite.policies:
            for rule in policy.rules:
                key = (policy.name, rule.id)
                branches = (
                    ("pass", "fail", "empty") if rule.for_each is not None else ("pass", "fail")
                )
                covered = tuple(b for b in branches if b in seen.get(key, set()))
                rules[key] = RuleCoverage(policy.name, rule.id, branches, covered)
    return Coverage(tuple(rules[key] for key in sorted(rules)))


def _branch(status: Status, message: str | None) -> str | None:
    if status is Status.PASS:
        return "pass"
    if status in (Status.FAIL, Status.WAIVED):
        return "fail"
    if status is Status.SKIP and message == EMPTY_FOR_EACH:
        return "empty"
    return None
