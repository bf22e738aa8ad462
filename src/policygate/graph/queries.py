"""Questions a compliance reader asks of the graph: where are the gaps, what
does a change affect, how well is a framework covered. Each returns a value
with ``to_dict`` for JSON; the CLI only prints them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..report import ControlState, Report
from .build import (
    CALLS_FOR,
    CARRIES,
    CONTROL,
    EVIDENCED_BY,
    KINDS,
    MAPS_TO,
    MODEL,
    RISK,
    TRAINED_ON,
    RiskGraph,
    node_id,
)

# --------------------------------------------------------------------------- helpers


def _nodes(risk_graph: RiskGraph, kind: str) -> list[str]:
    graph = risk_graph.graph
    return sorted(n for n, k in graph.nodes(data="kind") if k == kind)


def _related(
    risk_graph: RiskGraph, node: str, relation: str, *, incoming: bool = False
) -> list[str]:
    """The ids of the nodes ``node`` points to (or that point to it) by ``relation``."""
    graph = risk_graph.graph
    if incoming:
        edges = ((u, d) for u, _, d in graph.in_edges(node, data="relation"))
    else:
        edges = ((v, d) for _, v, d in graph.out_edges(node, data="relation"))
    return sorted(graph.nodes[n]["id"] for n, d in edges if d == relation)


def evidencing_rules(risk_graph: RiskGraph, control_id: str) -> list[str]:
    """The loaded rules that give evidence for a control, directly or through ``maps_to``."""
    rules: set[str] = set()
    for source in risk_graph.evidence_sources(control_id):
        node = node_id(CONTROL, source)
        if node in risk_graph.graph:
            rules.update(_related(risk_graph, node, EVIDENCED_BY))
    return sorted(rules)


# --------------------------------------------------------------------------- gaps


@dataclass(frozen=True)
class ControlGap:
    control: str
    title: str
    risks: tuple[str, ...]  # the register's risks that call for it

    def to_dict(self) -> dict[str, Any]:
        return {"control": self.control, "title": self.title, "risks": list(self.risks)}


@dataclass(frozen=True)
class RiskGap:
    risk: str
    title: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"risk": self.risk, "title": self.title, "source": self.source}


@dataclass(frozen=True)
class ModelGap:
    model: str
    source: str
    risks: tuple[str, ...]  # ids the register does not define

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "source": self.source, "risks": list(self.risks)}


@dataclass(frozen=True)
class Gaps:
    risks_without_controls: tuple[RiskGap, ...]
    controls_without_evidence: tuple[ControlGap, ...]
    models_with_unknown_risks: tuple[ModelGap, ...]

    @property
    def empty(self) -> bool:
        return not (
            self.risks_without_controls
            or self.controls_without_evidence
            or self.models_with_unknown_risks
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "risks_without_controls": [g.to_dict() for g in self.risks_without_controls],
            "controls_without_evidence": [g.to_dict() for g in self.controls_without_evidence],
            "models_with_unknown_risks": [g.to_dict() for g in self.models_with_unknown_risks],
        }


def gaps(risk_graph: RiskGraph) -> Gaps:
    """Risks of the register that no control mitigates; controls the register's
    risks call for that no loaded rule gives evidence for (directly or through
    ``maps_to``); models that name risks the register does not define."""
    graph = risk_graph.graph
    risks = []
    called_for: dict[str, set[str]] = {}
    for node in _nodes(risk_graph, RISK):
        data = graph.nodes[node]
        if not data.get("defined"):
            continue
        mitigations = _related(risk_graph, node, CALLS_FOR)
        if not mitigations:
            risks.append(RiskGap(data["id"], data.get("title", ""), data.get("source", "")))
        for control_id in mitigations:
            called_for.setdefault(control_id, set()).add(data["id"])
    controls = []
    for control_id in sorted(called_for):
        if not evidencing_rules(risk_graph, control_id):
            control = risk_graph.control(control_id)
            title = control.title if control else ""
            controls.append(ControlGap(control_id, title, tuple(sorted(called_for[control_id]))))
    models = []
    for node in _nodes(risk_graph, MODEL):
        unknown = [
            graph.nodes[r]["id"]
            for _, r, relation in graph.out_edges(node, data="relation")
            if relation == CARRIES and not graph.nodes[r].get("defined")
        ]
        if unknown:
            data = graph.nodes[node]
            models.append(ModelGap(data["id"], data.get("source", ""), tuple(sorted(unknown))))
    return Gaps(tuple(risks), tuple(controls), tuple(models))


# --------------------------------------------------------------------------- impact

# How a change travels. Evidence flows up: a rule to the controls it evidences,
# a control to the controls it maps to and to the risks it mitigates, a risk
# to the models that carry it. Data flows down: a dataset to the models trained
# on it, a model to its risks, a risk to the controls it calls for (and on to
# the controls those map to). (relation, forward?) for each view.
EVIDENCE_FLOW = ((EVIDENCED_BY, False), (MAPS_TO, True), (CALLS_FOR, False), (CARRIES, False))
DATA_FLOW = ((TRAINED_ON, False), (CARRIES, True), (CALLS_FOR, True), (MAPS_TO, True))


def flow_view(risk_graph: RiskGraph, flow: Iterable[tuple[str, bool]]) -> Any:
    """A networkx DiGraph of the graph's edges of the relations in ``flow``, each
    forward or reversed, so that a change travels along its edges."""
    import networkx as nx

    directions = dict(flow)
    view = nx.DiGraph()
    view.add_nodes_from(risk_graph.graph.nodes)
    for u, v, relation in risk_graph.graph.edges(data="relation"):
        if relation in directions:
            view.add_edge(*((u, v) if directions[relation] else (v, u)))
    return view


@dataclass(frozen=True)
class Impact:
    node: str
    affected: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kind: ids

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "affected": {
                kind: list(self.affected.get(kind, ())) for kind in (MODEL, RISK, CONTROL)
            },
        }


def impact(risk_graph: RiskGraph, node: str) -> Impact:
    """Everything a change to ``node`` reaches: its networkx descendants in the
    evidence view and in the data view (:data:`EVIDENCE_FLOW`, :data:`DATA_FLOW`).

    For a rule: the controls it evidences, the controls they map to, the risks
    those mitigate and the models that carry them. For a dataset: the models
    trained on it, their risks and the controls those call for. A risk reaches
    both the models that carry it and the controls it calls for.
    """
    import networkx as nx

    node = resolve_node(risk_graph, node)
    reached: set[str] = set()
    for flow in (EVIDENCE_FLOW, DATA_FLOW):
        reached |= nx.descendants(flow_view(risk_graph, flow), node)
    reached.discard(node)
    graph = risk_graph.graph
    affected: dict[str, list[str]] = {}
    for other in reached:
        affected.setdefault(graph.nodes[other]["kind"], []).append(graph.nodes[other]["id"])
    return Impact(node, {kind: tuple(sorted(ids)) for kind, ids in affected.items()})


def resolve_node(risk_graph: RiskGraph, name: str) -> str:
    """A node from ``kind:id`` or from a bare id that names one node only."""
    graph = risk_graph.graph
    if name in graph:
        return name
    matches = sorted(n for n, ident in graph.nodes(data="id") if ident == name)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"{name!r} is ambiguous: {', '.join(matches)}")
    by_id = {ident: node for node, ident in sorted(graph.nodes(data="id"))}
    hint = [by_id[i] for i in difflib.get_close_matches(name, list(by_id), n=1)]
    hint = hint or difflib.get_close_matches(name, sorted(by_id.values()), n=1)
    kinds = ", ".join(f"{k}:ID" for k in KINDS)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else f" (nodes are named {kinds})"
    raise UsageError(f"no node {name!r} in the graph{suggestion}")


# --------------------------------------------------------------------------- coverage

STATES = (
    ControlState.SATISFIED,
    ControlState.VIOLATED,
    ControlState.WAIVED,
    ControlState.UNVERIFIED,
)


@dataclass(frozen=True)
class ControlCoverage:
    id: str
    title: str
    called_for_by: tuple[str, ...]  # the register's risks that call for it
    rules: tuple[str, ...]  # the loaded rules that give evidence for it
    models: dict[str, tuple[str, ...]]  # state: the models whose report gives it that state

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "called_for_by": list(self.called_for_by),
            "rules": list(self.rules),
            **{state.value: list(self.models.get(state.value, ())) for state in STATES},
        }


@dataclass(frozen=True)
class Coverage:
    framework: str
    title: str
    controls: tuple[ControlCoverage, ...]

    def summary(self) -> dict[str, int]:
        def having(state: ControlState) -> int:
            return sum(1 for c in self.controls if c.models.get(state.value))

        return {
            "controls": len(self.controls),
            "called_for": sum(1 for c in self.controls if c.called_for_by),
            "evidenced": sum(1 for c in self.controls if c.rules),
            **{state.value: having(state) for state in STATES},
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "title": self.title,
            "summary": self.summary(),
            "controls": [c.to_dict() for c in self.controls],
        }


def frameworks(risk_graph: RiskGraph) -> list[str]:
    return sorted({c.framework for catalog in risk_graph.catalogs for c in catalog.controls})


def coverage(risk_graph: RiskGraph, report: Report, framework: str) -> Coverage:
    """Every control of ``framework``, in catalog order: the risks that call for
    it, the rules that evidence it, and per state the models that have it so.

    A model counts for a control when its report lists the control: the
    model's risks call for it or one of its rules names it.
    """
    known = frameworks(risk_graph)
    if framework not in known:
        raise UsageError(f"unknown framework {framework!r} (known: {', '.join(known)})")
    per_control: dict[str, dict[str, list[str]]] = {}
    for model in report.models:
        for status in model.controls:
            states = per_control.setdefault(status.id, {})
            states.setdefault(status.status.value, []).append(model.ref)
    titles = [
        c.title for c in risk_graph.catalogs if c.controls and c.controls[0].framework == framework
    ]
    rows = []
    for catalog in risk_graph.catalogs:
        for control in catalog.controls:
            if control.framework != framework:
                continue
            node = node_id(CONTROL, control.id)
            rows.append(
                ControlCoverage(
                    id=control.id,
                    title=control.title,
                    called_for_by=tuple(
                        r
                        for r in _related(risk_graph, node, CALLS_FOR, incoming=True)
                        if risk_graph.graph.nodes[node_id(RISK, r)].get("defined")
                    ),
                    rules=tuple(evidencing_rules(risk_graph, control.id)),
                    models={
                        k: tuple(sorted(v)) for k, v in per_control.get(control.id, {}).items()
                    },
                )
            )
    return Coverage(framework, titles[0] if titles else "", tuple(rows))


__all__ = [
    "Coverage",
    "ControlCoverage",
    "Gaps",
    "Impact",
    "coverage",
    "evidencing_rules",
    "flow_view",
    "frameworks",
    "gaps",
    "impact",
    "resolve_node",
]
