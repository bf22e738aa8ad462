"""The dependency graph: one networkx ``DiGraph`` of models, risks, controls,
rules and datasets. The report and the ``graph`` commands read it.

Nodes are named ``kind:id`` (``risk:R-DRIFT``, ``control:eu-ai-act:art-10``,
``rule:production-promotion/fairness.gap``, ``model:credit-default@3.1.0``,
``dataset:ham10000``) and carry ``kind`` and ``id`` attributes. Edges carry a
``relation``; all but ``maps_to`` point from what needs to what provides it:

- model → risk (``carries``): the record names the risk, or its selector matched;
- risk → control (``calls_for``): the control mitigates the risk;
- control → rule (``evidenced_by``): the rule names the control;
- control → control (``maps_to``): a catalog maps its control to another's, so
  evidence for the first counts for the second;
- model → dataset (``trained_on``): the record's lineage lists the dataset.

networkx is imported inside functions only (here, in :mod:`.queries` and
:mod:`.export`), when a graph is built or queried, so ``check`` without a risk
register never loads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..documents import DEFAULT_LIMITS, Limits
from ..errors import ErrorGroup, LoadError, PolicygateError
from ..evaluate import evaluate
from ..policy import Expression, Policy
from .catalogs import Control, ControlCatalog, all_catalogs, check_catalogs, check_control_ids
from .register import (
    RiskRegister,
    check_model_risks,
    check_register_controls,
    declared_risks,
    load_risk_registers,
)

if TYPE_CHECKING:
    from ..models import ModelRecord
    from ..report import Report
    from ..waivers import Waiver
    from .evidence import Assessment

MODEL, RISK, CONTROL, RULE, DATASET = "model", "risk", "control", "rule", "dataset"
KINDS = (MODEL, RISK, CONTROL, RULE, DATASET)

CARRIES, CALLS_FOR, EVIDENCED_BY, MAPS_TO, TRAINED_ON = (
    "carries",
    "calls_for",
    "evidenced_by",
    "maps_to",
    "trained_on",
)
RELATIONS = {  # relation: (kind of the source, kind of the target)
    CARRIES: (MODEL, RISK),
    CALLS_FOR: (RISK, CONTROL),
    EVIDENCED_BY: (CONTROL, RULE),
    MAPS_TO: (CONTROL, CONTROL),
    TRAINED_ON: (MODEL, DATASET),
}


def node_id(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


class RiskGraph:
    """The graph with what it was built from: the register (for its selectors)
    and the catalogs (for control titles)."""

    def __init__(
        self, graph: Any, register: RiskRegister, catalogs: Sequence[ControlCatalog]
    ) -> None:
        self.graph = graph  # networkx.DiGraph
        self.register = register
        self.catalogs = tuple(catalogs)
        self._controls: dict[str, Control] = {c.id: c for cat in catalogs for c in cat.controls}
        self._sources: dict[str, frozenset[str]] = {}
        self._children: dict[str, list[str]] = {}
        for control in self._controls.values():
            if control.parent is not None:
                self._children.setdefault(control.parent, []).append(control.id)

    def control(self, control_id: str) -> Control | None:
        return self._controls.get(control_id)

    def evidence_sources(self, control_id: str) -> frozenset[str]:
        """The controls whose rules give evidence for ``control_id``: itself,
        every control that maps to it, directly or through other mappings, and
        the controls that refine it (``parent``: a NIST subcategory for its
        category), with what maps to those."""
        cached = self._sources.get(control_id)
        if cached is None:
            import networkx as nx

            mappings = nx.subgraph_view(
                self.graph,
                filter_edge=lambda u, v: self.graph.edges[u, v]["relation"] == MAPS_TO,
            )
            found = {control_id}
            pending = [control_id]
            while pending:
                current = pending.pop()
                node = node_id(CONTROL, current)
                more = set(self._children.get(current, ()))
                if node in self.graph:
                    more.update(self.graph.nodes[n]["id"] for n in nx.ancestors(mappings, node))
                pending.extend(more - found)
                found |= more
            cached = self._sources[control_id] = frozenset(found)
        return cached

    def assess(
        self,
        record: ModelRecord,
        results: Sequence[Any],
        decide: Callable[[Expression], bool],
        *,
        require_evidence: bool = False,
    ) -> Assessment:
        """The model's risks and control statuses (see :mod:`.evidence`)."""
        from .evidence import assess_model

        return assess_model(self, record, results, decide, require_evidence=require_evidence)

    def with_models(self, report: Report, records: Sequence[ModelRecord]) -> RiskGraph:
        """A copy with the evaluated models added: their risks as the report
        gives them (record and selectors), risk ids the register does not define
        (as undefined risk nodes), and the datasets of their lineage.

        ``records`` are the records the report was made from, in its order.
        """
        if len(records) != len(report.models):
            raise ValueError("records must be the ones the report was made from")
        graph = self.graph.copy()
        for model, record in zip(report.models, records, strict=True):
            node = node_id(MODEL, model.ref)
            passed, source = model.passed, model.source
            if node in graph:  # two records of one name@version: one node, as bad as the worse
                earlier = graph.nodes[node]
                passed = passed and earlier["passed"]
                if source not in earlier["source"].split(", "):
                    source = f"{earlier['source']}, {source}"
                else:
                    source = earlier["source"]
            graph.add_node(
                node,
                kind=MODEL,
                id=model.ref,
                name=model.name,
                version=model.version,
                source=source,
                passed=passed,
            )
            for risk in model.risks or ():
                graph.add_edge(
                    node, node_id(RISK, risk.id), relation=CARRIES, via=",".join(risk.via)
                )
            for risk_id, _ in _declared(record):
                if self.register.risk(risk_id) is None:
                    risk_node = node_id(RISK, risk_id)
                    if risk_node not in graph:
                        graph.add_node(risk_node, kind=RISK, id=risk_id, title="", defined=False)
                    graph.add_edge(node, risk_node, relation=CARRIES, via="record")
            for name, version in training_data(record):
                dataset = node_id(DATASET, name)
                graph.add_node(dataset, kind=DATASET, id=name)
                graph.add_edge(node, dataset, relation=TRAINED_ON, version=version)
        return RiskGraph(graph, self.register, self.catalogs)


