"""The frozen syntax tree of a CEL expression, every node with its source span.

The shapes follow CEL's canonical AST (cel.expr.Expr): constants, identifiers,
selections, calls (operators are calls to ``_+_``, ``_&&_``... as in cel-go),
list/map/message construction, and comprehensions (the target of every macro,
expanded by the parser). One tree serves the checker, the compiler and the
tracer; a span lets each of them name ``line:column``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node starts: 0-based ``offset``, 1-based ``line`` and ``column``."""

    offset: int
    line: int
    column: int


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """Base of every node; identity equality, so nodes can key a trace."""

    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class Literal(Node):
    """A constant: int, Uint, float, str, bytes, bool or None."""

    value: Any


@dataclass(frozen=True, slots=True, eq=False)
class Ident(Node):
    """A name: a variable, a comprehension variable or a type (``int``)."""

    name: str


@dataclass(frozen=True, slots=True, eq=False)
class Select(Node):
    """``operand.field``; ``test_only`` for ``has(operand.field)``, ``optional`` for ``.?``."""

    operand: Node
    field: str
    test_only: bool = False
    optional: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Call(Node):
    """A function (``size(x)``), a method (``x.size()``: ``target``) or an operator."""

    function: str
    args: tuple[Node, ...]
    target: Node | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ListExpr(Node):
    """``[a, ?b]``: ``optional_indices`` name the elements written with ``?``."""

    elements: tuple[Node, ...]
    optional_indices: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True, eq=False)
class MapEntry:
    """One ``key: value`` of a map literal (``?key: value`` when ``optional``)."""

    span: Span
    key: Node
    value: Node
    optional: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class MapExpr(Node):
    """``{k: v, ...}``."""

    entries: tuple[MapEntry, ...]


@dataclass(frozen=True, slots=True, eq=False)
class FieldInit:
    """One ``field: value`` of a message construction."""

    span: Span
    field: str
    value: Node
    optional: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class MessageExpr(Node):
    """``Type{field: value}``: parsed, but no message type exists to build."""

    type_name: str
    fields: tuple[FieldInit, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Comprehension(Node):
    """CEL's one loop, which every macro expands to (cel-go's shape).

    ``accu = init; for iter_var[, iter_var2] in range: if !condition: break;
    accu = step``; the result is ``result``. With two variables, a list gives
    (index, element) and a map (key, value).
    """

    iter_var: str
    iter_var2: str | None
    iter_range: Node
    accu_var: str
    accu_init: Node
    loop_condition: Node
    loop_step: Node
    result: Node


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    if isinstance(node, Select):
        return (node.operand,)
    if isinstance(node, Call):
        return ((node.target,) if node.target is not None else ()) + node.args
    if isinstance(node, ListExpr):
        return node.elements
    if isinstance(node, MapExpr):
        return tuple(part for e in node.entries for part in (e.key, e.value))
    if isinstance(node, MessageExpr):
        return tuple(f.value for f in node.fields)
    if isinstance(node, Comprehension):
        return (
            node.iter_range,
            node.accu_init,
            node.loop_condition,
            node.loop_step,
            node.result,
        )
    return ()


NodeKey = tuple[str, int]


def node_key(node: Node) -> NodeKey:
    """A node by its kind and where it was written: the same in the parsed tree and
    in the checked tree the evaluator runs (the checker keeps every span), so a
    value the observer reports for a node can be shown for the text it came from."""
    return type(node).__name__, node.span.offset
