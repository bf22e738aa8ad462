"""The parsed expression that cel-cpp hands out, as plain Python, and the rewrites
that make cel-cpp mean what cel-python means in policygate (SPEC §3).

``cel-expr-python`` does not expose its AST, but ``Expression.serialize()`` of an
unchecked expression is a ``google.protobuf.Any`` holding a ``cel.expr.ParsedExpr``,
and ``Env.deserialize()`` takes one back. This module reads and writes that
protobuf wire format directly (only the ``Expr`` messages are decoded; everything
else is carried as bytes), so no protobuf runtime or generated code is needed.

The rewrites, each the cel-cpp side of a cel-python behaviour:

- arithmetic where an int may meet a double (``model.a * 2``) promotes the int,
  as cel-python's overridden operators do; CEL itself has no mixed arithmetic;
- ``%`` on doubles with integral values (a YAML ``count: 7`` is a double);
- ``string(x)`` of a double reads like cel-python's (``7.0``, not ``7``);
- ``has(a.b.c)`` is false, not an error, when ``a.b`` is missing or not a map:
  cel-python's ``has()`` means "the selection evaluates".

Each rewrite binds its operands once (the ``cel.bind`` comprehension), so no
operand is evaluated twice, and everything stays native except the two helpers
(:data:`MOD`, :data:`STRING`) that run only for doubles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Union

# Helper functions the rewrites call; '@' keeps them out of reach of policy text.
MOD = "@pg_mod"
STRING = "@pg_string"
TIMESTAMP = "@pg_timestamp"
DURATION = "@pg_duration"
MATCHES = "@pg_matches"  # re2 with a cache of compiled patterns: cel-cpp compiles per call

# Literals that cel-cpp's own timestamp()/duration() read exactly as cel-python
# does; other text goes to the helpers, which parse it the cel-python way.
RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
GO_DURATION = r"^-?([0-9]+(\.[0-9]{1,6})?(h|m|s|ms|us))+$"
_PARSERS = {"timestamp": (TIMESTAMP, RFC3339), "duration": (DURATION, GO_DURATION)}

_ARITHMETIC = ("_+_", "_-_", "_*_", "_/_")
# Relations that cel-cpp decides by rounding an int to a double; a literal beyond
# 2**53 meeting a double goes to an exact helper instead (``@pg_lt`` ...).
RELATIONS = {"_<_": "@pg_lt", "_<=_": "@pg_le", "_>_": "@pg_gt", "_>=_": "@pg_ge",
             "_==_": "@pg_eq", "_!=_": "@pg_ne"}  # fmt: skip
_EXACT = 2**53
_NULL_IS_ZERO = ("size", "int")

# Expr oneof field numbers (cel/expr/syntax.proto).
_CONST, _IDENT, _SELECT, _CALL, _LIST, _STRUCT, _COMPREHENSION = 3, 4, 5, 6, 7, 8, 9
# Fields of each kind's message that hold an Expr (repeated or not).
_EXPR_FIELDS = {_SELECT: (1,), _CALL: (1, 3), _LIST: (1,), _COMPREHENSION: (2, 4, 5, 6, 7)}
# Constant oneof: int64, uint64, double.
_NUMERIC_CONSTANTS = {3: "int", 4: "uint", 5: "double"}

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
_ID_KEY = bytes((2 << 3 | _VARINT,))  # Expr.id


class WireError(ValueError):
    """The serialized expression is not what this module understands."""


Value = Union[int, bytes, "Node", "Message"]


@dataclass
class Message:
    """A protobuf message as its fields, in order: ``(number, wire type, value)``."""

    fields: list[tuple[int, int, Value]] = field(default_factory=list)

    def get(self, number: int) -> Value | None:
        for n, _, value in self.fields:
            if n == number:
                return value
        return None

    def encode(self) -> bytes:
        out = bytearray()
        for number, wire, value in self.fields:
            out += _varint(number << 3 | wire)
            if wire == _VARINT:
                assert isinstance(value, int)
                out += _varint(value)
            elif wire == _BYTES:
                raw = value.encode() if isinstance(value, (Node, Message)) else value
                assert isinstance(raw, bytes)
                out += _varint(len(raw)) + raw
            else:
                assert isinstance(value, bytes)
                out += value
        return bytes(out)


@dataclass
class Node:
    """One ``cel.expr.Expr``: its id, which kind it is, and that kind's message.

    ``raw`` is the node as it was read, which :meth:`encode` gives back as long as
    nothing below the node changed (:func:`_rewrite` clears it when something did).
    """

    id: int
    kind: int
    body: Message
    raw: bytes | None = field(default=None, compare=False, repr=False)

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        body = self.body.encode()  # what Message([(2, id), (kind, body)]).encode() gives
        return b"".join((_ID_KEY, _varint(self.id), _varint(self.kind << 3 | _BYTES),
                         _varint(len(body)), body))  # fmt: skip

    # -- reading ---------------------------------------------------------------

    @property
    def function(self) -> str | None:
        if self.kind != _CALL:
            return None
        name = self.body.get(2)
        return name.decode() if isinstance(name, bytes) else None

    @property
    def target(self) -> Node | None:
        value = self.body.get(1) if self.kind == _CALL else None
        return value if isinstance(value, Node) else None

    @property
    def args(self) -> list[Node]:
        if self.kind != _CALL:
            return []
        return [v for n, _, v in self.body.fields if n == 3 and isinstance(v, Node)]

    @property
    def test_only(self) -> bool:
        return self.kind == _SELECT and self.body.get(3) == 1

    @property
    def operand(self) -> Node | None:
        value = self.body.get(1) if self.kind == _SELECT else None
        return value if isinstance(value, Node) else None

    @property
    def field_name(self) -> str | None:
        value = self.body.get(2) if self.kind == _SELECT else None
        return value.decode() if isinstance(value, bytes) else None

    def constant_kind(self) -> str | None:
        """``int``/``uint``/``double`` for a numeric literal, ``other`` for any other
        literal, ``None`` for an expression whose type is known only at run time."""
        if self.kind != _CONST:
            return None
        (number, _, _), *_ = self.body.fields or [(0, 0, 0)]
        return _NUMERIC_CONSTANTS.get(number, "other")

    def int_value(self) -> int | None:
        """The value of an int or uint literal."""
        if self.kind != _CONST:
            return None
        for number, _, value in self.body.fields:
            if number in (3, 4) and isinstance(value, int):
                return value - 2**64 if number == 3 and value >= 2**63 else value
        return None

    def string_value(self) -> str | None:
        if self.kind != _CONST:
            return None
        value = self.body.get(6)
        return value.decode() if isinstance(value, bytes) else None

    def children(self) -> Iterator[Node]:
        for message in self._expr_holders():
            for _, _, value in message.fields:
                if isinstance(value, Node):
                    yield value

    def _expr_holders(self) -> Iterator[Message]:
        yield self.body
        if self.kind == _STRUCT:
            for number, _, entry in self.body.fields:
                if number == 2 and isinstance(entry, Message):
                    yield entry


# --------------------------------------------------------------------------- wire format


_ONE_BYTE = [bytes((n,)) for n in range(0x80)]


def _varint(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _ONE_BYTE[value]
    value &= (1 << 64) - 1  # negative int64 values are ten-byte varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if at >= len(data):
            raise WireError("truncated varint")
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, at
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Value]]:
    fields: list[tuple[int, int, Value]] = []
    at = 0
    size = len(data)
    while at < size:
        key = data[at]  # a one-byte varint (the usual case) read inline
        if key < 0x80:
            at += 1
        else:
            key, at = _read_varint(data, at)
        number, wire = key >> 3, key & 7
        value: Value
        if wire == _VARINT:
            value, at = _read_varint(data, at)
        elif wire == _FIXED64:
            value, at = data[at : at + 8], at + 8
        elif wire == _BYTES:
            length = data[at] if at < size else 0x80
            if length < 0x80:
                at += 1
            else:
                length, at = _read_varint(data, at)
            value, at = data[at : at + length], at + length
        elif wire == _FIXED32:
            value, at = data[at : at + 4], at + 4
        else:
            raise WireError(f"unsupported wire type {wire}")
        fields.append((number, wire, value))
    return fields


def _decode_expr(data: bytes) -> Node:
    node_id, kind, body = 0, _CONST, Message()
    for number, _, value in _fields(data):
        if number == 2 and isinstance(value, int):
            node_id = value
        elif 3 <= number <= 9 and isinstance(value, bytes):
            kind, body = number, _decode_body(number, value)
    return Node(node_id, kind, body, data)


def _decode_body(kind: int, data: bytes) -> Message:
    message = Message(_fields(data))
    expr_fields = _EXPR_FIELDS.get(kind, ())
    for i, (number, wire, value) in enumerate(message.fields):
        if not isinstance(value, bytes) or wire != _BYTES:
            continue
        if number in expr_fields:
            message.fields[i] = (number, wire, _decode_expr(value))
        elif kind == _STRUCT and number == 2:  # Entry: map_key = 3, value = 4
            entry = Message(_fields(value))
            entry.fields = [
                (n, w, _decode_expr(v) if n in (3, 4) and isinstance(v, bytes) else v)
                for n, w, v in entry.fields
            ]
            message.fields[i] = (number, wire, entry)
    return message


@dataclass
class Parsed:
    """A serialized ``Any(ParsedExpr)``: the root expression, the rest kept as bytes."""

    type_url: bytes
    root: Node
    rest: list[tuple[int, int, Value]]  # ParsedExpr fields other than expr (source info)

    @classmethod
    def decode(cls, data: bytes) -> Parsed:
        type_url, root, rest = _split(data)
        return cls(type_url, _decode_expr(root), rest)

    def encode(self) -> bytes:
        payload = Message([(2, _BYTES, self.root), *self.rest])
        return Message([(1, _BYTES, self.type_url), (2, _BYTES, payload)]).encode()


def _split(data: bytes) -> tuple[bytes, bytes, list[tuple[int, int, Value]]]:
    """A serialized ``Any(ParsedExpr)``: its type URL, its root ``Expr`` (bytes) and
    the ParsedExpr's other fields."""
    envelope = Message(_fields(data))
    type_url, payload = envelope.get(1), envelope.get(2)
    if not isinstance(type_url, bytes) or not type_url.endswith(b"cel.expr.ParsedExpr"):
        raise WireError(f"not a ParsedExpr: {type_url!r}")
    if not isinstance(payload, bytes):
        raise WireError("empty ParsedExpr")
    parsed = _fields(payload)
    roots = [v for n, _, v in parsed if n == 2 and isinstance(v, bytes)]
    if len(roots) != 1:
        raise WireError("ParsedExpr without an expression")
    return type_url, roots[0], [f for f in parsed if f[0] != 2]


