"""The result model. It owns pass/fail and the exit code, so no caller computes policy.

Values are frozen; ``to_dict`` gives the JSON report of SPEC §6, the same bytes
for the same inputs and ``now``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from . import __version__

REPORT_VERSION = 1


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"
    WAIVED = "waived"

    def __str__(self) -> str:
        return self.value


STATUS_ORDER = (Status.PASS, Status.FAIL, Status.ERROR, Status.SKIP, Status.WAIVED)

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
FAIL_ON = ("error", "warning", "info", "never")


class ControlState(str, enum.Enum):
    SATISFIED = "satisfied"
    VIOLATED = "violated"
    WAIVED = "waived"
    UNVERIFIED = "unverified"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class WaiverUse:
    """A waiver that matched a failing result: applied when active, reported when expired."""

    name: str
    source: str
    justification: str
    approved_by: str
    expires_at: str
    expired: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # plain fields, in declaration order


@dataclass(frozen=True)
class Result:
    policy: str
    rule: str
    status: Status
    severity: str = "error"
    title: str = ""
    category: str = "other"
    message: str | None = None
    item: int | str | None = None
    controls: tuple[str, ...] = ()
    remediation: str = ""
    waiver: WaiverUse | None = None
    # For a fail or error: the line in the model file of the field the rule read,
    # where known. Kept out of the JSON report (report_version 1); SARIF and
    # GitHub annotations point there.
    line: int | None = field(default=None, compare=False)
    # False for an error that says the rule or policy could not be *decided* (its
    # applies_to or when failed): a waiver covers a rule's failure, never the
    # question of whether the rule applies, or nothing would have been evaluated.
    waivable: bool = field(default=True, compare=False)
    # Staged enforcement (a rule's enforce_from, not yet reached): the failure is
    # reported at warning severity; this says from when, and at which severity.
    staged: Staged | None = None
    # For an error: a stable code saying what went wrong (policygate.errors'
    # EVALUATION_CODES, or the CODES entry of the error that made it); None for
    # every other status. In the JSON report only for an error.
    error_code: str | None = None

    def __post_init__(self) -> None:
        # The code belongs to the error status alone: a waived or re-stated result
        # drops it, and an error built without one says that nobody named its cause.
        if self.status is Status.ERROR:
            if self.error_code is None:
                object.__setattr__(self, "error_code", "internal-error")
        elif self.error_code is not None:
            object.__setattr__(self, "error_code", None)

    def reworded(self, message: str | None, item: int | str | None = None) -> Result:
        """This result with another ``message`` and ``item``: what
        ``dataclasses.replace`` gives, without running ``__init__`` and
        ``__post_init__`` again on fields they already checked (a rule's failure is
        made from its template once per model that fails it)."""
        fields = dict(self.__dict__)
        fields["message"], fields["item"] = message, item
        new = object.__new__(Result)
        object.__setattr__(new, "__dict__", fields)
        return new

    @property
    def rule_ref(self) -> str:
        return f"{self.policy}/{self.rule}"

    def fails_at(self, fail_on: str) -> bool:
        """Whether this result fails the model under ``--fail-on``."""
        if fail_on == "never" or self.status not in (Status.FAIL, Status.ERROR):
            return False
        return SEVERITY_RANK[self.severity] >= SEVERITY_RANK[fail_on]

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "rule": self.rule,
            "title": self.title,
            "category": self.category,
            "severity": self.severity,
            "status": self.status.value,
            "message": self.message,
            "item": self.item,
            "controls": list(self.controls),
            "remediation": self.remediation,
            "waiver": self.waiver.to_dict() if self.waiver else None,
            **({"enforce_from": self.staged.to_dict()} if self.staged else {}),
            **({"error_code": self.error_code} if self.status is Status.ERROR else {}),
        }


@dataclass(frozen=True)
class Staged:
    """A rule enforced from ``date`` (RFC 3339) at ``severity``; before, a warning."""

    date: str
    severity: str

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date, "severity": self.severity}


def upcoming_failures(models: Iterable[ModelReport], fail_on: str) -> list[tuple[str, int]]:
    """``(date, models)``: how many models that pass now fail from ``date`` on,
    when their staged rules are enforced (each model counted at the first date)."""
    counts: dict[str, int] = {}
    for model in models:
        date = first_staged_failure(model, fail_on)
        if date is not None:
            counts[date] = counts.get(date, 0) + 1
    return sorted(counts.items())


def first_staged_failure(model: ModelReport, fail_on: str) -> str | None:
    """The first date a passing model fails on, once a staged rule is enforced."""
    if not model.passed:
        return None
    dates = [
        r.staged.date
        for r in model.results
        if r.staged is not None and replace(r, severity=r.staged.severity).fails_at(fail_on)
    ]
    return min(dates) if dates else None


def will_fail_lines(upcoming: Sequence[tuple[str, int]]) -> list[str]:
    """``N models will fail on DATE``, one line per date."""
    return [f"{n} model{'s' if n != 1 else ''} will fail on {date}" for date, n in upcoming]


@dataclass(frozen=True)
class ControlStatus:
    """A control's state for one model. With a risk register the report also
    gives the control's title and framework, the model's risks that call for it
    and the mapped controls (``maps_to``) whose rules count as its evidence;
    without one those stay ``None`` and out of the JSON."""

    id: str
    status: ControlState
    rules: tuple[str, ...]
    title: str | None = None
    framework: str | None = None
    risks: tuple[str, ...] | None = None
    via: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "rules": list(self.rules),
        }
        if self.title is not None:
            out["title"] = self.title
        if self.framework is not None:
            out["framework"] = self.framework
        if self.risks is not None:
            out["risks"] = list(self.risks)
        if self.via is not None:
            out["via"] = list(self.via)
        return out


@dataclass(frozen=True)
class RiskUse:
    """A risk of the register that applies to a model, and why: ``via`` holds
    ``record`` (the model names it in ``spec.risks``) and/or ``applies_to`` (the
    risk's selector is true for the model)."""

    id: str
    title: str
    category: str = ""
    likelihood: str = ""
    impact: str = ""
    owner: str = ""
    via: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    # Ratings on the report's rating_scale (SPEC §12, policygate.graph.rating):
    # inherent from likelihood × impact, residual from the states of the
    # controls above for this model; "" = unrated.
    inherent: str = ""
    residual: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "likelihood": self.likelihood,
            "impact": self.impact,
            "inherent": self.inherent,
            "residual": self.residual,
            "owner": self.owner,
            "via": list(self.via),
            "controls": list(self.controls),
        }


