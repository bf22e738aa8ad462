"""Evidence graphs as inline SVG: one small graph per risk of a model, never
every edge of a report at once.

A graph has three columns: a root (a risk, or a model's controls of one
framework when there is no risk register), the controls it calls for, and the
rules that give evidence for each of them. Nodes are coloured by status, an
edge by the status of the node it leads to, and every label is escaped (model
content is untrusted). A node's full text is in its ``<title>`` (a tooltip).

A report of a thousand models draws the same few graphs again and again (the
same risk, its controls and rules in the same states): :class:`Graphs` draws
each distinct one once and makes every later one an SVG ``<use>`` of it, a
reference inside the same page (no fetch; the Content-Security-Policy allows it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape as _html_escape

from .inert import inert

# Worst first: a control's states in the order a reader must see them.
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

_ROW = 28  # vertical distance between nodes
_NODE_HEIGHT = 22
_GAP = 70  # horizontal gap between columns
_TOP = 26  # room for the column headings
_WIDTHS = ((100, 220), (110, 220), (160, 430))  # (least, most) of root, controls, rules
_PAD = 14  # a label's margins inside its box

# The most a graph may hold and stay one a reader can follow; a bigger one is a table.
MAX_CONTROLS = 8
MAX_RULES = 16


def escape(text: str) -> str:
    """A label escaped for SVG, its control and bidirectional characters written as
    escapes (:mod:`.inert`), as the page around it has them."""
    return _html_escape(inert(text))


@dataclass(frozen=True)
class Node:
    label: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class Graph:
    """The drawing (the SVG's content) and its size in pixels."""

    body: str
    width: int
    height: int


def fits(controls: Sequence[str], evidence: Mapping[str, Sequence[Node]]) -> bool:
    """Whether a graph of these controls and their rules is small enough to draw."""
    rules = {rule.label for c in controls for rule in evidence.get(c, ())}
    return len(controls) <= MAX_CONTROLS and len(rules) <= MAX_RULES


def evidence_graph(
    root: Node, heading: str, controls: Sequence[Node], evidence: Mapping[str, Sequence[Node]]
) -> Graph:
    """``root`` → each of ``controls`` → the rules ``evidence`` lists for it.

    Rules are placed in the order of the mean row of the controls that name
    them, so the edges of one control stay together and cross as little as
    they can.
    """
    rules: dict[str, Node] = {}
    rows: dict[str, list[int]] = {}  # rule -> the rows of the controls it gives evidence for
    edges: list[tuple[str, str]] = []
    for row, control in enumerate(controls):
        edges.append(("root", f"c:{control.label}"))
        for rule in evidence.get(control.label, ()):
            rules.setdefault(rule.label, rule)
            rows.setdefault(rule.label, []).append(row)
            edges.append((f"c:{control.label}", f"r:{rule.label}"))
    # Each rule level with the mean row of its controls (a barycentre ordering):
    # the rules of one control stay together, the shared ones between them.
    order = sorted(rules, key=lambda r: sum(rows[r]) / len(rows[r]))
    rules = {r: rules[r] for r in order}
    columns = [
        (heading, [("root", root)]),
        ("Controls", [(f"c:{c.label}", c) for c in controls]),
        ("Rules giving evidence", [(f"r:{r.label}", r) for r in rules.values()]),
    ]
    return _draw(columns, edges)


def _draw(columns: list[tuple[str, list[tuple[str, Node]]]], edges: list[tuple[str, str]]) -> Graph:
    tallest = max(1, *(len(nodes) for _, nodes in columns))
    height = _TOP + tallest * _ROW
    where: dict[str, tuple[float, float, float]] = {}  # key -> (x, y, width)
    status_of: dict[str, str] = {}
    x = 4.0
    heads: list[str] = []
    for (heading, nodes), (least, most) in zip(columns, _WIDTHS, strict=True):
        widest = max((_text_width(node.label) for _, node in nodes), default=0.0)
        width = math.ceil(min(most, max(least, widest + _PAD, _text_width(heading) + 30)))
        heads.append(
            f'<text class="col" x="{x:.0f}" y="14">{escape(heading)} ({len(nodes)})</text>'
        )
        offset = _TOP + (tallest - len(nodes)) * _ROW / 2
        for i, (key, node) in enumerate(nodes):
            where[key] = (x, offset + i * _ROW, width)
            status_of[key] = node.status
        x += width + _GAP
    total_width = x - _GAP + 4

    lines: list[str] = []
    for source, target in dict.fromkeys(edges):
        sx, sy, sw = where[source]
        tx, ty, _ = where[target]
        x1, y1 = sx + sw, sy + _NODE_HEIGHT / 2
        x2, y2 = tx, ty + _NODE_HEIGHT / 2
        mid = (x1 + x2) / 2
        css = STATUS_CLASS.get(status_of[target], "muted")
        lines.append(
            f'<path class="edge {css}" d="M{x1:.0f},{y1:.0f}C{mid:.0f},{y1:.0f} '
            f'{mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"/>'
        )
    boxes: list[str] = []
    for _, nodes in columns:
        for key, node in nodes:
            nx, ny, box = where[key]
            css = STATUS_CLASS.get(node.status, "muted")
            label = _shorten(node.label, box - _PAD)
            detail = node.detail or f"{node.label}: {node.status}"
            boxes.append(
                f'<g class="node {css}"><title>{escape(detail)}</title>'
                f'<rect x="{nx:.0f}" y="{ny:.0f}" width="{box:.0f}" '
                f'height="{_NODE_HEIGHT}" rx="4"/>'
                f'<text x="{nx + 6:.0f}" y="{ny + 15:.0f}">{escape(label)}</text></g>'
            )
    return Graph("".join(heads + lines + boxes), round(total_width), round(height))


def _text_width(text: str) -> float:
    """About how wide ``text`` is at 12px in a sans-serif font (DejaVu Sans, the
    widest of the fonts the CSS names): capitals and digits are wider."""
    return sum(_WIDE.get(c, 8.0 if c.isupper() else 6.7) for c in text)


_WIDE = {**dict.fromkeys("0123456789", 7.4), **dict.fromkeys("mwMW@%", 10.0),
         **dict.fromkeys(".,:;/|![]()'`il", 4.2)}  # fmt: skip


def _shorten(text: str, width: float) -> str:
    """``text``, cut with an ellipsis to fit ``width`` (the full text is the node's title)."""
    if _text_width(text) <= width:
        return text
    while text and _text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


_STACK_GAP = 14  # between the graphs of one model


class Graphs:
    """Draws each distinct graph once in a page; a repeat is a ``<use>`` of the first.

    A model's graphs are stacked in one ``<svg>``, and a stack seen before (the
    same graphs in the same order) is itself one ``<use>``: most models of a
    large report cost a single element.
    """

    def __init__(self) -> None:
        self._drawn: set[str] = set()
        # An id per distinct graph body and per distinct stack, numbered as first
        # seen: never a digest, whose collision (model text picks the bodies) would
        # draw one model's graph in place of another's.
        self._ids: dict[str | tuple[str, ...], str] = {}

    def _id(self, prefix: str, content: str | tuple[str, ...]) -> str:
        found = self._ids.get(content)
        if found is None:
            found = self._ids[content] = f"{prefix}-{len(self._ids) + 1}"
        return found

    def svg(self, graphs: Sequence[Graph], label: str) -> str:
        """One inline ``<svg>`` element (HTML gives it the SVG namespace) holding
        ``graphs`` one under the other; ``label`` (escaped here) names it for
        screen readers."""
        width = max(g.width for g in graphs)
        height = sum(g.height for g in graphs) + _STACK_GAP * (len(graphs) - 1)
        keys = [self._id("g", g.body) for g in graphs]
        stack = self._id("s", tuple(keys))
        if stack in self._drawn:
            inner = f'<use href="#{stack}"/>'
        else:
            self._drawn.add(stack)
            y = 0
            pieces = []
            for key, graph in zip(keys, graphs, strict=True):
                if key in self._drawn:
                    pieces.append(f'<use href="#{key}" y="{y}"/>')
                else:
                    self._drawn.add(key)
                    pieces.append(
                        f'<g transform="translate(0,{y})"><g id="{key}">{graph.body}</g></g>'
                    )
                if y:
                    pieces.append(f'<path class="sep" d="M0,{y - _STACK_GAP / 2:.0f}H{width}"/>')
                y += graph.height + _STACK_GAP
            inner = f'<g id="{stack}">{"".join(pieces)}</g>'
        return (
            f'<svg role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{inner}</svg>'
        )
