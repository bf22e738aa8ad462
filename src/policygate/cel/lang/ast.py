"""The frozen syntax tree of a CEL expression, every node with its source span.

The shapes follow CEL's canonical AST (cel.expr.Expr): constants, identifiers,
selections, calls (operators are calls to ``_+_``, ``_&&_``... as in cel-go),
list/map/message construction, and comprehensions (the target of every macro,
expanded by the parser). One tree serves the checker, the compiler and the
tracer; a span lets each of them name ``line:column``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError
from typing import Any

# Plain classes with __slots__, written out rather than made by @dataclass: the tree
# is built on every cold start, and twelve generated classes cost ~10 ms of import.
# They keep what the dataclasses gave: frozen (FrozenInstanceError), keyword or
# positional construction with the same defaults, repr, match args, and equality
# by value for Span only (every node compares by identity, so it can key a trace).


class _Frozen:
    __slots__ = ()
    __match_args__: tuple[str, ...] = ()
    _fields: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self._fields, state, strict=True):
            object.__setattr__(self, name, value)


_set = object.__setattr__


class Span(_Frozen):
    """Where a node starts: 0-based ``offset``, 1-based ``line`` and ``column``."""

    __slots__ = ("offset", "line", "column")
    __match_args__ = _fields = ("offset", "line", "column")
    offset: int
    line: int
    column: int

    def __init__(self, offset: int, line: int, column: int) -> None:
        _span_offset(self, offset)
        _span_line(self, line)
        _span_column(self, column)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Span)
        return (self.offset, self.line, self.column) == (other.offset, other.line, other.column)

    def __hash__(self) -> int:
        return hash((self.offset, self.line, self.column))


class Node(_Frozen):
    """Base of every node; identity equality, so nodes can key a trace."""

    __slots__ = ("span",)
    __match_args__: tuple[str, ...] = ("span",)
    _fields: tuple[str, ...] = ("span",)
    span: Span

    def __init__(self, span: Span) -> None:
        _set(self, "span", span)


class Literal(Node):
    """A constant: int, Uint, float, str, bytes, bool or None."""

    __slots__ = ("value",)
    __match_args__ = _fields = ("span", "value")
    value: Any

    def __init__(self, span: Span, value: Any) -> None:
        _node_span(self, span)
        _literal_value(self, value)


class Ident(Node):
    """A name: a variable, a comprehension variable or a type (``int``)."""

    __slots__ = ("name",)
    __match_args__ = _fields = ("span", "name")
    name: str

    def __init__(self, span: Span, name: str) -> None:
        _node_span(self, span)
        _ident_name(self, name)


class Select(Node):
    """``operand.field``; ``test_only`` for ``has(operand.field)``, ``optional`` for ``.?``."""

    __slots__ = ("operand", "field", "test_only", "optional")
    __match_args__ = _fields = ("span", "operand", "field", "test_only", "optional")
    operand: Node
    field: str
    test_only: bool
    optional: bool

    def __init__(
        self, span: Span, operand: Node, field: str, test_only: bool = False,
        optional: bool = False,
    ) -> None:  # fmt: skip
        _node_span(self, span)
        _select_operand(self, operand)
        _select_field(self, field)
        _select_test_only(self, test_only)
        _select_optional(self, optional)


class Call(Node):
    """A function (``size(x)``), a method (``x.size()``: ``target``) or an operator."""

    __slots__ = ("function", "args", "target")
    __match_args__ = _fields = ("span", "function", "args", "target")
    function: str
    args: tuple[Node, ...]
    target: Node | None

    def __init__(
        self, span: Span, function: str, args: tuple[Node, ...], target: Node | None = None
    ) -> None:
        _node_span(self, span)
        _call_function(self, function)
        _call_args(self, args)
        _call_target(self, target)


class ListExpr(Node):
    """``[a, ?b]``: ``optional_indices`` name the elements written with ``?``."""

    __slots__ = ("elements", "optional_indices")
    __match_args__ = _fields = ("span", "elements", "optional_indices")
    elements: tuple[Node, ...]
    optional_indices: frozenset[int]

    def __init__(
        self, span: Span, elements: tuple[Node, ...],
        optional_indices: frozenset[int] = frozenset(),
    ) -> None:  # fmt: skip
        _set(self, "span", span)
        _set(self, "elements", elements)
        _set(self, "optional_indices", optional_indices)


class MapEntry(_Frozen):
    """One ``key: value`` of a map literal (``?key: value`` when ``optional``)."""

    __slots__ = ("span", "key", "value", "optional")
    __match_args__ = _fields = ("span", "key", "value", "optional")
    span: Span
    key: Node
    value: Node
    optional: bool

    def __init__(self, span: Span, key: Node, value: Node, optional: bool = False) -> None:
        _set(self, "span", span)
        _set(self, "key", key)
        _set(self, "value", value)
        _set(self, "optional", optional)


class MapExpr(Node):
    """``{k: v, ...}``."""

    __slots__ = ("entries",)
    __match_args__ = _fields = ("span", "entries")
    entries: tuple[MapEntry, ...]

    def __init__(self, span: Span, entries: tuple[MapEntry, ...]) -> None:
        _set(self, "span", span)
        _set(self, "entries", entries)


class FieldInit(_Frozen):
    """One ``field: value`` of a message construction."""

    __slots__ = ("span", "field", "value", "optional")
    __match_args__ = _fields = ("span", "field", "value", "optional")
    span: Span
    field: str
    value: Node
    optional: bool

    def __init__(self, span: Span, field: str, value: Node, optional: bool = False) -> None:
        _set(self, "span", span)
        _set(self, "field", field)
        _set(self, "value", value)
        _set(self, "optional", optional)


class MessageExpr(Node):
    """``Type{field: value}``: parsed, but no message type exists to build."""

    __slots__ = ("type_name", "fields")
    __match_args__ = _fields = ("span", "type_name", "fields")
    type_name: str
    fields: tuple[FieldInit, ...]

    def __init__(self, span: Span, type_name: str, fields: tuple[FieldInit, ...]) -> None:
        _set(self, "span", span)
        _set(self, "type_name", type_name)
        _set(self, "fields", fields)


class Comprehension(Node):
    """CEL's one loop, which every macro expands to (cel-go's shape).

    ``accu = init; for iter_var[, iter_var2] in range: if !condition: break;
    accu = step``; the result is ``result``. With two variables, a list gives
    (index, element) and a map (key, value).
    """

    __slots__ = ("iter_var", "iter_var2", "iter_range", "accu_var", "accu_init",
                 "loop_condition", "loop_step", "result")  # fmt: skip
    __match_args__ = _fields = ("span", "iter_var", "iter_var2", "iter_range", "accu_var",
                                "accu_init", "loop_condition", "loop_step", "result")  # fmt: skip
    iter_var: str
    iter_var2: str | None
    iter_range: Node
    accu_var: str
    accu_init: Node
    loop_condition: Node
    loop_step: Node
    result: Node

    def __init__(
        self, span: Span, iter_var: str, iter_var2: str | None, iter_range: Node,
        accu_var: str, accu_init: Node, loop_condition: Node, loop_step: Node, result: Node,
    ) -> None:  # fmt: skip
        _set(self, "span", span)
        _set(self, "iter_var", iter_var)
        _set(self, "iter_var2", iter_var2)
        _set(self, "iter_range", iter_range)
        _set(self, "accu_var", accu_var)
        _set(self, "accu_init", accu_init)
        _set(self, "loop_condition", loop_condition)
        _set(self, "loop_step", loop_step)
        _set(self, "result", result)


# The slots of the most frequent nodes, set through their descriptors (no lookup of
# the name per field, as object.__setattr__ does): ~30% less per node built.
def _setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    return cls.__dict__[name].__set__  # type: ignore[no-any-return]


_span_offset = _setter(Span, "offset")
_span_line = _setter(Span, "line")
_span_column = _setter(Span, "column")
_node_span = _setter(Node, "span")
_literal_value = _setter(Literal, "value")
_ident_name = _setter(Ident, "name")
_select_operand = _setter(Select, "operand")
_select_field = _setter(Select, "field")
_select_test_only = _setter(Select, "test_only")
_select_optional = _setter(Select, "optional")
_call_function = _setter(Call, "function")
_call_args = _setter(Call, "args")
_call_target = _setter(Call, "target")


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    kind = type(node)  # the frequent kinds first, by identity (every compile walks trees)
    if kind is Select:
        return (node.operand,)  # type: ignore[attr-defined]
    if kind is Call:
        target = node.target  # type: ignore[attr-defined]
        return node.args if target is None else (target, *node.args)  # type: ignore[attr-defined]
    if kind is Ident or kind is Literal:
        return ()
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
