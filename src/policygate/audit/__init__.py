"""Batch audit: every model of a directory tree, an MLflow registry or a list of sources.

:func:`audit` evaluates sources one by one (or in ``jobs`` worker processes,
with the same output), hands each model report to ``on_model`` as it comes
(to spool it for reports), and returns the :class:`AuditSummary`. Nothing per
model is kept in memory, so an audit of a large registry runs in flat memory.
A source that cannot be read is reported as a failed model with an ``error``
result, and the audit goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..report import ModelReport, Report
from ..run import evaluate
from .runner import AuditConfig, Auditor, audit_models, unreadable
from .sources import AuditItem, expand_sources
from .summary import AuditSummary


def audit(
    items: Iterable[AuditItem],
    config: AuditConfig,
    *,
    jobs: int = 1,
    on_model: Callable[[ModelReport], None] | None = None,
    on_source: Callable[[AuditItem], None] | None = None,
    auditor: Auditor | None = None,
) -> AuditSummary:
    """Evaluate every item; ``on_model`` sees each model report, ``on_source`` each item done."""
    summary = AuditSummary(fail_on=config.fail_on)
    for item, models in audit_models(items, config, jobs=jobs, auditor=auditor):
        for model in models:
            summary.add(model)
            if on_model is not None:
                on_model(model)
        if on_source is not None:
            on_source(item)
    return summary


def report_header(auditor: Auditor) -> Report:
    """A report without models that carries the audit's now, policies and engine.

    Made by the evaluator itself (over no model), so its header is what
    ``check`` would write for the same policies and ``now``.
    """
    return evaluate(auditor.run)  # the run loaded holds no model: its sources come one by one


__all__ = [
    "AuditConfig",
    "AuditItem",
    "AuditSummary",
    "Auditor",
    "audit",
    "expand_sources",
    "report_header",
    "unreadable",
]
