"""CEL's macros, expanded at parse time into comprehensions (cel-go's expansions).

``has(a.b)``, ``all``, ``exists``, ``exists_one``/``existsOne``, ``map`` (2 and
3 arguments), ``filter``, the two-variable forms ``all(k, v, p)``,
``exists(k, v, p)``, ``existsOne(k, v, p)`` (``exists_one(k, v, p)`` too, as
cel-go has it), ``transformList`` and
``transformMap`` (cel-go's ext comprehensions), and ``optMap``/``optFlatMap``
on optionals. A call that does not have a macro's shape stays a call.
"""

from __future__ import annotations

from policygate.cel.lang import ast
from policygate.cel.lang.ast import Node, Span
from policygate.cel.lang.lexer import Source

#: The accumulator of every macro's comprehension (cel-go's name: no identifier can clash).
ACCU = "@result"


def expand_macro(
    span: Span, name: str, args: tuple[Node, ...], target: Node | None, source: Source
) -> Node | None:
    """The expansion of ``target.name(args)`` (or ``name(args)``), or None when no macro."""
    if target is None:
        if name == "has" and len(args) == 1:
            arg = args[0]
            if not isinstance(arg, ast.Select) or arg.optional or arg.test_only:
                raise source.error("invalid argument to has() macro", arg.span.offset)
            return ast.Select(span, arg.operand, arg.field, test_only=True)
        return None
    count = len(args)
    if name in ("all", "exists", "exists_one", "existsOne") and count in (2, 3):
        names = _vars(args[:-1], source)
        return _quantifier(span, name, target, names, args[-1])
    if name in ("map", "filter") and count in (2, 3):
        if name == "filter" and count == 3:
            return None
        (var,) = _vars(args[:1], source)
        if name == "filter":
            return _to_list(span, target, (var, None), args[1], element=_ident(span, var))
        predicate = args[1] if count == 3 else None
        return _to_list(span, target, (var, None), predicate, element=args[-1])
    if name == "transformList" and count in (3, 4):
        first, second = _vars(args[:2], source)
        predicate = args[2] if count == 4 else None
        return _to_list(span, target, (first, second), predicate, element=args[-1])
    if name == "transformMap" and count in (3, 4):
        first, second = _vars(args[:2], source)
        predicate = args[2] if count == 4 else None
        return _to_map(span, target, first, second, predicate, args[-1])
    if name in ("optMap", "optFlatMap") and count == 2:
        (var,) = _vars(args[:1], source)
        value = ast.Call(span, "value", (), target)
        bound = _bind(span, var, value, args[1])
        if name == "optMap":
            bound = ast.Call(span, "optional.of", (bound,))
        has_value = ast.Call(span, "hasValue", (), target)
        none = ast.Call(span, "optional.none", ())
        return ast.Call(span, "_?_:_", (has_value, bound, none))
    return None


def _vars(args: tuple[Node, ...], source: Source) -> tuple[str, ...]:
    names: list[str] = []
    for arg in args:
        if not isinstance(arg, ast.Ident) or arg.name.startswith("."):
            raise source.error("argument is not a simple name", arg.span.offset)
        names.append(arg.name)
    if len(names) == 2 and names[0] == names[1]:
        raise source.error(f"duplicate variable name {names[0]!r}", args[1].span.offset)
    return tuple(names)


def _ident(span: Span, name: str) -> Node:
    return ast.Ident(span, name)


def _call(span: Span, function: str, *args: Node) -> Node:
    return ast.Call(span, function, args)


def _loop(
    span: Span,
    target: Node,
    names: tuple[str, str | None],
    init: Node,
    condition: Node,
    step: Node,
    result: Node,
) -> Node:
    return ast.Comprehension(span, names[0], names[1], target, ACCU, init, condition, step, result)


def _quantifier(
    span: Span, name: str, target: Node, names: tuple[str, ...], predicate: Node
) -> Node:
    pair = (names[0], names[1] if len(names) == 2 else None)
    accu = _ident(span, ACCU)
    if name == "all":
        return _loop(
            span,
            target,
            pair,
            ast.Literal(span, True),
            _call(span, "@not_strictly_false", accu),
            _call(span, "_&&_", accu, predicate),
            accu,
        )
    if name == "exists":
        return _loop(
            span,
            target,
            pair,
            ast.Literal(span, False),
            _call(span, "@not_strictly_false", _call(span, "!_", accu)),
            _call(span, "_||_", accu, predicate),
            accu,
        )
    step = _call(span, "_?_:_", predicate, _call(span, "_+_", accu, ast.Literal(span, 1)), accu)
    return _loop(
        span,
        target,
        pair,
        ast.Literal(span, 0),
        ast.Literal(span, True),
        step,
        _call(span, "_==_", accu, ast.Literal(span, 1)),
    )


def _to_list(
    span: Span,
    target: Node,
    names: tuple[str, str | None],
    predicate: Node | None,
    element: Node,
) -> Node:
    accu = _ident(span, ACCU)
    step: Node = _call(span, "_+_", accu, ast.ListExpr(span, (element,)))
    if predicate is not None:
        step = _call(span, "_?_:_", predicate, step, accu)
    return _loop(span, target, names, ast.ListExpr(span, ()), ast.Literal(span, True), step, accu)


def _to_map(
    span: Span, target: Node, key: str, value: str, predicate: Node | None, transform: Node
) -> Node:
    accu = _ident(span, ACCU)
    step: Node = _call(span, "@mapInsert", accu, _ident(span, key), transform)
    if predicate is not None:
        step = _call(span, "_?_:_", predicate, step, accu)
    return _loop(
        span, target, (key, value), ast.MapExpr(span, ()), ast.Literal(span, True), step, accu
    )


def _bind(span: Span, var: str, init: Node, body: Node) -> Node:
    """``cel.bind(var, init, body)``: a loop over nothing whose accumulator is ``var``."""
    return ast.Comprehension(
        span,
        "#unused",
        None,
        ast.ListExpr(span, ()),
        var,
        init,
        ast.Literal(span, False),
        _ident(span, var),
        body,
    )