def _declared(record: ModelRecord) -> tuple[tuple[str, Any], ...]:
    try:
        return declared_risks(record)
    except LoadError:  # a malformed risks list is an error result of the model, not a node
        return ()


def training_data(record: ModelRecord) -> list[tuple[str, str]]:
    """``(name, version)`` of each training dataset in ``spec.lineage.training_data``."""
    data = record.data
    spec = data.get("spec") if isinstance(data, Mapping) else None
    lineage = spec.get("lineage") if isinstance(spec, Mapping) else None
    entries = lineage.get("training_data") if isinstance(lineage, Mapping) else None
    found = []
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str) and entry["name"]:
            version = entry.get("version")
            found.append((entry["name"], "" if version is None else str(version)))
    return found


def build_risk_graph(
    register: RiskRegister | None = None,
    policies: Iterable[Policy] = (),
    *,
    extra_catalogs: Iterable[ControlCatalog] = (),
) -> RiskGraph:
    """The graph of the catalogs (shipped plus ``extra_catalogs``), the register
    and the policies' rules; add models with :meth:`RiskGraph.with_models`.

    Raises the reference errors together first: unknown control ids in the
    register, the catalogs' ``maps_to`` and the rules, and ``maps_to`` cycles.
    """
    import networkx as nx

    catalogs = all_catalogs(extra_catalogs)
    policies = list(policies)
    register = register or RiskRegister(())
    errors: list[PolicygateError] = [
        *check_catalogs(catalogs),
        *check_register_controls(register, catalogs),
        *check_control_ids(policies, catalogs),
    ]
    if errors:
        raise ErrorGroup.of(errors)

    graph = nx.DiGraph()
    for catalog in catalogs:
        for control in catalog.controls:
            graph.add_node(
                node_id(CONTROL, control.id),
                kind=CONTROL,
                id=control.id,
                title=control.title,
                framework=control.framework,
            )
    for catalog in catalogs:
        for control in catalog.controls:
            for target in control.maps_to:
                graph.add_edge(
                    node_id(CONTROL, control.id), node_id(CONTROL, target), relation=MAPS_TO
                )
    for risk in register.risks:
        node = node_id(RISK, risk.id)
        graph.add_node(
            node,
            kind=RISK,
            id=risk.id,
            title=risk.title,
            category=risk.category,
            likelihood=risk.likelihood,
            impact=risk.impact,
            inherent=risk.inherent,
            owner=risk.owner,
            defined=True,
            source=str(risk.location or risk.source),
        )
        for called in risk.controls:
            graph.add_edge(node, node_id(CONTROL, called), relation=CALLS_FOR)
    for policy in policies:
        for rule in policy.rules:
            ref = f"{policy.name}/{rule.id}"
            node = node_id(RULE, ref)
            graph.add_node(
                node,
                kind=RULE,
                id=ref,
                title=rule.title,
                severity=rule.severity,
                category=rule.category,
            )
            for named in rule.controls:
                graph.add_edge(node_id(CONTROL, named), node, relation=EVIDENCED_BY)
    return RiskGraph(graph, register, catalogs)


def load_risk_graph(
    registers: Sequence[str | os.PathLike[str]],
    policies: Iterable[Policy] = (),
    *,
    extra_catalogs: Iterable[ControlCatalog] = (),
    records: Iterable[ModelRecord] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RiskGraph:
    """Load the risk registers at ``registers`` (within ``limits``, as every other
    file of the run) and build the graph.

    With ``records``, a risk id a record names that no register defines is a
    load error too (``check`` passes them; the ``graph`` commands report such
    ids as gaps instead).
    """
    register = load_risk_registers(registers, limits=limits)
    return risk_graph_of(register, policies, extra_catalogs=extra_catalogs, records=records)


def risk_graph_of(
    register: RiskRegister,
    policies: Iterable[Policy] = (),
    *,
    extra_catalogs: Iterable[ControlCatalog] = (),
    records: Iterable[ModelRecord] | None = None,
) -> RiskGraph:
    """The graph of a loaded register, as :func:`load_risk_graph` builds it."""
    errors = check_model_risks(records, register) if records is not None else []
    try:
        risk_graph = build_risk_graph(register, policies, extra_catalogs=extra_catalogs)
    except ErrorGroup as group:
        errors.extend(group.errors)
    except PolicygateError as error:
        errors.append(error)
    if errors:
        raise ErrorGroup.of(errors)
    return risk_graph


def evaluated_graph(
    records: Sequence[ModelRecord],
    policies: Sequence[Policy],
    register: RiskRegister | None = None,
    *,
    extra_catalogs: Iterable[ControlCatalog] = (),
    now: Any = None,
    waivers: Sequence[Waiver] = (),
    inputs: Mapping[str, Any] | None = None,
) -> tuple[RiskGraph, Report]:
    """Build the graph, evaluate the records against it and add them: what the
    ``graph`` commands query. Returns the graph with models and the report."""
    risk_graph = build_risk_graph(register, policies, extra_catalogs=extra_catalogs)
    report = evaluate(
        records, policies, now=now, waivers=waivers, inputs=inputs, risk_graph=risk_graph
    )
    return risk_graph.with_models(report, records), report
