"""The checker: names resolved against the declarations, arity, literal types.

It returns a tree in which every name is resolved (a frozen tree: the nodes
that need no change are the written ones, shared): a qualified variable
(``x.y`` declared as one name) becomes one :class:`~ast.Ident`, a name in the
container (``y`` in container ``x`` finds ``x.y``) its full name, and a
namespaced function (``optional.of``, ``strings.quote``) a global call. In
strict mode a reference to an undeclared name or function, a wrong argument
count, or an operator applied to literal types it has no overload for is a
:class:`CELCheckError` with the line and column of the reference; otherwise
(``check=False``, as conformance tests with ``disable_check`` want) such a
reference is left for the evaluation to report.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import is_not

from policygate.cel.lang import ast
from policygate.cel.lang.arith import TABLES
from policygate.cel.lang.ast import Node
from policygate.cel.lang.errors import CELCheckError
from policygate.cel.lang.library import FUNCTIONS, OPERATORS, style_error
from policygate.cel.lang.stack import stack_room
from policygate.cel.lang.values import TYPE_IDENTS, Uint


def check(
    root: Node,
    declared: Iterable[str],
    container: str = "",
    strict: bool = True,
) -> Node:
    """``root`` with its names resolved; raises :class:`CELCheckError` when ``strict``."""
    checker = _Checker(frozenset(declared), container, strict)
    try:  # most trees are shallow: no need to look at the stack first
        return checker.visit(root, frozenset())
    except RecursionError:  # a deep one: checked again with room (checking changes nothing)
        with stack_room(4 * 260):
            return checker.visit(root, frozenset())


#: The last parts of the namespaced functions (``of`` for ``optional.of``): a method
#: by another name is no namespaced function's call.
_NAMESPACED = frozenset(name.rsplit(".", 1)[1] for name in FUNCTIONS if "." in name)
_STATIC_TYPES: dict[type, type] = {int: int, Uint: Uint, float: float, str: str, bytes: bytes}
_RELATIONAL = frozenset({"_<_", "_<=_", "_>_", "_>=_"})
_NUMERIC = frozenset({int, Uint, float})
_ORDERED = frozenset({int, Uint, float, str, bytes, bool})


def _dotted_parts(names: Iterable[str]) -> frozenset[str]:
    return frozenset(part for name in names if "." in name for part in name.split("."))


_TYPE_PARTS = _dotted_parts(TYPE_IDENTS)


class _Checker:
    def __init__(self, declared: frozenset[str], container: str, strict: bool) -> None:
        self.declared = declared
        self.strict = strict
        parts = container.split(".") if container else []
        self.prefixes = [".".join(parts[:i]) + "." for i in range(len(parts), 0, -1)] + [""]
        # Every part of a dotted name that a qualified name could resolve to: a chain
        # whose first name is none of them resolves to nothing (as its first name is
        # a part of whatever it resolves to, with or without the container)
        self.dotted_parts = _dotted_parts(declared) | _TYPE_PARTS

    def error(
        self, message: str, node: Node, code: str | None = None, name: str | None = None
    ) -> CELCheckError:
        span = node.span
        return CELCheckError(message, span.offset, span.line, span.column, code=code, name=name)

    def resolve(self, name: str) -> str | None:
        """The declared (or type) name that ``name`` denotes, trying the container."""
        if name.startswith("."):
            bare = name[1:]
            return bare if bare in self.declared or bare in TYPE_IDENTS else None
        for prefix in self.prefixes:
            if prefix + name in self.declared:
                return prefix + name
        for prefix in self.prefixes:
            if prefix + name in TYPE_IDENTS:
                return prefix + name
        return None

    def visit(self, node: Node, scope: frozenset[str]) -> Node:
        kind = type(node)  # the frequent kinds first, by identity
        if kind is ast.Select:
            return self.select(node, scope)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self.call(node, scope)  # type: ignore[arg-type]
        if kind is ast.Ident:
            return self.ident(node, scope)  # type: ignore[arg-type]
        if isinstance(node, ast.Literal):
            return node
        if isinstance(node, ast.Ident):
            return self.ident(node, scope)
        if isinstance(node, ast.Select):
            return self.select(node, scope)
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.ListExpr):
            elements = tuple(self.visit(e, scope) for e in node.elements)
            if _same(elements, node.elements):
                return node
            return ast.ListExpr(node.span, elements, node.optional_indices)
        if isinstance(node, ast.MapExpr):
            entries = tuple(self.entry(e, scope) for e in node.entries)
            if _same(entries, node.entries):
                return node
            return ast.MapExpr(node.span, entries)
        if isinstance(node, ast.MessageExpr):
            if self.strict:
                raise self.error(f"undeclared message type '{node.type_name}'", node)
            fields = tuple(self.field_init(f, scope) for f in node.fields)
            if _same(fields, node.fields):
                return node
            return ast.MessageExpr(node.span, node.type_name, fields)
        if isinstance(node, ast.Comprehension):
            return self.comprehension(node, scope)
        raise AssertionError(f"unknown node {type(node).__name__}")

    def entry(self, entry: ast.MapEntry, scope: frozenset[str]) -> ast.MapEntry:
        key = self.visit(entry.key, scope)
        value = self.visit(entry.value, scope)
        if key is entry.key and value is entry.value:
            return entry
        return ast.MapEntry(entry.span, key, value, entry.optional)

    def field_init(self, field: ast.FieldInit, scope: frozenset[str]) -> ast.FieldInit:
        value = self.visit(field.value, scope)
        if value is field.value:
            return field
        return ast.FieldInit(field.span, field.field, value, field.optional)

    def ident(self, node: ast.Ident, scope: frozenset[str]) -> Node:
        if node.name in scope:
            return node
        found = self.resolve(node.name)
        if found is not None:
            if found in scope:  # a global shadowed by a loop variable: keep it apart
                found = "." + found
            return ast.Ident(node.span, found) if found != node.name else node
        if self.strict:
            name = node.name.lstrip(".")
            message = f"undeclared reference to '{name}'"
            raise self.error(message, node, code="undeclared-variable", name=name)
        name = node.name.lstrip(".")
        return node if name == node.name else ast.Ident(node.span, name)

    def qualified(self, node: Node, scope: frozenset[str]) -> tuple[Node, list[ast.Select]] | None:
        """Split ``a.b.c`` into the longest declared name and the selections after it."""
        chain: list[ast.Select] = []
        cursor = node
        while isinstance(cursor, ast.Select) and not cursor.optional and not cursor.test_only:
            chain.append(cursor)
            cursor = cursor.operand
        if not isinstance(cursor, ast.Ident) or cursor.name in scope or not chain:
            return None
        first = cursor.name[1:] if cursor.name.startswith(".") else cursor.name
        if "." not in first and first not in self.dotted_parts:
            return None  # a.b.c where no declared (or type) name has a part named a
        chain.reverse()
        names = [cursor.name] + [s.field for s in chain]
        for count in range(len(names), 1, -1):
            found = self.resolve(".".join(names[:count]))
            if found is not None:
                return ast.Ident(cursor.span, found), chain[count - 1 :]
        return None

    def select(self, node: ast.Select, scope: frozenset[str]) -> Node:
        split = self.qualified(node, scope)
        if split is not None:
            base, rest = split
            result: Node = base
            for sel in rest:
                result = ast.Select(sel.span, result, sel.field, sel.test_only, sel.optional)
            return result
        if node.test_only or node.optional:
            split = self.qualified(node.operand, scope)
            if split is not None:
                base, rest = split
                operand: Node = base
                for sel in rest:
                    operand = ast.Select(sel.span, operand, sel.field)
                return ast.Select(node.span, operand, node.field, node.test_only, node.optional)
        operand = self.visit(node.operand, scope)
        if operand is node.operand:
            return node
        return ast.Select(node.span, operand, node.field, node.test_only, node.optional)

    def call(self, node: ast.Call, scope: frozenset[str]) -> Node:
        function = node.function.lstrip(".")
        target = node.target
        if target is not None and function in _NAMESPACED:
            namespace = _dotted(target)
            if (
                namespace is not None
                and namespace.split(".")[0] not in scope
                and self.resolve(namespace) is None
                and f"{namespace}.{function}" in FUNCTIONS
            ):
                function = f"{namespace}.{function}"
                target = None
        args = tuple(self.visit(a, scope) for a in node.args)
        checked_target = self.visit(target, scope) if target is not None else None
        count = len(args) + (1 if checked_target is not None else 0)
        if function in OPERATORS:
            pass
        elif function in FUNCTIONS:
            wrong_style = style_error(function, checked_target is not None)
            if wrong_style is not None and self.strict:
                raise self.error(wrong_style, node)
            arities = FUNCTIONS[function][1]
            if count not in arities and self.strict:
                want = " or ".join(str(n) for n in sorted(arities))
                raise self.error(
                    f"function '{function}' takes {want} argument(s), given {count}", node
                )
        elif self.strict:
            raise self.error(
                f"undeclared reference to function '{function}'",
                node,
                code="unknown-function",
                name=function,
            )
        if function == node.function and checked_target is node.target and _same(args, node.args):
            result: ast.Call = node
        else:
            result = ast.Call(node.span, function, args, checked_target)
        if function in TABLES or function in _RELATIONAL:
            self.literal_types(result)
        return result

    def literal_types(self, node: ast.Call) -> None:
        """Refuse an operator over literals of types it has no overload for."""
        if not self.strict or len(node.args) != 2:
            return
        left, right = (_static_type(a) for a in node.args)
        if left is None or right is None:
            return
        if node.function in _RELATIONAL:
            ok = (left is right and left in _ORDERED) or (left in _NUMERIC and right in _NUMERIC)
        else:
            ok = (left, right) in TABLES[node.function]
        if not ok:
            raise self.error(
                f"found no matching overload for '{node.function}' applied to "
                f"({_TYPE_NAMES[left]}, {_TYPE_NAMES[right]})",
                node,
            )

    def comprehension(self, node: ast.Comprehension, scope: frozenset[str]) -> Node:
        iter_range = self.visit(node.iter_range, scope)
        init = self.visit(node.accu_init, scope)
        loop_vars = {node.iter_var, node.accu_var}
        if node.iter_var2 is not None:
            loop_vars.add(node.iter_var2)
        inner = scope | loop_vars
        condition = self.visit(node.loop_condition, inner)
        step = self.visit(node.loop_step, inner)
        result = self.visit(node.result, scope | {node.accu_var})
        if (
            iter_range is node.iter_range
            and init is node.accu_init
            and condition is node.loop_condition
            and step is node.loop_step
            and result is node.result
        ):
            return node
        return ast.Comprehension(
            node.span,
            node.iter_var,
            node.iter_var2,
            iter_range,
            node.accu_var,
            init,
            condition,
            step,
            result,
        )


_TYPE_NAMES = {
    int: "int",
    Uint: "uint",
    float: "double",
    str: "string",
    bytes: "bytes",
    bool: "bool",
    list: "list",
    dict: "map",
    type(None): "null_type",
}


def _static_type(node: Node) -> type | None:
    """The Python type of a literal operand, when it is one (cheap: no inference)."""
    if isinstance(node, ast.Literal):
        return type(node.value)
    if isinstance(node, ast.ListExpr) and not node.optional_indices:
        return list
    if isinstance(node, ast.MapExpr):
        return dict
    return None


def _same(checked: tuple[object, ...], written: tuple[object, ...]) -> bool:
    """Whether the checker left each part as written (then so is the whole: a checked
    tree shares what needed no resolving, as a frozen tree may)."""
    return not any(map(is_not, checked, written))  # (of equal lengths)


def _dotted(node: Node) -> str | None:
    """``a.b.c`` as text when ``node`` is a plain chain of names."""
    parts: list[str] = []
    while isinstance(node, ast.Select) and not node.optional and not node.test_only:
        parts.append(node.field)
        node = node.operand
    if not isinstance(node, ast.Ident):
        return None
    parts.append(node.name.lstrip("."))
    return ".".join(reversed(parts))
