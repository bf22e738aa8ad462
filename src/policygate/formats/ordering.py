"""The one order every human-facing format shows: what needs attention first.

Failing models before passing ones; within a model, errors, then failures,
then waived results, then passes and skips, the more severe first.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..report import ModelReport, Result, Status

RESULT_ORDER = {Status.ERROR: 0, Status.FAIL: 1, Status.WAIVED: 2, Status.PASS: 3, Status.SKIP: 4}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def failures_first(models: Iterable[ModelReport]) -> list[ModelReport]:
    """Failed models first, otherwise in report order (the sort is stable)."""
    return sorted(models, key=lambda m: m.passed)


def by_attention(results: Iterable[Result]) -> list[Result]:
    """Errors, failures, waived, passes, skips; more severe first within each."""
    return sorted(
        results, key=lambda r: (RESULT_ORDER[r.status], SEVERITY_ORDER.get(r.severity, 3))
    )


def needs_attention(result: Result) -> bool:
    """A result a reader must see: it failed, errored, or a waiver (even expired) touched it."""
    return result.status in (Status.FAIL, Status.ERROR, Status.WAIVED) or result.waiver is not None


def result_label(result: Result) -> str:
    """``policy/rule`` with the item when there is one: ``prod/fairness.gap[0]``."""
    return result.rule_ref + (f"[{result.item}]" if result.item is not None else "")
