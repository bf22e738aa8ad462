"""What an expression says, read from its syntax tree: the fields it reads, the
variables and functions it uses, and its sub-expressions.

``lint`` uses the references (a field the model schema lacks, a param nobody
declares) and the free variables (a constant ``when``); ``explain`` shows each
sub-expression with the value the evaluator gave it. The tree is the engine's
own (:mod:`.lang.parser`), read with its source map so that every reference and
sub-expression has its offsets in the text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from .interface import CELSyntaxError
from .lang import ast
from .lang.ast import Node, NodeKey, node_key
from .lang.errors import CELSyntaxError as _LangSyntaxError
from .lang.library import FUNCTIONS
from .lang.operators import BUILDERS as _BUILDERS
from .lang.parser import Parsed, parse_source

#: The macros, by the names authors write.
MACROS = frozenset(
    {"all", "exists", "exists_one", "existsOne", "map", "filter", "transformList", "transformMap"}
)

Key = str | None  # a field name, or None for "an element" (an index or an iteration)


@dataclass(frozen=True)
class Reference:
    """A read of a variable or one of its fields: ``model.spec.metrics.auc``.

    A variable bound by a macro (``a`` in ``model.spec.approvals.exists(a, a.role
    == "x")``) is resolved to what it ranges over: ``a.role`` is the reference
    ``model`` / ``("spec", "approvals", None, "role")``.
    """

    variable: str
    path: tuple[Key, ...]
    start: int  # offset of the reference in the expression
    end: int
    key_starts: tuple[int, ...]  # offset of each element of ``path``
    tested: bool = False  # the argument of has(): a missing field gives false, not an error


@dataclass(frozen=True)
class SubExpression:
    """A node of the expression worth showing with its value.

    ``depth`` counts the reported nodes above it (0 is the outermost);
    ``local`` says it reads a variable bound by a macro, so it has no value on
    its own.
    """

    text: str
    start: int
    end: int
    kind: str  # logical | comparison | arithmetic | negation | condition | call | field
    depth: int
    local: bool = False
    key: NodeKey | None = None  # the node, as the evaluator's observer names it (node_key)


@dataclass(frozen=True)
class Analysis:
    references: tuple[Reference, ...]
    variables: frozenset[str]  # free variables read (model, params, now, item, ...)
    functions: frozenset[str]  # functions and methods called, macros included
    subexpressions: tuple[SubExpression, ...]
    # What a for_each over this expression iterates: the paths its value may be
    # taken from (both branches of a conditional, the receiver of a filter).
    collections: tuple[Reference, ...] = field(default=())

    @property
    def constant(self) -> bool:
        """Whether the value cannot depend on the model, the params, now or inputs."""
        return not self.variables


def parsed(text: str) -> Parsed:
    """The engine's syntax tree of ``text`` with its source map; raises
    :class:`CELSyntaxError` (line and column within ``text``)."""
    try:
        return parse_source(text)
    except _LangSyntaxError as error:
        raise CELSyntaxError(error.reason, error.line, error.column) from None


@functools.lru_cache(maxsize=4096)
def analyze(text: str) -> Analysis:
    """Read ``text``; raise :class:`CELSyntaxError` when it does not parse."""
    source = parsed(text)
    walker = _Walker(text, source)
    walker.emit(walker.walk(source.tree, {}, 0), 0)
    collections = tuple(walker.reference(p) for p in walker.yields(source.tree, {}))
    locals_at = walker.local_offsets
    subexpressions = tuple(
        SubExpression(
            text=text[start:end],
            start=start,
            end=end,
            kind=kind,
            depth=depth,
            local=any(
                start <= at < end and not (start <= bound_start and bound_end <= end)
                for at, bound_start, bound_end in locals_at
            ),
            key=key,
        )
        for start, end, kind, depth, key in sorted(
            set(walker.nodes), key=lambda n: (n[0], -n[1], n[3])
        )
    )
    return Analysis(
        references=tuple(walker.references),
        variables=frozenset(walker.variables),
        functions=frozenset(walker.functions),
        subexpressions=subexpressions,
        collections=collections,
    )


def subexpressions(text: str) -> tuple[SubExpression, ...]:
    """The sub-expressions of ``text`` worth showing with a value, outermost first."""
    return analyze(text).subexpressions


@dataclass
class _Path:
    variable: str
    path: tuple[Key, ...]
    start: int
    end: int
    key_starts: tuple[int, ...]
    tested: bool = False
    local: bool = False  # a macro variable whose range is unknown
    node: Node | None = None  # the outermost node of the path as written


_Scope = dict[str, tuple["_Path | None", int, int]]  # a macro variable, what it ranges over

_LOGICAL = frozenset({"_&&_", "_||_"})
_GROUPS = {
    **dict.fromkeys(("_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "@in"), "comparison"),
    **dict.fromkeys(("_+_", "_-_"), "arithmetic"),
    **dict.fromkeys(("_*_", "_/_", "_%_"), "arithmetic-product"),
}
_INDEX = frozenset({"_[_]", "_[?_]"})


def _dotted(node: Node) -> str | None:
    """``a.b.c`` written as selections of a name, as one dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Select) and not node.optional and not node.test_only:
        parts.append(node.field)
        node = node.operand
    if not isinstance(node, ast.Ident):
        return None
    parts.append(node.name)
    return ".".join(reversed(parts))


