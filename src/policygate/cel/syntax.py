"""What an expression says, read from its syntax tree: the fields it reads, the
variables and functions it uses, and its sub-expressions.

``lint`` uses the references (a field the model schema lacks, a param nobody
declares) and the free variables (a constant ``when``); ``explain`` evaluates
each sub-expression through the backend, so the explanation does not depend on
which backend runs the rules. CEL's syntax is the same on every backend; the
cel-python parser reads it here, inside the one package allowed to import it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from .grammar import cel_parser
from .interface import CELSyntaxError

MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})

# Nodes that only wrap their single child when no operator is present.
_WRAPPERS = frozenset(
    {
        "expr",
        "conditionalor",
        "conditionaland",
        "relation",
        "addition",
        "multiplication",
        "unary",
        "member",
        "primary",
        "exprlist",
    }
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


@functools.lru_cache(maxsize=4096)
def analyze(text: str) -> Analysis:
    """Read ``text``; raise :class:`CELSyntaxError` when it does not parse."""
    try:
        tree = _parser().parse(text)
    except LarkError as error:
        line = getattr(error, "line", None) or 1
        column = getattr(error, "column", None) or 1
        raise CELSyntaxError("syntax error", line, column) from None
    walker = _Walker(text)
    root = walker.walk(tree, {}, 0)
    walker.emit(root, 0)
    collections = tuple(walker.reference(p) for p in walker.yields(tree, {}))
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
        )
        for start, end, kind, depth in sorted(walker.nodes, key=lambda n: (n[0], -n[1], n[3]))
    )
    return Analysis(
        references=tuple(walker.references),
        variables=frozenset(walker.variables),
        functions=frozenset(walker.functions),
        subexpressions=subexpressions,
        collections=collections,
    )


@functools.cache
def _parser() -> Lark:
    """cel-python's grammar and options, with ``true``/``false`` keeping their positions
    (cel-python's own parser re-creates those tokens without them)."""

    def literals(token: Token) -> Token:
        if token.value in ("true", "false"):
            return Token.new_borrow_pos("BOOL_LIT", token.value, token)
        return token

    return cel_parser(lexer_callbacks={"IDENT": literals})  # cached: see .grammar


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


_Scope = dict[str, tuple["_Path | None", int, int]]  # a macro variable, what it ranges over


def _span(node: Tree | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return node.start_pos or 0, node.end_pos or 0
    return node.meta.start_pos, node.meta.end_pos


def _trees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree)]


def _unwrap(node: Tree) -> Tree:
    while node.data in _WRAPPERS and len(node.children) == 1 and isinstance(node.children[0], Tree):
        node = node.children[0]
    return node


def _string_literal(node: Tree) -> str | None:
    node = _unwrap(node)
    if node.data != "literal" or not node.children:
        return None
    token = node.children[0]
    if not isinstance(token, Token) or token.type != "STRING_LIT":
        return None
    raw = str(token)
    if raw[:1] in "rR" or len(raw) < 2 or "\\" in raw:
        return None
    return raw[1:-1]


def _chain(node: Tree, data: str) -> list[Tree]:
    """The operands of a left-nested chain of the same binary node (``a && b && c``)."""
    operands: list[Tree] = []
    while node.data == data and len(node.children) == 2:
        left, right = node.children
        assert isinstance(right, Tree) and isinstance(left, Tree)
        operands.append(right)
        # relation/addition/multiplication put the operator node in between
        node = left.children[0] if left.data.startswith(f"{data}_") else left  # type: ignore[assignment]
    operands.append(node)
    return operands[::-1]


