"""Impact preview: which models and rules would change outcome if a policy changed.

Both policy sets are evaluated with :func:`policygate.evaluate` over the same
models, with the same ``now``, waivers and inputs, so a difference comes from
the policies alone. Results are matched by model, ``policy/rule`` and element.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .evaluate import ModelInput, evaluate
from .formats.inert import inert
from .policy import Policy
from .report import ModelReport, Result, Status, upcoming_failures, will_fail_lines
from .waivers import Waiver

ABSENT = "absent"  # the rule (or element) gives no result on that side
_FAILING = (Status.FAIL.value, Status.ERROR.value)


class Change(str, enum.Enum):
    NEWLY_FAILING = "newly failing"  # not failing before, fail now
    NEWLY_ERROR = "newly error"  # not erroring before, error now
    NEWLY_PASSING = "newly passing"  # failing or erroring before, not now
    OTHER = "other"  # any other change (pass -> skip, a new passing rule, ...)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ResultChange:
    model: str
    source: str
    rule: str  # policy/rule
    item: int | str | None
    base: str  # a status, or "absent"
    head: str
    severity: str
    change: Change
    message: str | None  # the head result's message (the base's when the rule is gone)

    @property
    def subject(self) -> str:
        return self.rule + (f"[{self.item}]" if self.item is not None else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "source": self.source,
            "rule": self.rule,
            "item": self.item,
            "base": self.base,
            "head": self.head,
            "severity": self.severity,
            "change": self.change.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class ModelChange:
    model: str
    source: str
    base_passed: bool
    head_passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "source": self.source,
            "base_passed": self.base_passed,
            "head_passed": self.head_passed,
        }


@dataclass(frozen=True)
class Impact:
    """Every change between the base and head policies; owns the exit code."""

    now: str
    models: int
    model_changes: tuple[ModelChange, ...]
    changes: tuple[ResultChange, ...]
    fail_on: str = "error"
    # Staged enforcement under the head policies: (date, models that pass now and
    # fail from then on).
    upcoming: tuple[tuple[str, int], ...] = ()

    def count(self, change: Change) -> int:
        return sum(1 for c in self.changes if c.change is change)

    @property
    def newly_failing_models(self) -> tuple[ModelChange, ...]:
        return tuple(m for m in self.model_changes if m.base_passed and not m.head_passed)

    @property
    def newly_passing_models(self) -> tuple[ModelChange, ...]:
        return tuple(m for m in self.model_changes if not m.base_passed and m.head_passed)

    @property
    def breaks(self) -> bool:
        """Whether anything would newly fail the gate: a model, or a result at ``fail_on``."""
        return bool(self.newly_failing_models) or any(
            c.change in (Change.NEWLY_FAILING, Change.NEWLY_ERROR)
            and Result("", "", Status(c.head), severity=c.severity).fails_at(self.fail_on)
            for c in self.changes
        )

    def exit_code(self) -> int:
        return 1 if self.breaks else 0

    def summary(self) -> str:
        models = self.models
        return (
            f"{models} model{'s' if models != 1 else ''}: "
            f"{len(self.newly_failing_models)} newly failing, "
            f"{len(self.newly_passing_models)} newly passing · "
            f"{self.count(Change.NEWLY_FAILING)} newly fail, "
            f"{self.count(Change.NEWLY_ERROR)} newly error, "
            f"{self.count(Change.NEWLY_PASSING)} newly pass, "
            f"{self.count(Change.OTHER)} other"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "diff_version": 1,
            "now": self.now,
            "fail_on": self.fail_on,
            "breaks": self.breaks,
            "summary": {
                "models": self.models,
                "newly_failing_models": len(self.newly_failing_models),
                "newly_passing_models": len(self.newly_passing_models),
                **{c.name.lower(): self.count(c) for c in Change},
            },
            "models": [m.to_dict() for m in self.model_changes],
            "changes": [c.to_dict() for c in self.changes],
            **(
                {"will_fail": [{"date": d, "models": n} for d, n in self.upcoming]}
                if self.upcoming
                else {}
            ),
        }


def diff(
    models: Sequence[ModelInput],
    base: Sequence[Policy],
    head: Sequence[Policy],
    *,
    now: _dt.datetime | str | None = None,
    waivers: Sequence[Waiver] = (),
    inputs: Mapping[str, Any] | None = None,
    fail_on: str = "error",
    request: Mapping[str, Any] | None = None,
    head_risk_graph: Any = None,
    **evaluation: Any,
) -> Impact:
    """Evaluate ``base`` and ``head`` over the same ``models`` and compare; access
    policies judge ``request`` (the rules that judge its action, on each model).
    ``evaluation`` gives both evaluations the rest of
    :func:`policygate.evaluate.evaluate`'s keywords (``approvers``, ``risk_graph``...);
    ``head_risk_graph`` is the risk registers' graph over ``head`` (default: ``risk_graph``)."""
    judged = None
    if request is not None or any(p.kind == "AccessPolicy" for p in (*base, *head)):
        from .access import for_request
        from .evaluate import _as_now

        now = _as_now(now)
        judged, base = for_request(base, request, now)
        _, head = for_request(head, request, now)
    before = evaluate(models, base, now=now, waivers=waivers, inputs=inputs, fail_on=fail_on,
                      request=judged, **evaluation)  # fmt: skip
    if head_risk_graph is not None:
        evaluation = {**evaluation, "risk_graph": head_risk_graph}
    after = evaluate(models, head, now=before.now, waivers=waivers, inputs=inputs,
                     fail_on=fail_on, request=judged, **evaluation)  # fmt: skip
    model_changes: list[ModelChange] = []
    changes: list[ResultChange] = []
    for old, new in zip(before.models, after.models, strict=True):
        if old.passed != new.passed:
            model_changes.append(ModelChange(old.ref, old.source, old.passed, new.passed))
        changes.extend(_compare(old, new))
    upcoming = tuple(upcoming_failures(after.models, fail_on))
    return Impact(before.now, len(before.models), tuple(model_changes), tuple(changes), fail_on,
                  upcoming)  # fmt: skip