class _Walker:
    def __init__(self, text: str, source: Parsed) -> None:
        self.text = text
        self.source = source
        self.references: list[Reference] = []
        self.variables: set[str] = set()
        self.functions: set[str] = set()
        self.nodes: list[tuple[int, int, str, int, NodeKey | None]] = []
        # (offset of a macro variable, span of the macro that binds it)
        self.local_offsets: list[tuple[int, int, int]] = []

    # -- results ---------------------------------------------------------------

    def extent(self, node: Node) -> tuple[int, int]:
        found = self.source.extents.get(node)
        if found is not None:
            return found
        return node.span.offset, node.span.offset

    def reference(self, path: _Path) -> Reference:
        return Reference(
            path.variable, path.path, path.start, path.end, path.key_starts, path.tested
        )

    def emit(self, path: _Path | None, depth: int) -> None:
        """A path no parent extends: a reference, and a ``field`` sub-expression."""
        if path is None:
            return
        if not path.local:
            self.references.append(self.reference(path))
        if not path.tested:
            key = node_key(path.node) if path.node is not None else None
            self.nodes.append((path.start, path.end, "field", depth, key))

    def record(self, node: Node, kind: str, depth: int) -> None:
        start, end = self.extent(node)
        self.nodes.append((start, end, kind, depth, node_key(node)))

    def operands(self, node: ast.Call) -> list[Node]:
        """The operands of a written chain of one operator level (``a && b && c``,
        ``a + b - c``) whose root is ``node``; parentheses end a chain."""
        if node.function in _LOGICAL:
            out: list[Node] = []
            stack: list[Node] = [node]
            while stack:
                current = stack.pop()
                if current is node or current in self.source.chains:
                    assert isinstance(current, ast.Call)
                    stack.extend(reversed(current.args))
                else:
                    out.append(current)
            return out
        group = _GROUPS[node.function]
        chain: list[Node] = []
        link: Node = node
        start = self.extent(node)[0]
        while (
            isinstance(link, ast.Call)
            and _GROUPS.get(link.function) == group
            and len(link.args) == 2
            and self.extent(link)[0] == start
        ):
            chain.append(link.args[1])
            link = link.args[0]
        chain.append(link)
        return chain[::-1]

    # -- the walk --------------------------------------------------------------

    def walk(self, node: Node, scope: _Scope, depth: int) -> _Path | None:
        """Walk ``node``; return it as a path when it is one (its parent may extend it)."""
        macro = self.source.macros.get(node)
        if macro is not None:
            return self._macro(node, macro, scope, depth)
        if isinstance(node, ast.Ident):
            return self._ident(node, scope)
        if isinstance(node, ast.Select):
            path = self.walk(node.operand, scope, depth)
            if path is None:
                return None
            key_start = self.source.field_starts.get(node, node.span.offset + 1)
            return _Path(
                path.variable,
                (*path.path, node.field),
                path.start,
                self.extent(node)[1],
                (*path.key_starts, key_start),
                local=path.local,
                node=node,
            )
        if isinstance(node, ast.Call):
            return self._call(node, scope, depth)
        for child in ast.children(node):
            self.emit(self.walk(child, scope, depth), depth)
        return None

    def _call(self, node: ast.Call, scope: _Scope, depth: int) -> _Path | None:
        function = node.function
        if function in _LOGICAL or function in _GROUPS:
            kind = "logical" if function in _LOGICAL else _GROUPS[function]
            self.record(node, kind.removesuffix("-product"), depth)
            for operand in self.operands(node):
                self.emit(self.walk(operand, scope, depth + 1), depth + 1)
            return None
        if function == "_?_:_":
            self.record(node, "condition", depth)
            for child in node.args:
                self.emit(self.walk(child, scope, depth + 1), depth + 1)
            return None
        if function == "!_":
            self.record(node, "negation", depth)
            self.emit(self.walk(node.args[0], scope, depth + 1), depth + 1)
            return None
        if function == "-_":
            self.emit(self.walk(node.args[0], scope, depth), depth)
            return None
        if function in _INDEX:
            base, index = node.args
            path = self.walk(base, scope, depth)
            key = index.value if isinstance(index, ast.Literal) else None
            if not isinstance(key, str):
                key = None
                self.emit(self.walk(index, scope, depth + 1), depth + 1)
            if path is None:
                return None
            return _Path(
                path.variable,
                (*path.path, key),
                path.start,
                self.extent(node)[1],
                (*path.key_starts, self.extent(index)[0]),
                local=path.local,
                node=node,
            )
        target = node.target
        self.record(node, "call", depth)
        if target is not None:
            namespace = _dotted(target)
            if (
                namespace is not None
                and namespace.split(".")[0] not in scope
                and f"{namespace}.{function}" in FUNCTIONS
            ):
                target = None  # a namespaced function: optional.of(x)
                function = f"{namespace}.{function}"
        self.functions.add(function.lstrip("."))
        if target is not None:
            self.emit(self.walk(target, scope, depth + 1), depth + 1)
        for argument in node.args:
            self.emit(self.walk(argument, scope, depth + 1), depth + 1)
        return None

    def _macro(
        self,
        node: Node,
        macro: tuple[str, Node | None, tuple[Node, ...]],
        scope: _Scope,
        depth: int,
    ) -> _Path | None:
        name, target, arguments = macro
        self.functions.add(name)
        if name == "has":
            self.record(node, "call", depth)
            path = self.walk(arguments[0], scope, depth + 1)
            if path is not None:
                path.tested = True
            self.emit(path, depth + 1)
            return None
        self.record(node, "call", depth)
        path = self.walk(target, scope, depth + 1) if target is not None else None
        self.emit(path, depth + 1)
        names = [a.name for a in arguments if isinstance(a, ast.Ident)]
        two = name in ("transformList", "transformMap") or (
            name in ("all", "exists", "existsOne", "exists_one") and len(arguments) == 3
        )
        variables = names[:2] if two else names[:1]
        element = None
        if path is not None and not path.local:
            element = _Path(
                path.variable,
                (*path.path, None),
                path.start,
                path.end,
                (*path.key_starts, path.end),
            )
        start, end = self.extent(node)
        inner = dict(scope)
        if len(variables) == 2:
            inner[variables[0]] = (None, start, end)  # an index or a key
            inner[variables[1]] = (element, start, end)
        else:
            inner[variables[0]] = (element, start, end)
        for argument in arguments[len(variables) :]:
            self.emit(self.walk(argument, inner, depth + 1), depth + 1)
        return None

    def _ident(self, node: ast.Ident, scope: _Scope) -> _Path | None:
        name = node.name
        start, end = self.extent(node)
        if name in scope:
            bound, macro_start, macro_end = scope[name]
            self.local_offsets.append((start, macro_start, macro_end))
            if bound is None:
                return _Path(name, (), start, end, (), local=True, node=node)
            return _Path(bound.variable, bound.path, start, end, bound.key_starts, node=node)
        self.variables.add(name)
        return _Path(name, (), start, end, (), node=node)

    # -- what a for_each iterates ------------------------------------------------

    def yields(self, node: Node, scope: _Scope) -> list[_Path]:
        macro = self.source.macros.get(node)
        if macro is not None:
            name, target, _ = macro
            if name == "filter" and target is not None:
                return self.yields(target, scope)
            return []
        if isinstance(node, ast.Call) and node.function == "_?_:_":
            _, then, otherwise = node.args
            return self.yields(then, scope) + self.yields(otherwise, scope)
        if isinstance(node, ast.Ident | ast.Select) or (
            isinstance(node, ast.Call) and node.function in _INDEX
        ):
            probe = _Walker(self.text, self.source)
            path = probe.walk(node, scope, 0)
            return [path] if path is not None and not path.local else []
        return []