@dataclass(frozen=True)
class RiskRegisterRef:
    """A RiskRegister document a report was made with; the digest names its content."""

    name: str
    version: str
    source: str
    digest: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # plain fields, in declaration order


@dataclass(frozen=True)
class PolicyUse:
    """Whether a policy applied to a model (``None``: applies_to could not be evaluated)."""

    name: str
    applicable: bool | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # plain fields, in declaration order


@dataclass(frozen=True)
class ModelReport:
    name: str
    version: str
    source: str
    passed: bool
    policies: tuple[PolicyUse, ...]
    results: tuple[Result, ...]
    controls: tuple[ControlStatus, ...] = ()
    evaluated: bool = True  # whether any rule of a policy gave evidence (not only skips)
    risks: tuple[RiskUse, ...] | None = None  # None: evaluated without a risk register

    @classmethod
    def made(
        cls,
        *,
        name: str,
        version: str,
        source: str,
        passed: bool,
        policies: tuple[PolicyUse, ...],
        results: tuple[Result, ...],
        controls: tuple[ControlStatus, ...],
        evaluated: bool,
        risks: tuple[RiskUse, ...] | None,
    ) -> ModelReport:
        """What ``ModelReport(...)`` makes of these fields (the evaluator's, one per
        model), without the generated ``__init__``'s frozen-field setting."""
        new = object.__new__(cls)
        object.__setattr__(
            new,
            "__dict__",
            {
                "name": name, "version": version, "source": source, "passed": passed,
                "policies": policies, "results": results, "controls": controls,
                "evaluated": evaluated, "risks": risks,
            },
        )  # fmt: skip
        return new

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name

    def counts(self) -> dict[str, int]:
        return count_statuses(self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "passed": self.passed,
            "policies": [p.to_dict() for p in self.policies],
            "results": [r.to_dict() for r in self.results],
            **({"risks": [r.to_dict() for r in self.risks]} if self.risks is not None else {}),
            "controls": [c.to_dict() for c in self.controls],
        }


