"""Run test cases through :func:`policygate.evaluate`, exactly as ``check`` would,
and compare what came out with what the test expects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..evaluate import evaluate
from ..report import ModelReport, Result, Status
from .cases import RuleExpectation, TestCase, TestSuite
from .coverage import Coverage, measure

if TYPE_CHECKING:
    from ..cel.budget import Budget

# When a rule gives several results (one per for_each element), the rule's
# status is the most serious of them.
_SERIOUSNESS = (Status.ERROR, Status.FAIL, Status.WAIVED, Status.PASS, Status.SKIP)


@dataclass(frozen=True)
class Mismatch:
    """One expectation not met: what was expected, what came out."""

    subject: str  # "passed", or POLICY/RULE[ITEM]
    expected: str
    actual: str
    details: tuple[str, ...] = ()  # the results' messages, to see why


@dataclass(frozen=True)
class TestResult:
    case: TestCase
    mismatches: tuple[Mismatch, ...]
    report: ModelReport

    @property
    def passed(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class TestRun:
    """Every test's result and the coverage they reached; owns the exit code."""

    suites: tuple[TestSuite, ...]
    results: tuple[TestResult, ...]
    coverage: Coverage

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)

    @property
    def passed(self) -> bool:
        return self.failed == 0

    def below(self, threshold: float | None) -> bool:
        return threshold is not None and self.coverage.percent < threshold

    def exit_code(self, threshold: float | None = None) -> int:
        """0 every test passed (and coverage reached the threshold), else 1."""
        return 0 if self.passed and not self.below(threshold) else 1


def run_suites(suites: Sequence[TestSuite], budget: Budget | None = None) -> TestRun:
    """Every case of ``suites``; ``budget`` bounds each rule as ``check --limit`` does."""
    results = [run_case(suite, case, budget) for suite in suites for case in suite.cases]
    return TestRun(tuple(suites), tuple(results), measure(suites, [r.report for r in results]))


def run_case(suite: TestSuite, case: TestCase, budget: Budget | None = None) -> TestResult:
    if case.request is not None:
        return _run_request(suite, case, budget)
    assert case.model is not None
    report = evaluate(
        [case.model],
        [policy for policy in suite.policies if policy.kind == "Policy"],
        now=case.now,
        waivers=case.waivers,
        inputs=case.inputs,
        params=case.params,
        fail_on=case.fail_on,
        budget=budget,
        risk_graph=suite.risk_graph,
    ).models[0]
    mismatches: list[Mismatch] = []
    if case.passed is not None and case.passed != report.passed:
        failing = [
            f"{r.rule_ref}{_item(r)}: {r.status.value}"
            for r in report.results
            if r.fails_at(case.fail_on)
        ]
        mismatches.append(
            Mismatch("passed", _bool(case.passed), _bool(report.passed), tuple(failing))
        )
    for expectation in case.rules:
        mismatches.extend(_compare(expectation, report.results))
    return TestResult(case, tuple(mismatches), report)


def _run_request(suite: TestSuite, case: TestCase, budget: Budget | None) -> TestResult:
    """A case with a request, judged as ``authorize`` judges one (the roles it gives
    are trusted: a test has no directory to take them from)."""
    from ..access import authorize

    assert case.request is not None
    decision = authorize(
        case.request,
        access_policies=[p for p in suite.policies if p.kind == "AccessPolicy"],
        policies=[p for p in suite.policies if p.kind == "Policy"],
        model=case.model, waivers=case.waivers, now=case.now, params=case.params,
        inputs=case.inputs, fail_on=case.fail_on, trust_request_roles=True, budget=budget,
    )  # fmt: skip
    results = decision.all_results()
    target = decision.request["target"]
    report = ModelReport(
        name=case.model.name if case.model is not None else target["model"],
        version=case.model.version if case.model is not None else target["version"],
        source=case.model.source if case.model is not None else suite.source,
        passed=decision.allowed, policies=(), results=results,
    )  # fmt: skip
    mismatches: list[Mismatch] = []
    if case.allowed is not None and case.allowed != decision.allowed:
        failing = tuple(f"{rule}: {message}" for rule, message in decision.failing)
        mismatches.append(Mismatch("allowed", _bool(case.allowed), _bool(decision.allowed),
                                   failing))  # fmt: skip
    for expectation in case.rules:
        mismatches.extend(_compare(expectation, results))
    return TestResult(case, tuple(mismatches), report)


def rule_status(results: Iterable[Result]) -> Status | None:
    """The most serious status among a rule's results; ``None`` when it gave none."""
    statuses = {r.status for r in results}
    return next((s for s in _SERIOUSNESS if s in statuses), None)


def _compare(expectation: RuleExpectation, results: Sequence[Result]) -> list[Mismatch]:
    mine = [
        r
        for r in results
        if r.policy == expectation.policy
        and r.rule == expectation.rule
        and (expectation.item is None or str(r.item) == expectation.item)
    ]
    details = tuple(
        f"{r.rule_ref}{_item(r)}: {r.status.value}" + (f": {r.message}" if r.message else "")
        for r in mine
    )
    actual = rule_status(mine)
    found: list[Mismatch] = []
    if expectation.status is not None and actual != expectation.status:
        shown = actual.value if actual is not None else "no result"
        found.append(Mismatch(expectation.subject, expectation.status.value, shown, details))
    if expectation.message is not None and not any(
        r.message is not None and expectation.message.search(r.message) for r in mine
    ):
        found.append(
            Mismatch(
                f"{expectation.subject} message",
                f"a match of /{expectation.message.pattern}/",
                "no message matches",
                details,
            )
        )
    if expectation.waiver is not None and not any(
        r.waiver is not None and r.waiver.name == expectation.waiver for r in mine
    ):
        named = sorted({r.waiver.name for r in mine if r.waiver is not None})
        found.append(
            Mismatch(
                f"{expectation.subject} waiver",
                expectation.waiver,
                ", ".join(named) or "no waiver",
                details,
            )
        )
    return found


def _item(result: Result) -> str:
    return f"[{result.item}]" if result.item is not None else ""


def _bool(value: bool) -> str:
    return "true" if value else "false"