__all__ = [
    "Analysis", "Reference", "SubExpression", "analyze", "subexpressions", "node_key", "MACROS"
]  # fmt: skip


# --------------------------------------------------------------------------- static cost

#: Calls whose units grow with their operands (operators.py charges them per element
#: or character): bounded statically only when every operand is a literal.
_SIZED_CALLS = frozenset(
    {"_+_", "@in", "_==_", "_!=_", "replace", "join", "split", "format", "lowerAscii",
     "upperAscii", "reverse", "strings.quote", "substring", "trim", "contains",
     "startsWith", "endsWith", "indexOf", "lastIndexOf", "matches"}
)  # fmt: skip


def worst_case(text: str) -> int | None:
    """The most units an evaluation of ``text`` can spend (the engine's units, the
    same on every machine), or ``None`` when that depends on the record: a macro
    over a document's list, or an operation on a document value whose cost grows
    with its size. Raises :class:`CELSyntaxError` when ``text`` does not parse."""
    return _bound(parsed(text).tree)


def _bound(node: Node) -> int | None:
    if isinstance(node, ast.Comprehension):
        size = _literal_size(node.iter_range)
        parts = [
            _bound(part)
            for part in (node.iter_range, node.accu_init, node.result, node.loop_condition,
                         node.loop_step)
        ]  # fmt: skip
        if size is None or any(part is None for part in parts):
            return None
        ranged, init, result, condition, step = (p for p in parts if p is not None)
        return 3 + ranged + init + result + size * (1 + condition + step)
    total = 1
    if isinstance(node, ast.Call) and node.function in _SIZED_CALLS:
        extra = _sized_units(node)
        if extra is None:
            return None
        total += extra
    if isinstance(node, ast.ListExpr):
        total += len(node.elements)
    elif isinstance(node, ast.MapExpr):
        total += len(node.entries)
    for child in ast.children(node):
        found = _bound(child)
        if found is None:
            return None
        total += found
    return total


