"""The graph as text for other tools: Graphviz DOT, Mermaid, GraphML, JSON.

Each exporter is a pure ``export(risk_graph) -> str``; one line per format in
:data:`EXPORTERS`. Nodes and edges come out sorted (by kind, then id), so the
same inputs give the same bytes. Controls nothing refers to (most of a shipped
catalog) are left out: the export shows the part of the graph in use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..errors import UsageError
from .build import KINDS, RiskGraph

_SHAPES_DOT = {
    "model": "box",
    "risk": "hexagon",
    "control": "ellipse",
    "rule": "note",
    "dataset": "cylinder",
}
_SHAPES_MERMAID = {  # (opening, closing)
    "model": ("[", "]"),
    "risk": ("{{", "}}"),
    "control": ("([", "])"),
    "rule": ("[[", "]]"),
    "dataset": ("[(", ")]"),
}


def _sorted_nodes(risk_graph: RiskGraph) -> list[tuple[str, dict[str, Any]]]:
    graph = risk_graph.graph
    used = [n for n in graph.nodes if graph.degree(n) > 0]
    order = {kind: i for i, kind in enumerate(KINDS)}
    used.sort(key=lambda n: (order.get(graph.nodes[n]["kind"], len(order)), graph.nodes[n]["id"]))
    return [(n, dict(graph.nodes[n])) for n in used]


def _sorted_edges(risk_graph: RiskGraph) -> list[tuple[str, str, dict[str, Any]]]:
    position = {n: i for i, (n, _) in enumerate(_sorted_nodes(risk_graph))}
    edges = [(u, v, dict(d)) for u, v, d in risk_graph.graph.edges(data=True)]
    edges.sort(key=lambda e: (position[e[0]], position[e[1]]))
    return edges


def _scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, (str, int, float, bool)):
        return value
    return "" if value is None else str(value)


def to_json(risk_graph: RiskGraph) -> str:
    nodes = [{"node": n, "kind": d["kind"], "id": d["id"],
              **{k: _scalar(v) for k, v in sorted(d.items()) if k not in ("kind", "id")}}
             for n, d in _sorted_nodes(risk_graph)]  # fmt: skip
    edges = [{"source": u, "target": v, **{k: _scalar(x) for k, x in sorted(d.items())}}
             for u, v, d in _sorted_edges(risk_graph)]  # fmt: skip
    return json.dumps({"nodes": nodes, "edges": edges}, indent=2, ensure_ascii=False) + "\n"


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(risk_graph: RiskGraph) -> str:
    lines = ["digraph policygate {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node, data in _sorted_nodes(risk_graph):
        label = data["id"]
        attrs = [f"label={_dot_string(label)}", f"shape={_SHAPES_DOT.get(data['kind'], 'box')}"]
        if data.get("title"):
            attrs.append(f"tooltip={_dot_string(str(data['title']))}")
        if data.get("defined") is False:
            attrs.append("style=dashed")
        lines.append(f"  {_dot_string(node)} [{', '.join(attrs)}];")
    for u, v, data in _sorted_edges(risk_graph):
        lines.append(
            f"  {_dot_string(u)} -> {_dot_string(v)} [label={_dot_string(data['relation'])}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# Mermaid reads a label's text as HTML (a tag a record writes would be a link or an
# image where the chart is shown) and ends a statement at any line break. It reads
# ``%%{init: ...}%%`` anywhere in the text as a directive that sets the chart's
# configuration (theme, CSS, fonts), taking ``'`` for ``"`` there, and decodes
# ``#name;`` and ``&name;`` into characters (``R&#45;DRIFT`` would show as
# ``R-DRIFT``), marking them with U+FB02 and U+00B6 on the way: each of these
# characters is written as an entity code of its own, which shows it as it is.
_MERMAID_ESCAPES = str.maketrans(
    {'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "&": "#38;", "%": "#37;",
     "'": "#39;", "\ufb02": "#64258;", "\u00b6": "#182;",
     **{c: " " for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}}
)  # fmt: skip


def _mermaid_label(text: str) -> str:
    return '"' + text.translate(_MERMAID_ESCAPES) + '"'


def to_mermaid(risk_graph: RiskGraph) -> str:
    lines = ["flowchart LR"]
    short: dict[str, str] = {}
    for index, (node, data) in enumerate(_sorted_nodes(risk_graph)):
        short[node] = f"n{index}"
        opening, closing = _SHAPES_MERMAID.get(data["kind"], ("[", "]"))
        label = _mermaid_label(f"{data['kind']}: {data['id']}")
        lines.append(f"  {short[node]}{opening}{label}{closing}")
    for u, v, data in _sorted_edges(risk_graph):
        lines.append(f"  {short[u]} -->|{data['relation']}| {short[v]}")
    return "\n".join(lines) + "\n"


def to_graphml(risk_graph: RiskGraph) -> str:
    import networkx as nx

    graph = nx.DiGraph()
    for node, data in _sorted_nodes(risk_graph):
        graph.add_node(node, **{k: _scalar(v) for k, v in sorted(data.items())})
    for u, v, data in _sorted_edges(risk_graph):
        graph.add_edge(u, v, **{k: _scalar(x) for k, x in sorted(data.items())})
    return "\n".join(nx.generate_graphml(graph)) + "\n"


EXPORTERS: dict[str, Callable[[RiskGraph], str]] = {
    "dot": to_dot,
    "mermaid": to_mermaid,
    "graphml": to_graphml,
    "json": to_json,
}


def export(risk_graph: RiskGraph, fmt: str) -> str:
    """The graph in ``fmt``; an unknown format is an error, never a fallback."""
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        raise UsageError(f"unknown export format {fmt!r} (known: {', '.join(EXPORTERS)})")
    return exporter(risk_graph)
