"""The EU AI Act risk tier of a model, as the classification pack derives it.

The derivation is policy, not code: ``policies/eu-ai-act-classification.yaml``
states every step (Art. 5, Art. 6(1) and Annex I, Art. 6(2) and Annex III with
the Art. 6(3) exceptions and the profiling override, Art. 50) in the
``for_each`` of its rule ``risk-tier.not-below-derived``, one reason per step
that applies, each with its tier, provision and words (none: minimal risk).
Here that expression
is evaluated for each record (the reasons), the pack is evaluated as ``check``
would (the verdicts: a declared tier below the derived one, a declared use the
Act does not name), and the derived tier is the highest tier of the reasons.

A record that declares no use (``spec.use``) is not classified: its derived
tier is ``None``, and it does not count as consistent (fail closed).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import PolicyError, UsageError
from .evaluate import evaluate
from .models import ModelRecord
from .policy import Policy
from .report import Status

CLASSIFICATION_POLICY = "eu-ai-act-classification"
DERIVATION_RULE = "risk-tier.not-below-derived"
TECHNICAL_FILE_RULES = "annex-iv."  # the pack's Annex IV rules: docs annex-iv, not the tier
TIERS = ("minimal", "limited", "high", "unacceptable")  # lowest first


@dataclass(frozen=True)
class Reason:
    """One step of the derivation: the tier it calls for, and why."""

    tier: str
    basis: str  # the provision: "Art. 6(2), Annex III point 4(a)"
    text: str


@dataclass(frozen=True)
class Problem:
    """A failed or errored result of the pack for the record."""

    rule: str
    status: str
    message: str


@dataclass(frozen=True)
class Classification:
    name: str
    version: str
    source: str
    declared: Any  # spec.risk_tier as written (None when absent)
    derived: str | None  # None: no declared use, or the derivation failed
    reasons: tuple[Reason, ...]
    problems: tuple[Problem, ...]

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name

    @property
    def consistent(self) -> bool:
        """Classified, with no problem: the declared tier is at least the derived one."""
        return self.derived is not None and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "declared": self.declared,
            "derived": self.derived,
            "consistent": self.consistent,
            "reasons": [{"tier": r.tier, "basis": r.basis, "text": r.text} for r in self.reasons],
            "problems": [
                {"rule": p.rule, "status": p.status, "message": p.message} for p in self.problems
            ],
        }


def classification_policy(policies: Sequence[Policy]) -> Policy:
    """The classification pack among ``policies``; a usage error if it is absent."""
    for policy in policies:
        if policy.name == CLASSIFICATION_POLICY:
            try:
                rule = policy.rule(DERIVATION_RULE)
            except KeyError:
                raise PolicyError(
                    f"policy {CLASSIFICATION_POLICY} has no rule {DERIVATION_RULE}",
                    policy.location,
                ) from None
            if rule.for_each is None:
                raise PolicyError(
                    f"rule {CLASSIFICATION_POLICY}/{DERIVATION_RULE} has no for_each: "
                    "it is the derivation",
                    rule.location,
                )
            return policy
    raise UsageError(
        f"no policy named {CLASSIFICATION_POLICY} among the policies given "
        "(it ships as policies/eu-ai-act-classification.yaml)"
    )


def classify(
    records: Sequence[ModelRecord],
    policies: Sequence[Policy],
    *,
    now: _dt.datetime | str | None = None,
) -> list[Classification]:
    """The classification of each record by the pack among ``policies``."""
    from . import CELError, CELEvaluationError

    policy = classification_policy(policies)
    report = evaluate(list(records), [policy], now=now)
    found = []
    for record, model in zip(records, report.models, strict=True):
        problems = tuple(
            Problem(_rule_ref(r.rule, r.item), r.status.value, r.message or r.title)
            for r in model.results
            if r.status in (Status.FAIL, Status.ERROR)
            and r.policy == CLASSIFICATION_POLICY
            and not r.rule.startswith(TECHNICAL_FILE_RULES)
        )
        declared_use = _use(record) is not None
        reasons: tuple[Reason, ...] = ()
        derived: str | None = None
        if declared_use:
            try:
                reasons = _reasons(record, policy, now)
            except (CELError, CELEvaluationError, ValueError) as error:
                problems += (Problem(DERIVATION_RULE, "error", f"cannot derive: {error}"),)
            else:
                derived = max((r.tier for r in reasons), key=_rank, default="minimal")
        found.append(
            Classification(
                name=record.name,
                version=record.version,
                source=record.source,
                declared=_declared(record),
                derived=derived,
                reasons=reasons,
                problems=problems,
            )
        )
    return found


def _reasons(
    record: ModelRecord, policy: Policy, now: _dt.datetime | str | None
) -> tuple[Reason, ...]:
    from . import cel_evaluate

    rule = policy.rule(DERIVATION_RULE)
    assert rule.for_each is not None
    value = cel_evaluate(
        rule.for_each.text, {"model": record.data, "params": dict(policy.params)}, now=now
    )
    reasons = []
    for entry in value if isinstance(value, list) else ():
        tier = entry.get("tier") if isinstance(entry, Mapping) else None
        if tier not in TIERS:
            raise ValueError(f"the derivation gave a reason without a known tier: {entry!r}")
        reasons.append(Reason(tier, str(entry.get("basis", "")), str(entry.get("text", ""))))
    return tuple(reasons)


def _rule_ref(rule: str, item: object) -> str:
    return rule if item is None else f"{rule}[{item}]"


def _rank(tier: str) -> int:
    return TIERS.index(tier)


def _spec(record: ModelRecord) -> Mapping[str, Any] | None:
    spec = record.data.get("spec") if isinstance(record.data, Mapping) else None
    return spec if isinstance(spec, Mapping) else None


def _use(record: ModelRecord) -> Any:
    spec = _spec(record)
    return spec.get("use") if spec is not None else None


def _declared(record: ModelRecord) -> Any:
    spec = _spec(record)
    return spec.get("risk_tier") if spec is not None else None


NO_STEP = Reason(
    "minimal",
    "Art. 5, 6 and 50",
    "no prohibition (Art. 5), high-risk rule (Art. 6) or transparency obligation "
    "(Art. 50) reaches the declared use",
)


def shown_reasons(classification: Classification) -> list[Reason]:
    """The reasons to print, highest tier first; for a classified record whose
    use no step reaches, the reason it is minimal risk."""
    if classification.derived is not None and not classification.reasons:
        return [NO_STEP]
    return sorted(classification.reasons, key=lambda r: -_rank(r.tier))


def render_text(classifications: Sequence[Classification]) -> str:
    lines = []
    for c in classifications:
        declared = c.declared if c.declared is not None else "missing"
        derived = c.derived or (
            "not classified (the derivation failed)"
            if any(p.rule == DERIVATION_RULE and p.status == "error" for p in c.problems)
            else "not classified (no spec.use)"
        )
        verdict = "OK     " if c.consistent else "PROBLEM"
        lines.append(f"{verdict}  {c.ref}  derived: {derived}  declared: {declared}  {c.source}")
        for reason in shown_reasons(c):
            lines.append(f"  {reason.tier:<12} {reason.basis}: {reason.text}")
        for problem in c.problems:
            lines.append(f"  {problem.status.upper():<12} {problem.rule}: {problem.message}")
    consistent = sum(c.consistent for c in classifications)
    lines.append(
        f"{len(classifications)} model{'s' if len(classifications) != 1 else ''}, "
        f"{consistent} consistent, {len(classifications) - consistent} with problems"
    )
    from .formats.inert import inert  # the record's name, tier and use are its team's text

    return "".join(inert(line) + "\n" for line in lines)


def render_json(classifications: Sequence[Classification]) -> str:
    import json

    document = {"models": [c.to_dict() for c in classifications]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
