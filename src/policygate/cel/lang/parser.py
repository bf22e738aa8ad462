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
    tokens = tokenize(source)
    try:  # most texts nest a few levels: no need to look at the stack first
        parser = _Parser(source, tokens)
        node = parser.expression()
        parser.expect("eof")
    except RecursionError:  # a deep one: read again with room (the reading changes nothing)
        with stack_room(MAX_NESTING * 12):
            parser = _Parser(source, tokens)
            node = parser.expression()
            parser.expect("eof")
    depth = tree_depth(node)
    if depth > MAX_DEPTH:
        raise source.error(f"expression nests {depth} deep; the limit is {MAX_DEPTH}", 0)
    return Parsed(
        node, parser.extents, parser.field_starts, parser.macros, frozenset(parser.chains)
    )


def tree_depth(root: Node) -> int:
    """The depth of the tree under ``root``, measured without recursion (level by
    level). The last tree measured is remembered: a compile asks it of one tree
    more than once (a tree is frozen, and kept alive here, so its depth stays)."""
    last = _last_depth[0]  # one tuple, replaced whole: safe across threads
    if last[0] is root:
        return last[1]
    depth = 0
    level: list[Node] = [root]
    select, call, ident, literal = ast.Select, ast.Call, ast.Ident, ast.Literal
    children = ast.children
    while level:
        depth += 1
        below: list[Node] = []
        for node in level:
            kind = type(node)
            if kind is select:
                below.append(node.operand)  # type: ignore[attr-defined]
            elif kind is call:
                if node.target is not None:  # type: ignore[attr-defined]
                    below.append(node.target)  # type: ignore[attr-defined]
                below += node.args  # type: ignore[attr-defined]
            elif kind is not ident and kind is not literal:
                below += children(node)
        level = below
    _last_depth[0] = (root, depth)
    return depth


_last_depth: list[tuple[Node | None, int]] = [(None, 0)]

#: Binary operators: precedence (``||`` loosest) and function.
_BINARY: dict[str, tuple[int, str]] = {
    "||": (1, "_||_"),
    "&&": (2, "_&&_"),
    **{kind: (3, function) for kind, function in _RELATIONS.items()},
    **{kind: (4, function) for kind, function in _ADDITIVE.items()},
    **{kind: (5, function) for kind, function in _MULTIPLICATIVE.items()},
}
_IN = (3, "@in")
_LITERALS = frozenset({"int", "uint", "double", "string", "bytes"})
_CONSTANTS = {"true": True, "false": False, "null": None}


