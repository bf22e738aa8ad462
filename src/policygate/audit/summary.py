"""The audit summary: counts that stay the same size however many models are audited."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..formats.inert import inert
from ..report import (
    STATUS_ORDER,
    ControlState,
    ModelReport,
    Status,
    first_staged_failure,
    will_fail_lines,
)

LOAD_RULE = ("policygate", "load")  # the result of a source that could not be read
_VALUES = {status: status.value for status in Status}


@dataclass
class AuditSummary:
    """Accumulates model reports one at a time (streaming: nothing per model is kept
    except the first few unreadable sources, for the message)."""

    models: int = 0
    passed: int = 0
    evaluated: int = 0
    unreadable: int = 0
    results: Counter[str] = field(default_factory=Counter)
    failing_rules: Counter[str] = field(default_factory=Counter)
    violated_controls: Counter[str] = field(default_factory=Counter)
    unverified_controls: Counter[str] = field(default_factory=Counter)
    unreadable_examples: list[str] = field(default_factory=list)
    fail_on: str = "error"
    # Staged enforcement: date -> models that pass now and fail from then on.
    will_fail: Counter[str] = field(default_factory=Counter)

    def add(self, model: ModelReport) -> None:
        self.models += 1
        self.passed += model.passed
        self.evaluated += model.evaluated
        statuses: list[str] = []
        failing: set[str] = set()
        load_message: str | None = None
        for result in model.results:
            status = result.status
            statuses.append(_VALUES[status])
            if result.rule == LOAD_RULE[1] and result.policy == LOAD_RULE[0]:
                if load_message is None:
                    load_message = str(result.message)
            elif status is Status.FAIL or status is Status.ERROR:
                failing.add(result.rule_ref)
        self.results.update(statuses)
        if load_message is not None:
            self.unreadable += 1
            if len(self.unreadable_examples) < 10:
                self.unreadable_examples.append(load_message)
        self.failing_rules.update(failing)
        date = first_staged_failure(model, self.fail_on)
        if date is not None:
            self.will_fail[date] += 1
        for control in model.controls:
            if control.status is ControlState.VIOLATED:
                self.violated_controls[control.id] += 1
            elif control.status is ControlState.UNVERIFIED:
                self.unverified_controls[control.id] += 1

    @property
    def failed(self) -> int:
        return self.models - self.passed

    @property
    def nothing_evaluated(self) -> bool:
        return self.models == 0 or self.evaluated == 0

    @property
    def all_passed(self) -> bool:
        return not self.nothing_evaluated and self.failed == 0

    def exit_code(self) -> int:
        """As for ``check``: 0 all passed, 1 a model failed, 2 nothing evaluated."""
        if self.nothing_evaluated:
            return 2
        return 0 if self.all_passed else 1

    def report_summary(self) -> dict[str, Any]:
        """The ``summary`` object of the JSON report (SPEC §6) for the models seen."""
        return {
            "models": self.models,
            "passed": self.passed,
            "failed": self.failed,
            "results": {s.value: self.results[s.value] for s in STATUS_ORDER},
        }

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            **self.report_summary(),
            "unreadable": self.unreadable,
            "failing_rules": _top(self.failing_rules, top),
            "violated_controls": _top(self.violated_controls, top),
            "unverified_controls": _top(self.unverified_controls, top),
            **(
                {"will_fail": [{"date": d, "models": n} for d, n in sorted(self.will_fail.items())]}
                if self.will_fail
                else {}
            ),
        }

    def render(self, top: int = 10) -> str:
        """The summary for people: verdict, counts, and what fails most."""
        counts = self.report_summary()["results"]
        plural = "s" if self.models != 1 else ""
        lines = [
            f"audit: {self.models} model{plural}, {self.passed} passed, {self.failed} failed"
            + (f" ({self.unreadable} could not be read)" if self.unreadable else ""),
            "results: " + ", ".join(f"{counts[s.value]} {s.value}" for s in STATUS_ORDER),
        ]
        lines += will_fail_lines(sorted(self.will_fail.items()))
        if self.nothing_evaluated:
            lines.append(
                "nothing evaluated: "
                + ("no model found" if not self.models else "no rule applies to any model")
            )
        for title, counter in (
            ("rules failing most (models)", self.failing_rules),
            ("controls most often violated (models)", self.violated_controls),
            ("controls most often unverified (models)", self.unverified_controls),
        ):
            if counter:
                lines.append("")
                lines.append(f"{title}:")
                width = len(str(max(counter.values())))
                lines.extend(f"  {n:>{width}}  {key}" for key, n in _top(counter, top))
        if self.unreadable_examples:
            lines.append("")
            lines.append("could not be read:")
            lines.extend(f"  {message}" for message in self.unreadable_examples)
            if self.unreadable > len(self.unreadable_examples):
                lines.append(f"  ... and {self.unreadable - len(self.unreadable_examples)} more")
        return "\n".join(inert(line) for line in lines) + "\n"  # rule ids, sources, errors


def _top(counter: Counter[str], top: int) -> list[tuple[str, int]]:
    """The ``top`` most frequent, ties by name, so the summary is deterministic."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