def free_variables(root: Node) -> set[str]:
    """The names of the identifiers ``root`` reads that no comprehension binds
    (a macro's variable and accumulator are bound in its condition, step and
    result, not in the range it iterates or its start value)."""
    found: set[str] = set()
    stack: list[tuple[Node, frozenset[str]]] = [(root, frozenset())]
    while stack:
        node, bound = stack.pop()
        if node.kind == _IDENT:
            name = node.body.get(1)
            if isinstance(name, bytes) and name.decode() not in bound:
                found.add(name.decode())
            continue
        if node.kind == _COMPREHENSION:
            names = (node.body.get(n) for n in (1, 3, 8))  # iter_var, accu_var, iter_var2
            inner = bound | {n.decode() for n in names if isinstance(n, bytes)}
            for number, _, value in node.body.fields:
                if isinstance(value, Node):
                    stack.append((value, bound if number in (2, 4) else inner))
            continue
        stack.extend((child, bound) for child in node.children())
    return found


# --------------------------------------------------------------------------- rewrites


class _Builder:
    """Makes new nodes with ids above every id in the parsed expression."""

    def __init__(self, root: Node) -> None:
        self._next = max(_ids(root), default=0) + 1
        self._names = 0
        self.structures: dict[int, tuple[Node, Any]] = {}  # see _distinct

    def id(self) -> int:
        self._next += 1
        return self._next

    def name(self) -> str:
        self._names += 1
        return f"@pg{self._names}"  # not writable in CEL source: cannot shadow a variable

    def ident(self, name: str) -> Node:
        return Node(self.id(), _IDENT, Message([(1, _BYTES, name.encode())]))

    def call(self, function: str, *args: Node) -> Node:
        fields: list[tuple[int, int, Value]] = [(2, _BYTES, function.encode())]
        fields += [(3, _BYTES, arg) for arg in args]
        return Node(self.id(), _CALL, Message(fields))

    def method(self, target: Node, function: str, *args: Node) -> Node:
        fields: list[tuple[int, int, Value]] = [(1, _BYTES, target), (2, _BYTES, function.encode())]
        fields += [(3, _BYTES, arg) for arg in args]
        return Node(self.id(), _CALL, Message(fields))

    def select(self, operand: Node, name: str, *, test_only: bool = False) -> Node:
        fields: list[tuple[int, int, Value]] = [(1, _BYTES, operand), (2, _BYTES, name.encode())]
        if test_only:
            fields.append((3, _VARINT, 1))
        return Node(self.id(), _SELECT, Message(fields))

    def string(self, text: str) -> Node:
        return Node(self.id(), _CONST, Message([(6, _BYTES, text.encode())]))

    def int(self, value: int) -> Node:
        return Node(self.id(), _CONST, Message([(3, _VARINT, value)]))

    def false(self) -> Node:
        return Node(self.id(), _CONST, Message([(2, _VARINT, 0)]))

    def is_type(self, value: Node, type_name: str) -> Node:
        return self.call("_==_", self.call("type", value), self.ident(type_name))

    def both(self, *conditions: Node) -> Node:
        result = conditions[0]
        for condition in conditions[1:]:
            result = self.call("_&&_", result, condition)
        return result

    def copy(self, node: Node) -> Node:
        """``node`` again with fresh ids: no id may appear twice in one expression."""
        body = Message(
            [(n, w, self.copy(v) if isinstance(v, Node) else v) for n, w, v in node.body.fields]
        )
        if node.kind == _STRUCT:
            body.fields = [
                (n, w, Message([(en, ew, self.copy(ev) if isinstance(ev, Node) else ev)
                                for en, ew, ev in v.fields]) if isinstance(v, Message) else v)
                for n, w, v in body.fields
            ]  # fmt: skip
        return Node(self.id(), node.kind, body)

    def bind(self, value: Node, body: Callable[[Callable[[], Node]], Node]) -> Node:
        """``cel.bind(v, value, body(v))``: ``value`` evaluated once, named ``v``;
        ``body`` gets a maker of references to ``v`` (each use needs its own node).

        The comprehension ranges over ``[0]`` and stops before its first step,
        where ``cel.bind`` ranges over ``[]``: after a macro that stopped early
        (``[x, null].all(i, false)``), cel-cpp 0.1.3 gives a comprehension over
        an empty list the stale value of the earlier one's variable instead of
        its own accumulator."""
        name = self.name()
        result = body(lambda: self.ident(name))
        one = Node(self.id(), _LIST, Message([(1, _BYTES, self.int(0))]))
        return Node(
            self.id(),
            _COMPREHENSION,
            Message(
                [
                    (1, _BYTES, b"#unused"),
                    (2, _BYTES, one),
                    (3, _BYTES, name.encode()),
                    (4, _BYTES, value),
                    (5, _BYTES, self.false()),
                    (6, _BYTES, self.ident(name)),
                    (7, _BYTES, result),
                ]
            ),
        )


