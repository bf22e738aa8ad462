"""A recursive-descent parser for CEL's grammar (langdef.md, "Syntax").

Binary operators are read in loops, one per precedence level, so a long
``a + b + c`` does not recurse; ``&&`` and ``||`` chains are balanced (as
cel-go does: both are commutative in CEL, so the shape changes no result and
a chain of a thousand conditions stays shallow). Nesting (parentheses,
arguments, lists...) and the resulting tree depth are bounded: a deeper text is
a syntax error, never a ``RecursionError``. Macros are expanded here, as in
cel-go, into :class:`~policygate.cel.lang.ast.Comprehension` nodes.
"""

from __future__ import annotations

from collections.abc import Callable

from policygate.cel.lang import ast
from policygate.cel.lang.ast import Node, Span
from policygate.cel.lang.errors import CELSyntaxError
from policygate.cel.lang.lexer import RESERVED, Source, Token, tokenize
from policygate.cel.lang.macros import expand_macro
from policygate.cel.lang.stack import stack_room
from policygate.cel.lang.values import INT64_MIN, Uint

#: CEL's parser limits (cel-go's defaults): nesting, and the text's length in code points.
MAX_NESTING = 250
MAX_DEPTH = 250
MAX_LENGTH = 100_000

_RELATIONS = {
    "==": "_==_",
    "!=": "_!=_",
    "<": "_<_",
    "<=": "_<=_",
    ">": "_>_",
    ">=": "_>=_",
}
_ADDITIVE = {"+": "_+_", "-": "_-_"}
_MULTIPLICATIVE = {"*": "_*_", "/": "_/_", "%": "_%_"}
_KEYWORDS = frozenset({"true", "false", "null", "in"})


class Parsed:
    """A syntax tree with what only the source text knows, for tools that show it
    (lint, explain): each node's ``extent`` (start and end offsets of the text it
    was read from), where each selected field's name starts, which comprehension
    or ``has()`` was written as which macro call (name, receiver, arguments), and
    which ``&&``/``||`` nodes are inner links of one written chain."""

    __slots__ = ("tree", "extents", "field_starts", "macros", "chains")  # no dataclass made

    def __init__(
        self,
        tree: Node,
        extents: dict[Node, tuple[int, int]],
        field_starts: dict[Node, int],
        macros: dict[Node, tuple[str, Node | None, tuple[Node, ...]]],
        chains: frozenset[Node],
    ) -> None:
        self.tree = tree
        self.extents = extents
        self.field_starts = field_starts
        self.macros = macros
        self.chains = chains


def parse(text: str) -> Node:
    """The syntax tree of ``text``, or :class:`CELSyntaxError` with line and column."""
    return parse_source(text).tree


def parse_source(text: str) -> Parsed:
    """:func:`parse`, keeping the source map of :class:`Parsed`."""
    if len(text) > MAX_LENGTH:
        raise CELSyntaxError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}", 0, 1, 1,
            code="expression-too-large",
        )
    source = Source(text)
    with stack_room(MAX_NESTING * 12):
        parser = _Parser(source, tokenize(source))
        node = parser.expression()
        parser.expect("eof")
    depth = tree_depth(node)
    if depth > MAX_DEPTH:
        raise source.error(f"expression nests {depth} deep; the limit is {MAX_DEPTH}", 0)
    return Parsed(
        node, parser.extents, parser.field_starts, parser.macros, frozenset(parser.chains)
    )


def tree_depth(root: Node) -> int:
    """The depth of the tree under ``root``, measured without recursion."""
    deepest = 0
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
        for child in ast.children(node):
            stack.append((child, depth + 1))
    return deepest


