"""An ISO/IEC 42001 Statement of Applicability from the graph (clause 6.1.3 d):
every Annex A control, whether it applies, why, and its status from the evidence.

A control applies when a risk of the register calls for it or a rule gave
evidence for it about a model in scope (directly, through ``maps_to`` or a
``parent``; a skipped rule says nothing); its justification names those risks
and counts those rules, which the evidence column lists. A control that nothing calls for is
listed as not applicable, with the note that the exclusion is the
organisation's to justify: policygate knows only what the register and the
rules say. The status of an applicable control is the worst state it has for
a model in scope (violated, then waived, then unverified, then satisfied); one
that no model's report lists is unverified (fail closed).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..report import ControlState, Status
from .queries import coverage

if TYPE_CHECKING:
    from ..report import Report
    from .build import RiskGraph

FRAMEWORK = "iso-42001"
NOT_APPLICABLE = "not applicable"
# The worst state first: the one a control takes when its models disagree.
_PRECEDENCE = (
    ControlState.VIOLATED.value,
    ControlState.WAIVED.value,
    ControlState.UNVERIFIED.value,
    ControlState.SATISFIED.value,
)
EXCLUSION = (
    "no risk of the register calls for it and no evaluated rule gives evidence for it; "
    "the exclusion is the organisation's to justify (ISO/IEC 42001, 6.1.3)"
)


@dataclass(frozen=True)
class Applicability:
    id: str  # iso-42001:A.6.2.4
    title: str
    applicable: bool
    justification: str
    status: str  # a control state, or "not applicable"
    risks: tuple[str, ...]
    rules: tuple[str, ...]
    models: dict[str, tuple[str, ...]]  # state: the models that have the control so

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "applicable": self.applicable,
            "justification": self.justification,
            "status": self.status,
            "risks": list(self.risks),
            "rules": list(self.rules),
            "models": {state: list(refs) for state, refs in self.models.items()},
        }


@dataclass(frozen=True)
class StatementOfApplicability:
    title: str
    models: tuple[str, ...]
    controls: tuple[Applicability, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": FRAMEWORK,
            "title": self.title,
            "models": list(self.models),
            "applicable": sum(c.applicable for c in self.controls),
            "controls": [c.to_dict() for c in self.controls],
        }


def statement_of_applicability(risk_graph: RiskGraph, report: Report) -> StatementOfApplicability:
    """The SoA of the models in ``report`` (evaluated against ``risk_graph``)."""
    found = coverage(risk_graph, report, FRAMEWORK)
    results = [r for m in report.models for r in m.results if r.status is not Status.SKIP]
    entries = []
    for row in found.controls:
        states = {s: refs for s, refs in row.models.items() if refs}
        # Evidence is what rules said about the models, not what rules could say:
        # a rule of a policy that applied to none of them is left out.
        sources = risk_graph.evidence_sources(row.id)
        rules = tuple(sorted({r.rule_ref for r in results if sources.intersection(r.controls)}))
        applicable = bool(row.called_for_by or states)
        if not applicable:
            status, justification = NOT_APPLICABLE, EXCLUSION
        else:
            status = next((s for s in _PRECEDENCE if s in states), ControlState.UNVERIFIED.value)
            justification = _justification(row.called_for_by, rules, states)
        entries.append(
            Applicability(
                id=row.id,
                title=row.title,
                applicable=applicable,
                justification=justification,
                status=status,
                risks=row.called_for_by,
                rules=rules,
                models=states,
            )
        )
    return StatementOfApplicability(
        title=found.title, models=tuple(m.ref for m in report.models), controls=tuple(entries)
    )


def _justification(
    risks: Sequence[str], rules: Sequence[str], states: dict[str, tuple[str, ...]]
) -> str:
    parts = []
    if risks:
        parts.append(f"called for by risk{'s' if len(risks) > 1 else ''} {', '.join(risks)}")
    if rules:
        parts.append(f"evidenced by {len(rules)} rule{'s' if len(rules) > 1 else ''}")
    else:
        parts.append("no rule gives evidence for it")
    if states:
        parts.append(
            "; ".join(f"{len(states[s])} model(s) {s}" for s in _PRECEDENCE if s in states)
        )
    else:
        parts.append("no model in scope has it")
    return "; ".join(parts)


# --------------------------------------------------------------------------- render


def render_json(soa: StatementOfApplicability) -> str:
    return json.dumps(soa.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_markdown(soa: StatementOfApplicability) -> str:
    from ..formats.markdown import escape

    def cell(text: object) -> str:
        return escape(text).replace("\n", "<br>")

    applicable = sum(c.applicable for c in soa.controls)
    lines = [
        f"# Statement of Applicability: {cell(soa.title)}",
        "",
        f"{applicable} of {len(soa.controls)} Annex A controls apply to "
        f"{len(soa.models)} model{'s' if len(soa.models) != 1 else ''} "
        f"({cell(', '.join(soa.models)) or 'none'}).",
        "",
        "| Control | Title | Applicable | Justification | Status | Evidence |",
        "|---|---|---|---|---|---|",
    ]
    for c in soa.controls:
        lines.append(
            f"| {cell(c.id.removeprefix(FRAMEWORK + ':'))} | {cell(c.title)} "
            f"| {'yes' if c.applicable else 'no'} | {cell(c.justification)} "
            f"| {cell(c.status)} | {cell(', '.join(c.rules)) or '—'} |"
        )
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("control", "title", "applicable", "justification", "status", "risks", "rules",
               "models")  # fmt: skip


def render_csv(soa: StatementOfApplicability) -> str:
    """RFC 4180 CSV; a cell that a spreadsheet would read as a formula starts with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in soa.controls:
        models = "; ".join(f"{s}: {', '.join(refs)}" for s, refs in c.models.items())
        row = [c.id.removeprefix(FRAMEWORK + ":"), c.title, "yes" if c.applicable else "no",
               c.justification, c.status, " ".join(c.risks), " ".join(c.rules), models]  # fmt: skip
        writer.writerow([_inert_cell(v) for v in row])
    return out.getvalue()


def _inert_cell(value: str) -> str:
    """OWASP's CSV injection advice: a leading = + - @ tab or CR is data, not a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


RENDERERS = {"markdown": render_markdown, "json": render_json, "csv": render_csv}