class _Parser:
    """Precedence climbing over the binary operators (one call per operand, not one
    per level), tokens as tuples ``(kind, value, offset, end)``."""

    def __init__(self, source: Source, tokens: list[Token]) -> None:
        self.source = source
        self.span = source.span
        # No "{" in the text: no message construction, so a name followed by "." is
        # a name (a string's "{" only costs the general path)
        self.braces = "{" in source.text
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
        if not ahead:
            return self.tokens[self.pos]
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.tokens[self.pos]
        if token[0] != "eof":
            self.pos += 1
            self.last_end = token[3]
        return token

    def mark(self, node: Node, start: int) -> Node:
        """Record that ``node`` was read from ``start`` to the last token consumed
        (the first record stands: a parenthesized node keeps its inner extent)."""
        if node not in self.extents:
            self.extents[node] = (start, self.last_end)
        return node

    def accept(self, kind: str) -> Token | None:
        token = self.tokens[self.pos]
        if token[0] == kind:
            if kind != "eof":
                self.pos += 1
                self.last_end = token[3]
            return token
        return None

    def expect(self, kind: str) -> Token:
        token = self.tokens[self.pos]
        if token[0] != kind:
            want = "end of expression" if kind == "eof" else repr(kind)
            raise self.error(f"expected {want}, found {_describe(token)}", token)
        if kind != "eof":
            self.pos += 1
            self.last_end = token[3]
        return token

    def error(self, message: str, token: Token) -> CELSyntaxError:
        return self.source.error(message, token[2])

    # -- grammar --------------------------------------------------------------

    def expression(self) -> Node:
        """Expr = ConditionalOr ["?" ConditionalOr ":" Expr]."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"expression nests deeper than {MAX_NESTING}", self.peek())
        try:
            start = self.tokens[self.pos][2]
            condition = self.binary(1)
            question = self.tokens[self.pos]
            if question[0] != "?":
                return condition
            self.pos += 1
            self.last_end = question[3]
            then = self.binary(1)
            self.expect(":")
            otherwise = self.expression()
            node = ast.Call(self.span(question[2]), "_?_:_", (condition, then, otherwise))
            self.extents[node] = (start, self.last_end)
            return node
        finally:
            self.nesting -= 1

    def binary(self, least: int) -> Node:
        """The operators of precedence ``least`` and tighter, left to right; a chain
        of ``&&`` (or ``||``) is balanced (:func:`_balance`)."""
        tokens = self.tokens
        token = tokens[self.pos]
        start = token[2]
        left = self.unary() if token[0] == "!" or token[0] == "-" else self.member()
        while True:
            token = tokens[self.pos]
            found = _BINARY.get(token[0])
            if found is None:
                if token[0] != "ident" or token[1] != "in":
                    return left
                found = _IN
            precedence, function = found
            if precedence < least:
                return left
            if precedence <= 2:
                left = self.logical(left, start, token[0], function, precedence)
                continue
            self.pos += 1
            self.last_end = token[3]
            right = self.binary(precedence + 1)
            left = ast.Call(self.span(token[2]), function, (left, right))
            self.extents[left] = (start, self.last_end)

    def logical(self, first: Node, start: int, op: str, function: str, precedence: int) -> Node:
        """A chain of ``op`` from its ``first`` term (read from ``start``), balanced."""
        tokens = self.tokens
        terms: list[Node] = [first]
        bounds = [(start, self.last_end)]
        spans: list[Span] = []
        while (token := tokens[self.pos])[0] == op:
            self.pos += 1
            self.last_end = token[3]
            spans.append(self.span(token[2]))
            term_start = tokens[self.pos][2]
            terms.append(self.binary(precedence + 1))
            bounds.append((term_start, self.last_end))
        root = _balance(function, terms, spans, bounds, self.extents, self.chains)
        self.chains.discard(root)
        return root

    def unary(self) -> Node:
        """Unary = Member | "!" {"!"} Member | "-" {"-"} Member."""
        token = self.tokens[self.pos]
        kind = token[0]
        if kind != "!" and kind != "-":
            return self.member()
        ops: list[Token] = []
        while self.tokens[self.pos][0] == kind:
            ops.append(self.next())
        if len(ops) % 2 == 0:
            # As cel-go's and cel-cpp's parsers: an even run of ! or - is dropped
            # (!!x is x, --'a' is 'a'), an odd one is one operator.
            return self.member()
        op = ops[0]
        if (
            kind == "-"
            and len(ops) == 1  # (---9223372036854775808 negates an out-of-range literal)
            and self.peek()[0] in ("int", "double")
            and self.peek(1)[0] not in (".", ".?", "[", "[?")
        ):
            # -9223372036854775808 is a literal, not the negation of one that overflows.
            number = self.next()
            value = -number[1]
            if number[0] == "int" and value < INT64_MIN:
                raise self.error("integer literal out of range", number)
            return self.mark(ast.Literal(self.span(op[2]), value), op[2])
        operand = self.member()
        function = "!_" if kind == "!" else "-_"
        return self.mark(ast.Call(self.span(op[2]), function, (operand,)), op[2])

    def member(self) -> Node:
        tokens = self.tokens
        token = tokens[self.pos]
        start = token[2]
        if token[0] == "ident" and self._plain_name(tokens[self.pos + 1][0]):
            # a plain name (the most frequent primary): name_or_call's one outcome
            word = token[1]
            self.pos += 1
            self.last_end = token[3]
            if word in _KEYWORDS:
                if word in _CONSTANTS:
                    node: Node = ast.Literal(self.span(start), _CONSTANTS[word])
                    self.extents[node] = (start, self.last_end)
                    return self._postfix(node, start)
                raise self.error(f"{word!r} is a keyword", token)
            if word in RESERVED:
                raise self.error(f"{word!r} is a reserved word", token)
            node = ast.Ident(self.span(start), word)
            self.extents[node] = (start, self.last_end)
        else:
            node = self.primary()
        return self._postfix(node, start)

    def _plain_name(self, following: str) -> bool:
        """Whether a name followed by a token of kind ``following`` is a plain name
        (not a call, not a message construction ``a.b.C{...}``)."""
        if following == "(":
            return False
        return not self.braces or (following != "{" and following != ".")

    def _postfix(self, node: Node, start: int) -> Node:
        """The selections, calls and indexes after ``node``, read from ``start``."""
        tokens = self.tokens
        while True:
            token = tokens[self.pos]
            kind = token[0]
            if kind == "." or kind == ".?":
                self.pos += 1
                self.last_end = token[3]
                name = tokens[self.pos]
                if name[0] == "quoted":
                    self.pos += 1
                    self.last_end = name[3]
                    field = ast.Select(self.span(token[2]), node, name[1], optional=kind == ".?")
                    self.field_starts[field] = name[2]
                    self.extents[field] = (start, self.last_end)
                    node = field
                    continue
                name = self.expect("ident")
                if kind == "." and tokens[self.pos][0] == "(":
                    args = self.arguments()
                    node = self.mark(self.call(name, name[1], args, node), start)
                    continue
                if name[1] in _KEYWORDS:
                    raise self.error(f"{name[1]!r} is a keyword, not a field name", name)
                field = ast.Select(self.span(token[2]), node, name[1], False, kind == ".?")
                self.field_starts[field] = name[2]
                self.extents[field] = (start, self.last_end)
                node = field
            elif kind == "[" or kind == "[?":
                self.pos += 1
                self.last_end = token[3]
                index = self.expression()
                self.expect("]")
                function = "_[?_]" if kind == "[?" else "_[_]"
                node = ast.Call(self.span(token[2]), function, (node, index))
                self.extents[node] = (start, self.last_end)
            else:
                return node

    def primary(self) -> Node:
        token = self.tokens[self.pos]
        kind = token[0]
        if kind in _LITERALS:
            self.next()
            if kind == "int" and token[1] > 2**63 - 1:
                raise self.error("integer literal out of range", token)
            value = Uint(token[1]) if kind == "uint" else token[1]
            return self.mark(ast.Literal(self.span(token[2]), value), token[2])
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
        first = self.tokens[self.pos]
        leading_dot = self.accept(".") is not None
        token = self.expect("ident")
        word = token[1]
        span = self.span(first[2])
        if not leading_dot and word in _CONSTANTS:
            return self.mark(ast.Literal(span, _CONSTANTS[word]), first[2])
        if word in _KEYWORDS:
            raise self.error(f"{word!r} is a keyword", token)
        if word in RESERVED:
            raise self.error(f"{word!r} is a reserved word", token)
        if self.tokens[self.pos][0] == "(":
            args = self.arguments()
            call = self.call(token, ("." if leading_dot else "") + word, args, None)
            return self.mark(call, first[2])
        name = ("." if leading_dot else "") + word
        if self.peek()[0] == "{":
            # ``Name{`` can only be a message construction (no other rule puts ``{`` there)
            return self.mark(self.message_literal(span, name), first[2])
        # A qualified message name: a.b.C{...}
        if self.peek()[0] == "." and self._qualified_message_follows():
            parts = [name]
            while self.accept(".") is not None:
                parts.append(self.expect("ident")[1])
            return self.mark(self.message_literal(span, ".".join(parts)), first[2])
        return self.mark(ast.Ident(span, name), first[2])

    def _qualified_message_follows(self) -> bool:
        ahead = 0
        while self.peek(ahead)[0] == "." and self.peek(ahead + 1)[0] == "ident":
            ahead += 2
        return ahead > 0 and self.peek(ahead)[0] == "{"

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
        span = self.span(token[2])
        arguments = tuple(args)
        expanded = expand_macro(span, name, arguments, target, self.source)
        if expanded is not None:
            self.macros[expanded] = (name, target, arguments)
            return expanded
        return ast.Call(span, name, arguments, target)

    def list_literal(self) -> Node:
        open_token = self.next()
        elements: list[Node] = []
        optional: set[int] = set()
        first_optional = open_token[0] == "[?"  # the lexer read "[?x" as one token
        while self.peek()[0] != "]" or first_optional:
            if first_optional or self.accept("?") is not None:
                first_optional = False
                optional.add(len(elements))
            elements.append(self.expression())
            if self.accept(",") is None:
                break
        self.expect("]")
        node = ast.ListExpr(self.span(open_token[2]), tuple(elements), frozenset(optional))
        return self.mark(node, open_token[2])

    def map_literal(self) -> Node:
        open_token = self.expect("{")
        entries: list[ast.MapEntry] = []
        while self.peek()[0] != "}":
            start = self.peek()
            optional = self.accept("?") is not None
            key = self.expression()
            self.expect(":")
            value = self.expression()
            entries.append(ast.MapEntry(self.span(start[2]), key, value, optional))
            if self.accept(",") is None:
                break
        self.expect("}")
        node = ast.MapExpr(self.span(open_token[2]), tuple(entries))
        return self.mark(node, open_token[2])

    def message_literal(self, span: Span, name: str) -> Node:
        self.expect("{")
        fields: list[ast.FieldInit] = []
        while self.peek()[0] != "}":
            start = self.peek()
            optional = self.accept("?") is not None
            field = self.accept("quoted") or self.expect("ident")
            self.expect(":")
            value = self.expression()
            fields.append(ast.FieldInit(self.span(start[2]), field[1], value, optional))
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
    kind = token[0]
    if kind == "eof":
        return "end of expression"
    if kind == "ident":
        return f"{token[1]!r}"
    if kind in _LITERALS:
        return f"{kind} literal"
    return repr(kind)