def _compare(old: ModelReport, new: ModelReport) -> list[ResultChange]:
    def key(result: Result) -> tuple[str, str, str]:
        return (result.policy, result.rule, "" if result.item is None else repr(result.item))

    before = {key(r): r for r in old.results}
    after = {key(r): r for r in new.results}
    changes = []
    for k in sorted(set(before) | set(after)):
        was, now = before.get(k), after.get(k)
        base = was.status.value if was else ABSENT
        head = now.status.value if now else ABSENT
        if base == head:
            continue
        shown = now or was
        assert shown is not None
        changes.append(
            ResultChange(
                model=new.ref,
                source=new.source,
                rule=shown.rule_ref,
                item=shown.item,
                base=base,
                head=head,
                severity=shown.severity,
                change=_kind(base, head),
                message=shown.message,
            )
        )
    return changes


def _kind(base: str, head: str) -> Change:
    if head == Status.ERROR.value:
        return Change.NEWLY_ERROR
    if head == Status.FAIL.value and base != Status.FAIL.value:
        return Change.NEWLY_FAILING
    if base in _FAILING and head not in _FAILING:
        return Change.NEWLY_PASSING
    return Change.OTHER


def render_text(impact: Impact) -> str:
    lines: list[str] = []
    by_model: dict[tuple[str, str], list[ResultChange]] = {}
    for change in impact.changes:
        by_model.setdefault((change.model, change.source), []).append(change)
    verdicts = {(m.model, m.source): m for m in impact.model_changes}
    for (model, source), changes in by_model.items():
        verdict = verdicts.get((model, source))
        moved = ""
        if verdict is not None:
            moved = "  " + ("passed -> FAILED" if verdict.base_passed else "FAILED -> passed")
        lines.append(f"{model}  {source}{moved}")
        width = max(len(c.subject) for c in changes)
        for c in changes:
            lines.append(
                f"  {c.subject:<{width}}  {c.base} -> {c.head}  ({c.severity}, {c.change})"
            )
            if c.message and c.head in _FAILING:
                lines.append(f"  {'':<{width}}  {c.message}")
        lines.append("")
    if not impact.changes and not impact.model_changes:
        lines.append("no change")
    lines.append(impact.summary())
    lines += will_fail_lines(impact.upcoming)
    return "\n".join(inert(line) for line in lines) + "\n"  # names, sources, messages


def render_json(impact: Impact) -> str:
    return json.dumps(impact.to_dict(), indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "ABSENT",
    "Change",
    "Impact",
    "ModelChange",
    "ResultChange",
    "diff",
    "render_json",
    "render_text",
]