@dataclass(frozen=True)
class PolicyRef:
    """A policy as evaluated: its digest names the files, ``params`` the values used
    (defaults merged with ``--param``), so archived evidence shows both."""

    name: str
    version: str
    source: str
    digest: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "digest": self.digest,
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class Report:
    now: str
    fail_on: str
    models: tuple[ModelReport, ...]
    engine: str = "policygate"
    policies: tuple[PolicyRef, ...] = ()
    version: str = field(default=__version__)
    risk_registers: tuple[RiskRegisterRef, ...] | None = None  # None: no risk register
    # The risk ratings' labels, lowest first (policygate.graph.rating); () without
    # a risk register.
    rating_scale: tuple[str, ...] = ()

    @property
    def nothing_evaluated(self) -> bool:
        """No model, or no rule applicable to any model: that is not a pass."""
        return not self.models or not any(m.evaluated for m in self.models)

    @property
    def passed(self) -> bool:
        return not self.nothing_evaluated and all(m.passed for m in self.models)

    def exit_code(self) -> int:
        """0 every model passed; 1 a model failed; 2 nothing was evaluated."""
        if self.nothing_evaluated:
            return 2
        return 0 if self.passed else 1

    def nothing_evaluated_reason(self) -> str:
        if not self.models:
            return "no model found"
        if not any(m.results for m in self.models):
            return "no policy found"
        return "no rule applies to any model (every result is skip)"

    def counts(self) -> dict[str, int]:
        return count_statuses(r for m in self.models for r in m.results)

    def summary(self) -> dict[str, Any]:
        passed = sum(1 for m in self.models if m.passed)
        return {
            "models": len(self.models),
            "passed": passed,
            "failed": len(self.models) - passed,
            "results": self.counts(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_version": REPORT_VERSION,
            "policygate_version": self.version,
            "now": self.now,
            "engine": self.engine,
            "passed": self.passed,
            "fail_on": self.fail_on,
            "summary": self.summary(),
            "policies": [p.to_dict() for p in self.policies],
            **(
                {"risk_registers": [r.to_dict() for r in self.risk_registers]}
                if self.risk_registers is not None
                else {}
            ),
            **(
                {"rating_scale": list(self.rating_scale)} if self.risk_registers is not None else {}
            ),
            "models": [m.to_dict() for m in self.models],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def count_statuses(results: Iterable[Result]) -> dict[str, int]:
    counts = {s.value: 0 for s in STATUS_ORDER}
    for result in results:
        counts[result.status.value] += 1
    return counts


def control_statuses(results: Iterable[Result]) -> tuple[ControlStatus, ...]:
    """Each control named by a rule, with the state its evidence gives.

    violated: an evidencing result failed or errored (unwaived); waived: a
    waiver covered a failure and nothing else failed; satisfied: evidence was
    evaluated and passed; unverified: every evidencing rule was skipped.
    """
    by_control: dict[str, list[Result]] = {}
    for result in results:
        for control in result.controls:
            by_control.setdefault(control, []).append(result)
    statuses = []
    for control in sorted(by_control):
        evidence = by_control[control]
        state = control_state(evidence)
        rules = tuple(sorted({r.rule_ref for r in evidence}))
        statuses.append(ControlStatus(control, state, rules))
    return tuple(statuses)


def control_state(evidence: Iterable[Result]) -> ControlState:
    """The state the results that give evidence for a control give it.

    violated: one of them failed or errored, unwaived; waived: a waiver covered
    a failure and nothing else failed; satisfied: evidence was evaluated and
    passed; unverified: nothing was evaluated (no result, or only skips).
    """
    kinds = {r.status for r in evidence}
    if kinds & {Status.FAIL, Status.ERROR}:
        return ControlState.VIOLATED
    if Status.WAIVED in kinds:
        return ControlState.WAIVED
    if Status.PASS in kinds:
        return ControlState.SATISFIED
    return ControlState.UNVERIFIED