def _ids(node: Node) -> Iterator[int]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current.id
        stack.extend(current.children())


def rewrite(data: bytes) -> bytes | None:
    """The serialized expression with the rewrites applied, or ``None`` when none applies."""
    parsed = Parsed.decode(data)
    builder = _Builder(parsed.root)
    root, changed = _rewrite(parsed.root, builder)
    if not changed:
        _remember(parsed.root)  # untouched: nothing changes unless a child did
        return None
    root.raw = root.encode()  # final: nothing changes it any more
    _remember(root)
    parsed.root = root
    return parsed.encode()


# The trees rewrite() just produced or read, by the bytes of their root Expr, for
# read(): the program compiled from them is read back once more (for its cost, see
# .cost) and need not be decoded again. (cel-cpp writes the source positions, a
# protobuf map, in an order of its own, so only the Expr is compared.) Each is taken
# once; there are only ever a few.
_RECENT: dict[bytes, Node] = {}
_RECENT_MOST = 16


def _remember(root: Node) -> None:
    if root.raw is None:
        return
    if len(_RECENT) >= _RECENT_MOST:
        _RECENT.clear()
    _RECENT[root.raw] = root


def read(data: bytes) -> Node:
    """The root expression of serialized ``data``: the tree :func:`rewrite` made for
    the same expression if it did, else decoded (as :meth:`Parsed.decode` does)."""
    _, root, _ = _split(data)
    known = _RECENT.pop(root, None)
    return known if known is not None else _decode_expr(root)