_KINDS = {
    "conditionalor": "logical",
    "conditionaland": "logical",
    "relation": "comparison",
    "addition": "arithmetic",
    "multiplication": "arithmetic",
}


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.references: list[Reference] = []
        self.variables: set[str] = set()
        self.functions: set[str] = set()
        self.nodes: list[tuple[int, int, str, int]] = []
        # (offset of a macro variable, span of the macro that binds it)
        self.local_offsets: list[tuple[int, int, int]] = []

    # -- results ---------------------------------------------------------------

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
            self.nodes.append((path.start, path.end, "field", depth))

    def record(self, node: Tree, kind: str, depth: int) -> None:
        start, end = _span(node)
        self.nodes.append((start, end, kind, depth))

    # -- the walk --------------------------------------------------------------

    def walk(self, node: Tree, scope: _Scope, depth: int) -> _Path | None:
        """Walk ``node``; return it as a path when it is one (its parent may extend it)."""
        node = _unwrap(node)
        kind = node.data
        children = node.children
        if kind in _KINDS and len(children) == 2:
            self.record(node, _KINDS[kind], depth)
            for operand in _chain(node, kind):
                self.emit(self.walk(operand, scope, depth + 1), depth + 1)
            return None
        if kind == "expr" and len(children) == 3:
            self.record(node, "condition", depth)
            for child in _trees(node):
                self.emit(self.walk(child, scope, depth + 1), depth + 1)
            return None
        if kind == "unary" and len(children) == 2:
            negation = isinstance(children[0], Tree) and children[0].data == "unary_not"
            if negation:
                self.record(node, "negation", depth)
            inner = depth + 1 if negation else depth
            assert isinstance(children[1], Tree)
            self.emit(self.walk(children[1], scope, inner), inner)
            return None
        if kind in ("ident", "dot_ident"):
            return self._ident(node, scope)
        if kind == "member_dot":
            base, name = children
            assert isinstance(base, Tree) and isinstance(name, Token)
            path = self.walk(base, scope, depth)
            if path is None:
                return None
            return _Path(
                path.variable,
                (*path.path, str(name)),
                path.start,
                _span(name)[1],
                (*path.key_starts, _span(name)[0]),
                local=path.local,
            )
        if kind == "member_index":
            base, index = children
            assert isinstance(base, Tree) and isinstance(index, Tree)
            path = self.walk(base, scope, depth)
            key = _string_literal(index)
            if key is None:
                self.emit(self.walk(index, scope, depth + 1), depth + 1)
            if path is None:
                return None
            start, end = _span(index)
            return _Path(
                path.variable,
                (*path.path, key),
                path.start,
                end + 1,
                (*path.key_starts, start),
                local=path.local,
            )
        if kind == "member_dot_arg":
            return self._method(node, scope, depth)
        if kind in ("ident_arg", "dot_ident_arg"):
            self._function(node, scope, depth)
            return None
        # literals, list and map literals, parentheses, object construction
        for child in _trees(node):
            self.emit(self.walk(child, scope, depth), depth)
        return None

    def _ident(self, node: Tree, scope: _Scope) -> _Path | None:
        token = node.children[0]
        assert isinstance(token, Token)
        name = str(token)
        start, end = _span(token)
        if name in scope:
            bound, macro_start, macro_end = scope[name]
            self.local_offsets.append((start, macro_start, macro_end))
            if bound is None:
                return _Path(name, (), start, end, (), local=True)
            return _Path(bound.variable, bound.path, start, end, bound.key_starts)
        self.variables.add(name)
        return _Path(name, (), start, end, ())

    def _arguments(self, node: Tree) -> list[Tree]:
        lists = [c for c in _trees(node) if c.data == "exprlist"]
        return _trees(lists[0]) if lists else []

    def _function(self, node: Tree, scope: _Scope, depth: int) -> None:
        name_token = next(c for c in node.children if isinstance(c, Token))
        name = str(name_token)
        self.functions.add(name)
        self.record(node, "call", depth)
        for argument in self._arguments(node):
            path = self.walk(argument, scope, depth + 1)
            if name == "has" and path is not None:
                path.tested = True
            self.emit(path, depth + 1)

    def _method(self, node: Tree, scope: _Scope, depth: int) -> _Path | None:
        receiver = node.children[0]
        name = str(node.children[1])
        assert isinstance(receiver, Tree)
        self.functions.add(name)
        self.record(node, "call", depth)
        arguments = self._arguments(node)
        path = self.walk(receiver, scope, depth + 1)
        self.emit(path, depth + 1)
        variable = _unwrap(arguments[0]) if arguments else None
        if (
            name in MACROS
            and len(arguments) in (2, 3)
            and variable is not None
            and variable.data == "ident"
        ):
            bound = str(variable.children[0])
            element = None
            if path is not None and not path.local:
                element = _Path(
                    path.variable,
                    (*path.path, None),
                    path.start,
                    path.end,
                    (*path.key_starts, path.end),
                )
            inner = {**scope, bound: (element, *_span(node))}
            for argument in arguments[1:]:
                self.emit(self.walk(argument, inner, depth + 1), depth + 1)
            return None
        for argument in arguments:
            self.emit(self.walk(argument, scope, depth + 1), depth + 1)
        return None

    # -- what a for_each iterates ------------------------------------------------

    def yields(self, node: Tree, scope: _Scope) -> list[_Path]:
        node = _unwrap(node)
        if node.data == "paren_expr":
            return self.yields(_trees(node)[0], scope)
        if node.data == "expr" and len(node.children) == 3:
            _, then, otherwise = _trees(node)
            return self.yields(then, scope) + self.yields(otherwise, scope)
        if node.data == "member_dot_arg" and str(node.children[1]) == "filter":
            receiver = node.children[0]
            assert isinstance(receiver, Tree)
            return self.yields(receiver, scope)
        if node.data in ("ident", "dot_ident", "member_dot", "member_index"):
            probe = _Walker(self.text)
            path = probe.walk(node, scope, 0)
            return [path] if path is not None and not path.local else []
        return []


__all__ = ["Analysis", "Reference", "SubExpression", "analyze", "subexpressions", "MACROS"]
