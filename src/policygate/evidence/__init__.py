"""Evidence: reports produced about a model, attached to its record (SPEC §13).

A record's ``spec.evidence`` lists them as ``{source: "FORMAT:PATH", name: ...}``,
PATH relative to the record's own directory; ``check --evidence
'NAME@VERSION-GLOB=FORMAT:PATH'`` attaches the same to the models of a run. Each
report is read by the reader of its format and lands in the canonical places, so
the shipped rules judge it as they judge a hand-written record:

- fairness results in ``spec.fairness.metrics[]`` (``{attribute, metric, value,
  direction, ...}``) and their attributes in ``spec.fairness.protected_attributes``;
- drift and monitoring results in ``spec.monitoring.checks[]`` (``{name, value,
  threshold, direction: max|min, passed, checked_at, source}``).

Formats: ``evidently`` (an Evidently 0.7 report's JSON: its tests, and its drift
metrics that no test judges), ``fairlearn`` (per-attribute metric values, or the
entries :func:`from_metricframe` gives) and ``aiverify`` (the output of AI
Verify's fairness metrics toolbox). docs/evidence.md shows the whole path.
"""

from __future__ import annotations

from .attach import (
    EVIDENCE_FORMATS,
    attach_declared,
    attach_findings,
    attach_option,
    parse_evidence_option,
    read_evidence,
)
from .fairlearn import from_metricframe
from .findings import EvidenceError, Findings

__all__ = [
    "EVIDENCE_FORMATS",
    "EvidenceError",
    "Findings",
    "attach_declared",
    "attach_findings",
    "attach_option",
    "from_metricframe",
    "parse_evidence_option",
    "read_evidence",
]