def _rewrite(node: Node, b: _Builder) -> tuple[Node, bool]:
    changed = False
    for message in node._expr_holders():
        for i, (number, wire, value) in enumerate(message.fields):
            if isinstance(value, Node):
                new, child_changed = _rewrite(value, b)
                if child_changed:
                    message.fields[i] = (number, wire, new)
                    changed = True
    if changed:
        node.raw = None  # its wire bytes no longer say what it holds
    function = node.function
    args = node.args
    if node.target is None and len(args) == 2 and function in _ARITHMETIC:
        if _may_mix(args[0], args[1]):
            return _promoting(function, args[0], args[1], b), True
    elif node.target is None and len(args) == 2 and function == "_%_":
        kinds = {args[0].constant_kind(), args[1].constant_kind()}
        if "other" not in kinds and kinds not in ({"int"}, {"uint"}):
            return _modulo(args[0], args[1], b), True
    elif node.target is None and len(args) == 1 and function == "string":
        if args[0].constant_kind() in (None, "double"):
            return _stringify(args[0], b), True
    elif node.target is None and len(args) == 2 and function in RELATIONS:
        literals = [v for v in (args[0].int_value(), args[1].int_value()) if v is not None]
        if any(abs(v) > _EXACT for v in literals):
            return _exact(function, args[0], args[1], b), True
    elif function in _NULL_IS_ZERO and len(args) + (node.target is not None) == 1:
        operand = node.target if node.target is not None else args[0]
        if operand.constant_kind() in (None, "other"):
            return _null_is_zero(function, operand, b), True
    elif function == "matches" and len(args) + (node.target is not None) == 2:
        text, pattern = (node.target, args[0]) if node.target is not None else args
        return b.call(MATCHES, text, pattern), True
    elif node.target is None and len(args) == 1 and function in _PARSERS:
        new, rewritten = _parsing(function, args[0], b)
        if rewritten:
            return new, True
    elif node.test_only:
        return _presence(node, b), True
    elif function == "_&&_" and node.target is None and len(args) == 2:
        conjuncts = _conjuncts(node)
        kept = _distinct(conjuncts, b.structures)
        if len(kept) < len(conjuncts):
            return b.both(*kept), True
    return node, changed


