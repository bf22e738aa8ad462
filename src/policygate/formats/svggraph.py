"""The model → risk → control → rule graph of one model, as an inline SVG.

Drawn from the report alone (formats never evaluate): the model's risks and
control statuses as the JSON report carries them, and its results. Without
risks in the report the graph is model → control → rule. Columns left to
right, nodes coloured by status, edges coloured by the status of the node they
lead to, and every label escaped (model content is untrusted). A node's full
text is in its ``<title>`` (a tooltip) when the label has to be shortened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from ..report import ModelReport, Result, Status
from .ordering import RESULT_ORDER

# Worst first: the status a rule node shows is the worst of its results.
CONTROL_ORDER = {"violated": 0, "unverified": 1, "waived": 2, "satisfied": 3}

STATUS_CLASS = {
    "error": "bad",
    "fail": "bad",
    "violated": "bad",
    "waived": "warn",
    "unverified": "warn",
    "pass": "good",
    "satisfied": "good",
    "skip": "muted",
    "passed": "good",
    "failed": "bad",
}

_ROW = 30  # vertical distance between nodes
_NODE_HEIGHT = 22
_GAP = 90  # horizontal gap between columns
_CHAR = 6.6  # average width of a 12px character, for shortening labels
_TOP = 34  # room for the column headings


@dataclass(frozen=True)
class _Node:
    key: str
    label: str
    status: str
    detail: str


def model_graph(model: ModelReport) -> str:
    """The SVG of one model's graph (a string holding one ``<svg>`` element)."""
    data = model.to_dict()
    risks = [_as_mapping(r) for r in data.get("risks") or ()]
    controls = [_as_mapping(c) for c in data.get("controls") or ()]
    # Rules of a policy that does not apply to the model are only noise here.
    inapplicable = {p.name for p in model.policies if p.applicable is False}
    rules = _rule_nodes([r for r in model.results if r.policy not in inapplicable])

    control_status = {str(c.get("id")): str(c.get("status", "unverified")) for c in controls}
    edges: list[tuple[str, str]] = []
    root = _Node("model", model.ref, "passed" if model.passed else "failed", model.source)

    risk_nodes = []
    linked_controls: set[str] = set()
    for risk in risks:
        risk_id = str(risk.get("id", ""))
        title = str(risk.get("title", ""))
        status = _risk_status(risk, control_status)
        risk_nodes.append(_Node(f"risk:{risk_id}", risk_id, status, f"{risk_id} {title}".strip()))
        edges.append(("model", f"risk:{risk_id}"))
        for control_id in _strings(risk.get("controls")):
            control_status.setdefault(control_id, "unverified")
            edges.append((f"risk:{risk_id}", f"control:{control_id}"))
            linked_controls.add(control_id)
    for control in controls:
        for risk_id in _strings(control.get("risks")):
            edge = (f"risk:{risk_id}", f"control:{control.get('id')}")
            if f"risk:{risk_id}" in {n.key for n in risk_nodes} and edge not in edges:
                edges.append(edge)
                linked_controls.add(str(control.get("id")))

    ordered = sorted(control_status.items(), key=lambda kv: (CONTROL_ORDER.get(kv[1], 9), kv[0]))
    control_nodes = [_Node(f"control:{c}", c, s, f"{c}: {s}") for c, s in ordered]
    for node in control_nodes:
        if node.label not in linked_controls:
            edges.append(("model", node.key))  # evidenced, but no risk of the report calls for it
    ruled: set[str] = set()
    for control in controls:
        for rule_ref in _strings(control.get("rules")):
            edges.append((f"control:{control.get('id')}", f"rule:{rule_ref}"))
            ruled.add(rule_ref)
    for node in rules:
        if node.label not in ruled:
            edges.append(("model", node.key))

    columns: list[tuple[str, list[_Node]]] = [("Model", [root])]
    if risk_nodes:
        columns.append(("Risks", risk_nodes))
    columns += [("Controls", control_nodes), ("Rules", rules)]
    return _draw(columns, edges)


