"""The graph as text for other tools: Graphviz DOT, Mermaid, GraphML, JSON.

Each exporter is a pure ``export(risk_graph) -> str``; one line per format in
:data:`EXPORTERS`. Nodes and edges come out sorted (by kind, then id), so the
same inputs give the same bytes. Controls nothing refers to (most of a shipped
catalog) are left out: the export shows the part of the graph in use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..errors import UsageError
from ..formats.inert import escape, inert
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


def _dot_string(text: str, shown: bool = False) -> str:
    """A DOT quoted string. Graphviz decodes ``&name;`` and ``&#NN;`` in what it
    shows (``R&#45;DRIFT`` would show as ``R-DRIFT``), so a ``shown`` text has its
    ``&`` written ``&amp;``. A character XML cannot carry (which Graphviz would
    write into its SVG, or a NUL, which ends its strings) is escaped. A label is
    made :func:`inert` first: a bidirectional override would show ``\u202eTFIRD-R``
    as ``R-DRIFT``, a line break one name as two."""
    text = _xml_value(text)
    if shown:
        text = text.replace("&", "&amp;")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(risk_graph: RiskGraph) -> str:
    lines = ["digraph policygate {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    names = _escaped_names(risk_graph, "dot")
    for node, data in _sorted_nodes(risk_graph):
        label = data["id"]
        attrs = [
            f"label={_dot_string(inert(label), True)}",
            f"shape={_SHAPES_DOT.get(data['kind'], 'box')}",
        ]
        if data.get("title"):
            attrs.append(f"tooltip={_dot_string(inert(data['title'], keep=chr(10)), True)}")
        if data.get("defined") is False:
            attrs.append("style=dashed")
        lines.append(f"  {names[node]} [{', '.join(attrs)}];")
    for u, v, data in _sorted_edges(risk_graph):
        lines.append(f"  {names[u]} -> {names[v]} [label={_dot_string(data['relation'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# Mermaid reads a label's text as HTML (a tag a record writes would be a link or an
# image where the chart is shown) and ends a statement at any line break. It reads
# ``%%{init: ...}%%`` anywhere in the text as a directive that sets the chart's
# configuration (theme, CSS, fonts), taking ``'`` for ``"`` there, and decodes
# ``#name;`` and ``&name;`` into characters (``R&#45;DRIFT`` would show as
# ``R-DRIFT``), marking them with U+FB02 and U+00B6 on the way: each of these
# characters is written as an entity code of its own, which shows it as it is. The
# label is made inert first (a bidirectional override shows ``\u202eTFIRD-R`` as
# ``R-DRIFT``; a line break is written ``\x0a``).
_MERMAID_ESCAPES = str.maketrans(
    {'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "&": "#38;", "%": "#37;",
     "'": "#39;", "\ufb02": "#64258;", "\u00b6": "#182;",
     **{c: " " for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}}
)  # fmt: skip


def _mermaid_label(text: str) -> str:
    return '"' + inert(text).translate(_MERMAID_ESCAPES) + '"'


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


# Characters XML 1.0 cannot hold at all, not even as a character reference.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_value(value: Any) -> Any:
    """A scalar as GraphML can hold it: a character XML cannot hold is written as
    its escape (``\\x01``), as in the text outputs."""
    value = _scalar(value)
    if isinstance(value, str) and _XML_ILLEGAL.search(value):
        return _XML_ILLEGAL.sub(lambda m: escape(m.group()), value)
    return value


def _escaped_names(risk_graph: RiskGraph, fmt: str) -> dict[str, str]:
    """Each node's id as ``fmt`` writes it (:func:`_xml_value` for GraphML, a DOT
    string for DOT); two nodes that escaping would make one are an error."""
    write = _dot_string if fmt == "dot" else _xml_value
    names: dict[str, str] = {}
    taken: dict[str, str] = {}
    for node, _ in _sorted_nodes(risk_graph):
        name = names[node] = write(node)
        other = taken.setdefault(name, node)
        if other != node:
            raise UsageError(
                f"graph export --format {fmt}: nodes {inert(other)} and {inert(node)} "
                f"would have one id, {inert(name)}; export them as json instead"
            )
    return names


def to_graphml(risk_graph: RiskGraph) -> str:
    """GraphML every XML parser reads, one node per node of the graph.

    A record's names may hold characters XML cannot carry (they are escaped; two
    nodes that would then share an id are an error, never one node; networkx's
    own line splitting turned a vertical tab in an id into a line break, which a
    parser reads as a space). A carriage return in a value is written as
    ``&#13;``, which a parser keeps (it reads a bare one as a line feed).
    """
    import networkx as nx
    from networkx.readwrite.graphml import GraphMLWriter

    graph = nx.DiGraph()
    names = _escaped_names(risk_graph, "graphml")
    for node, data in _sorted_nodes(risk_graph):
        graph.add_node(names[node], **{k: _xml_value(v) for k, v in sorted(data.items())})
    for u, v, data in _sorted_edges(risk_graph):
        graph.add_edge(names[u], names[v], **{k: _xml_value(x) for k, x in sorted(data.items())})
    writer = GraphMLWriter(prettyprint=True)
    writer.add_graph_element(graph)
    return str(writer).replace("\r", "&#13;") + "\n"


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