def _conjuncts(node: Node) -> list[Node]:
    """The operands of a chain of ``&&``, in order."""
    if node.function == "_&&_" and node.target is None and len(node.args) == 2:
        return [*_conjuncts(node.args[0]), *_conjuncts(node.args[1])]
    return [node]


def _distinct(conjuncts: list[Node], structures: dict[int, tuple[Node, Any]]) -> list[Node]:
    """``conjuncts`` without a repeat of an earlier presence check (``has(a.b) &&
    has(a.b.c)`` rewritten repeats the checks of ``a`` and ``a.b``). CEL's ``&&``
    gives the same whatever the order and number of equal operands (false, then
    an error, wins). Only presence checks (``has()``, ``type(x) == map`` of a
    field path) are dropped: what cel-python counts for the text (it evaluates a
    repeated operand again) must stay within the cost bound of the rewritten
    tree, and those cost it less than their rewriting adds.
    ``structures`` keeps each node's :func:`_structure` (by id, with the node, so
    that the id of one dropped cannot be taken for another's; a node is final
    once it is an operand), so that a long chain, seen again at each of its
    ``&&``, is not worked out again."""
    seen: set[Any] = set()
    kept = []
    for conjunct in conjuncts:
        known = structures.get(id(conjunct))
        if known is not None and known[0] is conjunct:
            key = known[1]
        else:
            key = _structure(conjunct)
            structures[id(conjunct)] = (conjunct, key)
        if key not in seen or not _presence_check(conjunct):
            seen.add(key)
            kept.append(conjunct)
    return kept