def _sized_units(node: ast.Call) -> int | None:
    """What a call whose cost grows with its operands charges beyond its node, when
    the text bounds it: ``x in [literal list]``, ``x == "literal"`` (a container
    meets a scalar: nothing is compared element by element), or literal operands."""
    function = node.function
    if function == "@in":
        container = _value(node.args[1])
        return len(container) if isinstance(container, list) else (0 if container else None)
    if function in ("_==_", "_!=_") and any(
        isinstance(arg, ast.Literal) for arg in node.args
    ):
        return 0
    operands = ((node.target,) if node.target is not None else ()) + node.args
    values = [_value(operand) for operand in operands]
    if any(value is None for value in values):
        return None
    if function == "_+_":
        return sum(len(v) for v in values if isinstance(v, str | bytes | list))
    if function in ("_==_", "_!=_"):
        return len(values[0]) if isinstance(values[0], list | dict) else 0
    builder = _BUILDERS.get(function)
    try:
        return builder(values) if builder is not None else None
    except Exception:  # a wrong operand type: the call errors (bounded, but say unknown)
        return None


def _value(node: Node) -> Any:
    """The value of a literal-only node (``None`` when it is not one; a literal
    ``null`` reads as a non-container, which is all the callers ask)."""
    if isinstance(node, ast.Literal):
        return node.value if node.value is not None else 0
    if isinstance(node, ast.ListExpr):
        items = [_value(e) for e in node.elements]
        return None if any(i is None for i in items) else items
    if isinstance(node, ast.MapExpr):
        keys = [_value(e.key) for e in node.entries]
        values = [_value(e.value) for e in node.entries]
        if any(x is None for x in keys + values):
            return None
        try:
            return dict(zip(keys, values, strict=True))
        except TypeError:
            return None
    return None


def _literal_size(node: Node) -> int | None:
    if isinstance(node, ast.ListExpr):
        return len(node.elements)
    if isinstance(node, ast.MapExpr):
        return len(node.entries)
    return None


# --------------------------------------------------------------------------- int literals

_ARITHMETIC = frozenset({"_+_", "_-_", "_*_", "_/_", "_%_"})
_DOCUMENTS = frozenset({"model", "params", "inputs", "item"})


def int_arithmetic(text: str) -> list[tuple[int, str]]:
    """Where an int literal meets a document value in arithmetic (``model.n * 2``):
    a document's numbers are doubles (SPEC §3), and CEL has no ``double * int``, so
    the evaluation is an error. Each as ``(offset of the literal, the literal)``."""
    source = parsed(text)
    found: list[tuple[int, str]] = []
    stack: list[Node] = [source.tree]
    while stack:
        node = stack.pop()
        stack.extend(ast.children(node))
        if not (isinstance(node, ast.Call) and node.function in _ARITHMETIC):
            continue
        if len(node.args) != 2:
            continue
        for literal, other in (node.args, node.args[::-1]):
            if (
                isinstance(literal, ast.Literal)
                and type(literal.value) is int
                and _document_read(other)
            ):
                start, end = source.extents.get(literal, (literal.span.offset,) * 2)
                found.append((start, text[start:end] or str(literal.value)))
    return sorted(found)


def _document_read(node: Node) -> bool:
    """A field of a document (``model.spec.n``, ``item.value``): a double when a number."""
    if not isinstance(node, ast.Select) or node.test_only:
        return False
    while isinstance(node, ast.Select):
        node = node.operand
    return isinstance(node, ast.Ident) and node.name.lstrip(".") in _DOCUMENTS