class _Parser:
    def __init__(self, source: Source, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.pos = 0
        self.nesting = 0
        self.last_end = 0  # where the last token consumed ends
        self.extents: dict[Node, tuple[int, int]] = {}
        self.field_starts: dict[Node, int] = {}
        self.macros: dict[Node, tuple[str, Node | None, tuple[Node, ...]]] = {}
        self.chains: set[Node] = set()

    # -- tokens ---------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        if not ahead:  # the parser's most frequent call: pos never passes the eof token
            return self.tokens[self.pos]
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
            self.last_end = token.end
        return token

    def mark(self, node: Node, start: int) -> Node:
        """Record that ``node`` was read from ``start`` to the last token consumed
        (the first record stands: a parenthesized node keeps its inner extent)."""
        if node not in self.extents:
            self.extents[node] = (start, self.last_end)
        return node

    def accept(self, kind: str) -> Token | None:
        if self.tokens[self.pos].kind == kind:
            return self.next()
        return None

    def expect(self, kind: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            want = "end of expression" if kind == "eof" else repr(kind)
            raise self.error(f"expected {want}, found {_describe(token)}", token)
        return self.next()

    def error(self, message: str, token: Token) -> CELSyntaxError:
        return self.source.error(message, token.offset)

    def span(self, token: Token) -> Span:
        return self.source.span(token.offset)

    # -- grammar --------------------------------------------------------------

    def expression(self) -> Node:
        """Expr = ConditionalOr ["?" ConditionalOr ":" Expr]."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"expression nests deeper than {MAX_NESTING}", self.peek())
        try:
            start = self.peek().offset
            condition = self.logical("||", "_||_", self.conjunction)
            question = self.accept("?")
            if question is None:
                return condition
            then = self.logical("||", "_||_", self.conjunction)
            self.expect(":")
            otherwise = self.expression()
            node = ast.Call(self.span(question), "_?_:_", (condition, then, otherwise))
            return self.mark(node, start)
        finally:
            self.nesting -= 1

    def conjunction(self) -> Node:
        return self.logical("&&", "_&&_", self.relation)

    def logical(self, op: str, function: str, read: Callable[[], Node]) -> Node:
        """A chain of ``op`` over the next tighter level (``read``), balanced."""
        start = self.peek().offset
        terms: list[Node] = [read()]
        bounds = [(start, self.last_end)]
        spans: list[Span] = []
        while (token := self.accept(op)) is not None:
            spans.append(self.span(token))
            term_start = self.peek().offset
            terms.append(read())
            bounds.append((term_start, self.last_end))
        if len(terms) == 1:
            return terms[0]
        root = _balance(function, terms, spans, bounds, self.extents, self.chains)
        self.chains.discard(root)
        return root

    def relation(self) -> Node:
        start = self.peek().offset
        left = self.additive()
        while True:
            token = self.peek()
            if token.kind in _RELATIONS:
                function = _RELATIONS[token.kind]
            elif token.kind == "ident" and token.value == "in":
                function = "@in"
            else:
                return left
            self.next()
            right = self.additive()
            left = self.mark(ast.Call(self.span(token), function, (left, right)), start)

    def additive(self) -> Node:
        start = self.peek().offset
        left = self.multiplicative()
        while (token := self.peek()).kind in _ADDITIVE:
            self.next()
            right = self.multiplicative()
            node = ast.Call(self.span(token), _ADDITIVE[token.kind], (left, right))
            left = self.mark(node, start)
        return left

    def multiplicative(self) -> Node:
        start = self.peek().offset
        left = self.unary()
        while (token := self.peek()).kind in _MULTIPLICATIVE:
            self.next()
            right = self.unary()
            node = ast.Call(self.span(token), _MULTIPLICATIVE[token.kind], (left, right))
            left = self.mark(node, start)
        return left

    def unary(self) -> Node:
        """Unary = Member | "!" {"!"} Member | "-" {"-"} Member."""
        token = self.peek()
        if token.kind not in ("!", "-"):
            return self.member()
        ops: list[Token] = []
        while self.peek().kind == token.kind:
            ops.append(self.next())
        if (
            token.kind == "-"
            and self.peek().kind in ("int", "double")
            and not self._postfix_follows()
        ):
            # -9223372036854775808 is a literal, not the negation of one that overflows.
            number = self.next()
            last = ops.pop()
            value = -number.value
            if number.kind == "int" and value < INT64_MIN:
                raise self.error("integer literal out of range", number)
            operand: Node = self.mark(ast.Literal(self.span(last), value), last.offset)
        else:
            operand = self.member()
        function = "!_" if token.kind == "!" else "-_"
        for op in reversed(ops):
            operand = self.mark(ast.Call(self.span(op), function, (operand,)), op.offset)
        return operand

    def _postfix_follows(self) -> bool:
        return self.peek(1).kind in (".", ".?", "[", "[?")

    def member(self) -> Node:
        start = self.peek().offset
        node = self.primary()
        while True:
            token = self.peek()
            if token.kind in (".", ".?"):
                self.next()
                name = self.accept("quoted") or self.expect("ident")
                if name.kind == "quoted":
                    field = ast.Select(
                        self.span(token), node, name.value, optional=token.kind == ".?"
                    )
                    self.field_starts[field] = name.offset
                    node = self.mark(field, start)
                    continue
                if token.kind == "." and self.peek().kind == "(":
                    args = self.arguments()
                    node = self.mark(self.call(name, name.value, args, node), start)
                    continue
                if name.value in _KEYWORDS:
                    raise self.error(f"{name.value!r} is a keyword, not a field name", name)
                field = ast.Select(self.span(token), node, name.value, optional=token.kind == ".?")
                self.field_starts[field] = name.offset
                node = self.mark(field, start)
            elif token.kind in ("[", "[?"):
                self.next()
                index = self.expression()
                self.expect("]")
                function = "_[?_]" if token.kind == "[?" else "_[_]"
                node = self.mark(ast.Call(self.span(token), function, (node, index)), start)
            else:
                return node

    def primary(self) -> Node:
        token = self.peek()
        kind = token.kind
        span = self.span(token)
        if kind in ("int", "uint", "double", "string", "bytes"):
            self.next()
            if kind == "int" and token.value > 2**63 - 1:
                raise self.error("integer literal out of range", token)
            value = Uint(token.value) if kind == "uint" else token.value
            return self.mark(ast.Literal(span, value), token.offset)
        if kind == "ident" or kind == ".":
            return self.name_or_call()
        if kind == "(":
            self.next()
            inner = self.expression()
            self.expect(")")
            return inner
        if kind in ("[", "[?"):
            return self.list_literal()
        if kind == "{":
            return self.map_literal()
        raise self.error(f"unexpected {_describe(token)}", token)

    def name_or_call(self) -> Node:
        first = self.peek()
        leading_dot = self.accept(".") is not None
        token = self.expect("ident")
        word = token.value
        span = self.span(first)
        if not leading_dot and word in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[word]
            return self.mark(ast.Literal(span, value), first.offset)
        if word in _KEYWORDS:
            raise self.error(f"{word!r} is a keyword", token)
        if word in RESERVED:
            raise self.error(f"{word!r} is a reserved word", token)
        if self.peek().kind == "(":
            args = self.arguments()
            call = self.call(token, ("." if leading_dot else "") + word, args, None)
            return self.mark(call, first.offset)
        name = ("." if leading_dot else "") + word
        if self.peek().kind == "{" and self._message_follows():
            return self.mark(self.message_literal(span, name), first.offset)
        # A qualified message name: a.b.C{...}
        if self.peek().kind == "." and self._qualified_message_follows():
            parts = [name]
            while self.accept(".") is not None:
                parts.append(self.expect("ident").value)
            return self.mark(self.message_literal(span, ".".join(parts)), first.offset)
        return self.mark(ast.Ident(span, name), first.offset)

    def _message_follows(self) -> bool:
        """``Name{`` can only be a message construction (no other rule puts ``{`` there)."""
        return self.peek().kind == "{"

    def _qualified_message_follows(self) -> bool:
        ahead = 0
        while self.peek(ahead).kind == "." and self.peek(ahead + 1).kind == "ident":
            ahead += 2
        return ahead > 0 and self.peek(ahead).kind == "{"

    def arguments(self) -> list[Node]:
        self.expect("(")
        args: list[Node] = []
        if self.accept(")") is not None:
            return args
        while True:
            args.append(self.expression())
            if self.accept(")") is not None:
                return args
            self.expect(",")

    def call(self, token: Token, name: str, args: list[Node], target: Node | None) -> Node:
        span = self.span(token)
        expanded = expand_macro(span, name, tuple(args), target, self.source)
        if expanded is not None:
            self.macros[expanded] = (name, target, tuple(args))
            return expanded
        return ast.Call(span, name, tuple(args), target)

    def list_literal(self) -> Node:
        open_token = self.next()
        elements: list[Node] = []
        optional: set[int] = set()
        first_optional = open_token.kind == "[?"  # the lexer read "[?x" as one token
        while self.peek().kind != "]" or first_optional:
            if first_optional or self.accept("?") is not None:
                first_optional = False
                optional.add(len(elements))
            elements.append(self.expression())
            if self.accept(",") is None:
                break
        self.expect("]")
        node = ast.ListExpr(self.span(open_token), tuple(elements), frozenset(optional))
        return self.mark(node, open_token.offset)

    def map_literal(self) -> Node:
        open_token = self.expect("{")
        entries: list[ast.MapEntry] = []
        while self.peek().kind != "}":
            start = self.peek()
            optional = self.accept("?") is not None
            key = self.expression()
            self.expect(":")
            value = self.expression()
            entries.append(ast.MapEntry(self.span(start), key, value, optional))
            if self.accept(",") is None:
                break
        self.expect("}")
        return self.mark(ast.MapExpr(self.span(open_token), tuple(entries)), open_token.offset)

    def message_literal(self, span: Span, name: str) -> Node:
        self.expect("{")
        fields: list[ast.FieldInit] = []
        while self.peek().kind != "}":
            start = self.peek()
            optional = self.accept("?") is not None
            field = self.accept("quoted") or self.expect("ident")
            self.expect(":")
            value = self.expression()
            fields.append(ast.FieldInit(self.span(start), field.value, value, optional))
            if self.accept(",") is None:
                break
        self.expect("}")
        return ast.MessageExpr(span, name, tuple(fields))


def _balance(
    function: str,
    terms: list[Node],
    spans: list[Span],
    bounds: list[tuple[int, int]],
    extents: dict[Node, tuple[int, int]],
    chains: set[Node],
) -> Node:
    """A balanced tree of ``function`` over ``terms`` (cel-go's balancing of && and ||);
    each node made is recorded in ``extents`` (from its first term to its last, as
    ``bounds`` give them) and in ``chains``."""
    if len(terms) == 1:
        return terms[0]
    mid = len(terms) // 2
    left = _balance(function, terms[:mid], spans[: mid - 1], bounds[:mid], extents, chains)
    right = _balance(function, terms[mid:], spans[mid:], bounds[mid:], extents, chains)
    node = ast.Call(spans[mid - 1], function, (left, right))
    extents[node] = (bounds[0][0], bounds[-1][1])
    chains.add(node)
    return node


def _describe(token: Token) -> str:
    if token.kind == "eof":
        return "end of expression"
    if token.kind == "ident":
        return f"{token.value!r}"
    if token.kind in ("int", "uint", "double", "string", "bytes"):
        return f"{token.kind} literal"
    return repr(token.kind)