def _presence_check(node: Node) -> bool:
    """``has(path)`` or ``type(path) == map``, ``path`` a variable's field path."""
    if node.test_only:
        return field_path(node.operand) is not None
    args = node.args
    if node.function != "_==_" or len(args) != 2 or node.target is not None:
        return False
    kind, name = args[0], args[1]
    return (kind.function == "type" and len(kind.args) == 1
            and field_path(kind.args[0]) is not None
            and name.kind == _IDENT and name.body.get(1) == b"map")  # fmt: skip


def field_path(node: Node | None) -> tuple[str, tuple[str, ...]] | None:
    """``(variable, keys)`` when ``node`` is a variable itself (no keys) or a
    field path into one (``model.spec.metrics.auc``), else ``None``."""
    keys: list[str] = []
    while node is not None and node.kind == _SELECT and not node.test_only:
        name = node.field_name
        if name is None:
            return None
        keys.append(name)
        node = node.operand
    if node is None or node.kind != _IDENT:
        return None
    ident = node.body.get(1)
    return (ident.decode(), tuple(reversed(keys))) if isinstance(ident, bytes) else None


def _structure(value: Any) -> Any:
    """A node as a hashable value that leaves out its ids (equal for equal text)."""
    if isinstance(value, Node):
        return (value.kind, _structure(value.body))
    if isinstance(value, Message):
        return tuple((n, w, _structure(v)) for n, w, v in value.fields)
    return value


def _may_mix(a: Node, c: Node) -> bool:
    kinds = (a.constant_kind(), c.constant_kind())
    if "other" in kinds:
        return False
    if None not in kinds:
        return kinds[0] != kinds[1]  # two literals: only int with double
    return True


Ref = Callable[[], Node]


def _promoting(function: str, left: Node, right: Node, b: _Builder) -> Node:
    """``x OP y`` with an int meeting a double promoted to double (cel-python's rule)."""

    def body(x: Ref, y: Ref) -> Node:
        return b.call(
            "_?_:_",
            b.both(b.is_type(x(), "double"), b.is_type(y(), "int")),
            b.call(function, x(), b.call("double", y())),
            b.call(
                "_?_:_",
                b.both(b.is_type(x(), "int"), b.is_type(y(), "double")),
                b.call(function, b.call("double", x()), y()),
                b.call(function, x(), y()),
            ),
        )

    return b.bind(left, lambda x: b.bind(right, lambda y: body(x, y)))