def _rule_nodes(results: Sequence[Result]) -> list[_Node]:
    worst: dict[str, Status] = {}
    titles: dict[str, str] = {}
    for result in results:
        current = worst.get(result.rule_ref)
        if current is None or RESULT_ORDER[result.status] < RESULT_ORDER[current]:
            worst[result.rule_ref] = result.status
        titles.setdefault(result.rule_ref, result.title)
    ordered = sorted(worst, key=lambda ref: (RESULT_ORDER[worst[ref]], ref))
    return [
        _Node(f"rule:{ref}", ref, worst[ref].value, f"{ref}: {worst[ref].value} {titles[ref]}")
        for ref in ordered
    ]


def _risk_status(risk: Mapping[str, Any], control_status: Mapping[str, str]) -> str:
    if "status" in risk:
        return str(risk["status"])
    states = [control_status.get(c, "unverified") for c in _strings(risk.get("controls"))]
    if not states:
        return "unverified"
    return min(states, key=lambda s: CONTROL_ORDER.get(s, 9))


def _as_mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    return {"id": str(value)}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v.get("id")) if isinstance(v, Mapping) else str(v) for v in value]
    return []


def _draw(columns: list[tuple[str, list[_Node]]], edges: list[tuple[str, str]]) -> str:
    widths = {"Model": 180, "Risks": 170, "Controls": 190, "Rules": 360}
    tallest = max(len(nodes) for _, nodes in columns)
    height = _TOP + tallest * _ROW + 10
    where: dict[str, tuple[float, float, float]] = {}  # key -> (x, y, width)
    x = 10.0
    parts: list[str] = []
    for heading, nodes in columns:
        width = widths[heading]
        parts.append(
            f'<text class="col" x="{x:.0f}" y="16">{escape(heading)} ({len(nodes)})</text>'
        )
        offset = _TOP + (tallest - len(nodes)) * _ROW / 2
        for i, node in enumerate(nodes):
            where[node.key] = (x, offset + i * _ROW, width)
        x += width + _GAP
    total_width = x - _GAP + 10

    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    status_of = {n.key: n.status for _, nodes in columns for n in nodes}
    for source, target in edges:
        if (source, target) in seen or source not in where or target not in where:
            continue
        seen.add((source, target))
        sx, sy, sw = where[source]
        tx, ty, _ = where[target]
        x1, y1 = sx + sw, sy + _NODE_HEIGHT / 2
        x2, y2 = tx, ty + _NODE_HEIGHT / 2
        mid = (x1 + x2) / 2
        css = STATUS_CLASS.get(status_of[target], "muted")
        if source == "model" and not target.startswith("risk:") and len(columns) == 4:
            css += " direct"  # no risk of the model calls for it: drawn dashed
        lines.append(
            f'<path class="edge {css}" d="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} '
            f'{mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"/>'
        )
    boxes: list[str] = []
    for _, nodes in columns:
        for node in nodes:
            nx, ny, box = where[node.key]
            css = STATUS_CLASS.get(node.status, "muted")
            label = _shorten(node.label, box - 12)
            boxes.append(
                f'<g class="node {css}"><title>{escape(node.detail)}</title>'
                f'<rect x="{nx:.0f}" y="{ny:.0f}" width="{box:.0f}" '
                f'height="{_NODE_HEIGHT}" rx="4"/>'
                f'<text x="{nx + 6:.0f}" y="{ny + 15:.0f}">{escape(label)}</text></g>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" role="img" '
        f'width="{total_width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {total_width:.0f} {height:.0f}">' + "".join(parts + lines + boxes) + "</svg>"
    )


def _shorten(text: str, width: float) -> str:
    fits = max(4, int(width / _CHAR))
    return text if len(text) <= fits else text[: fits - 1] + "…"