def _null_is_zero(function: str, operand: Node, b: _Builder) -> Node:
    """``size(x)``, ``x.size()``, ``int(x)``: 0 for null, as in cel-python
    (a record's ``risks: null`` then reads as empty rather than as an error)."""
    return b.bind(
        operand,
        lambda x: b.call("_?_:_", b.is_type(x(), "null_type"), b.int(0), b.call(function, x())),
    )


def _exact(function: str, left: Node, right: Node, b: _Builder) -> Node:
    def body(x: Ref, y: Ref) -> Node:
        either_double = b.call("_||_", b.is_type(x(), "double"), b.is_type(y(), "double"))
        return b.call("_?_:_", either_double, b.call(RELATIONS[function], x(), y()),
                      b.call(function, x(), y()))  # fmt: skip

    return b.bind(left, lambda x: b.bind(right, lambda y: body(x, y)))


def _modulo(left: Node, right: Node, b: _Builder) -> Node:
    def body(x: Ref, y: Ref) -> Node:
        either_double = b.call("_||_", b.is_type(x(), "double"), b.is_type(y(), "double"))
        return b.call("_?_:_", either_double, b.call(MOD, x(), y()), b.call("_%_", x(), y()))

    return b.bind(left, lambda x: b.bind(right, lambda y: body(x, y)))


def _stringify(value: Node, b: _Builder) -> Node:
    """``string(x)``: a double as cel-python writes it, null as "None" (its
    spelling, so that ``string(item.risk_assessment)`` of a null fails, not errors)
    and a bool as "True"/"False"."""
    return b.bind(
        value,
        lambda x: b.call(
            "_?_:_", b.is_type(x(), "double"), b.call(STRING, x()),
            b.call("_?_:_", b.is_type(x(), "null_type"), b.string("None"),
                   b.call("_?_:_", b.is_type(x(), "bool"),
                          b.call("_?_:_", x(), b.string("True"), b.string("False")),
                          b.call("string", x()))),
        ),  # fmt: skip
    )


def _parsing(function: str, text: Node, b: _Builder) -> tuple[Node, bool]:
    """``timestamp(s)``/``duration(s)``: cel-cpp's parser where it agrees with
    cel-python's (RFC 3339, Go durations), cel-python's for anything else
    (``timestamp("2026-12-20")``, ``duration("2d")``)."""
    helper, pattern = _PARSERS[function]
    literal = text.string_value()
    if literal is not None:
        if re.match(pattern, literal):
            return b.call(function, text), False
        return b.call(helper, text), True
    if text.constant_kind() is not None:
        return b.call(function, text), False

    def body(s: Ref) -> Node:
        return b.call("_?_:_", b.is_type(s(), "string"), b.call(helper, s()),
                      b.call(function, s()))  # fmt: skip

    return b.bind(text, body), True


def _presence(node: Node, b: _Builder) -> Node:
    """``has(o.f)`` as "``o.f`` evaluates": every map along a select chain has its key."""
    chain: list[str] = []
    current: Node | None = node
    while current is not None and current.kind == _SELECT:
        name = current.field_name
        if name is None:
            return node
        chain.append(name)
        current = current.operand
    if current is None:
        return node
    chain.reverse()
    conditions: list[Node] = []
    path: list[str] = []
    for name in chain:
        conditions.append(b.is_type(_path(b, current, path), "map"))
        conditions.append(b.select(_path(b, current, path), name, test_only=True))
        path.append(name)
    return b.both(*conditions)


def _path(b: _Builder, base: Node, names: list[str]) -> Node:
    node = b.copy(base)
    for name in names:
        node = b.select(node, name)
    return node


__all__ = [
    "DURATION", "MATCHES", "MOD", "RELATIONS", "STRING", "TIMESTAMP", "Parsed", "WireError",
    "field_path", "read", "rewrite",
]  # fmt: skip
