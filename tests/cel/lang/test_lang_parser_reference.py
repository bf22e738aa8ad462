"""The lexer, parser and checker as they were before the tuple tokens, the
precedence climbing and the checker's shortcuts (kept verbatim as the reference):
the tokens, trees, source maps and errors of :mod:`policygate.cel.lang.parser`,
and the checked trees and errors of :mod:`policygate.cel.lang.checker`, must be
theirs.

Only the data of the property tests in ``test_lang_parser_equivalence.py``: nothing
here is collected as a test."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Any

from policygate.cel.lang import ast
from policygate.cel.lang.arith import TABLES
from policygate.cel.lang.ast import Node, Span
from policygate.cel.lang.errors import CELCheckError, CELSyntaxError
from policygate.cel.lang.library import FUNCTIONS, OPERATORS, style_error
from policygate.cel.lang.macros import expand_macro
from policygate.cel.lang.stack import stack_room
from policygate.cel.lang.values import INT64_MIN, TYPE_IDENTS, Uint

# ---------------------------------------------------------------- the lexer

#: Words that cannot name a variable or a function (langdef.md: RESERVED).
RESERVED = frozenset(
    [
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ]
)

_PUNCT2 = frozenset({"==", "!=", "<=", ">=", "&&", "||", ".?", "[?"})
_PUNCT1 = frozenset("+-*/%!<>?:.,()[]{}")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "?": "?",
    '"': '"',
    "'": "'",
    "`": "`",
}
_HEX = frozenset("0123456789abcdefABCDEF")
_OCT = frozenset("01234567")
_IDENT_START = frozenset("_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_IDENT_REST = _IDENT_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")


class Token:
    """``kind`` is ``int``, ``uint``, ``double``, ``string``, ``bytes``, ``ident``,
    ``eof`` or the punctuation itself; ``value`` the decoded literal or name.

    A plain class (no dataclass made at import): the parser reads tokens, never
    changes or compares them."""

    __slots__ = ("kind", "value", "offset", "end")

    def __init__(self, kind: str, value: Any, offset: int, end: int) -> None:
        self.kind = kind
        self.value = value
        self.offset = offset
        self.end = end  # the offset just after the token

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.value!r}, {self.offset}, {self.end})"


class Source:
    """The text being read, with the line table that turns an offset into a span."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def span(self, offset: int) -> Span:
        line = bisect.bisect_right(self._line_starts, offset)
        return Span(offset, line, offset - self._line_starts[line - 1] + 1)

    def error(self, message: str, offset: int) -> CELSyntaxError:
        span = self.span(offset)
        return CELSyntaxError(message, offset, span.line, span.column)


def tokenize(source: Source) -> list[Token]:
    """Every token of ``source``, ending with an ``eof`` token."""
    text = source.text
    n = len(text)
    i = 0
    out: list[Token] = []
    while i < n:
        ch = text[i]
        if ch in " \t\n\r\f":
            i += 1
            continue
        if ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        start = i
        if ch in _IDENT_START:
            while i < n and text[i] in _IDENT_REST:
                i += 1
            word = text[start:i]
            if i < n and text[i] in "'\"" and _is_string_prefix(word):
                i = _read_string(source, start, i, word.lower(), out)
                continue
            out.append(Token("ident", word, start, i))
            continue
        if ch in _DIGITS or (
            ch == "." and i + 1 < n and text[i + 1] in _DIGITS and not _ends_operand(out)
        ):
            i = _read_number(source, i, out)
            continue
        if ch in "'\"":
            i = _read_string(source, start, i, "", out)
            continue
        if ch == "`":
            i = _read_quoted_ident(source, i, out)
            continue
        two = text[i : i + 2]
        if two in _PUNCT2:
            out.append(Token(two, two, start, start + 2))
            i += 2
            continue
        if ch in _PUNCT1:
            out.append(Token(ch, ch, start, start + 1))
            i += 1
            continue
        raise source.error(f"unexpected character {ch!r}", start)
    out.append(Token("eof", None, n, n))
    return out


_QUOTED_IDENT = _IDENT_REST | frozenset("./- ")


def _read_quoted_ident(source: Source, i: int, out: list[Token]) -> int:
    """A backtick-quoted field name (cel-go: ``a.`content-type```): letters, digits, ``_.-/ ``."""
    text = source.text
    end = i + 1
    while end < len(text) and text[end] in _QUOTED_IDENT:
        end += 1
    if end >= len(text) or text[end] != "`" or end == i + 1:
        raise source.error("invalid quoted field name", i)
    out.append(Token("quoted", text[i + 1 : end], i, end + 1))
    return end + 1


def _ends_operand(tokens: list[Token]) -> bool:
    return bool(tokens) and tokens[-1].kind in (
        "ident",
        "quoted",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        ")",
        "]",
        "}",
    )


def _is_string_prefix(word: str) -> bool:
    return word.lower() in ("r", "b", "br")


def _read_number(source: Source, i: int, out: list[Token]) -> int:
    text = source.text
    n = len(text)
    start = i
    if text.startswith("0x", i):
        i += 2
        while i < n and text[i] in _HEX:
            i += 1
        if i == start + 2:
            raise source.error("hexadecimal literal without digits", start)
        digits = text[start + 2 : i]
        if len(digits.lstrip("0")) > _MAX_HEX_DIGITS:  # past 64 bits: never converted
            raise source.error("integer literal out of range", start)
        return _finish_int(source, start, i, int(digits, 16), out)
    while i < n and text[i] in _DIGITS:
        i += 1
    is_float = False
    if i + 1 < n and text[i] == "." and text[i + 1] in _DIGITS:
        is_float = True
        i += 1
        while i < n and text[i] in _DIGITS:
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            is_float = True
            i = j
            while i < n and text[i] in _DIGITS:
                i += 1
    if is_float:
        out.append(Token("double", float(text[start:i]), start, i))
        return i
    if i - start - _leading_zeros(text, start, i) > _MAX_DIGITS:  # past 64 bits: never converted
        raise source.error("integer literal out of range", start)
    return _finish_int(source, start, i, int(text[start:i]), out)


#: Digits of the longest 64-bit literal (2**64 - 1): a longer one is out of range
#: whatever it says, and converting 15,000 digits would take Python's int() limit.
_MAX_DIGITS = 20
_MAX_HEX_DIGITS = 16


def _leading_zeros(text: str, start: int, end: int) -> int:
    count = 0
    while start + count < end - 1 and text[start + count] == "0":
        count += 1
    return count


def _finish_int(source: Source, start: int, i: int, value: int, out: list[Token]) -> int:
    text = source.text
    if i < len(text) and text[i] in "uU":
        if value > 2**64 - 1:
            raise source.error("unsigned integer literal out of range", start)
        out.append(Token("uint", value, start, i + 1))
        return i + 1
    out.append(Token("int", value, start, i))
    return i


def _read_string(source: Source, start: int, i: int, prefix: str, out: list[Token]) -> int:
    """Read the string literal whose quote is at ``i``; return the offset after it."""
    text = source.text
    raw = "r" in prefix
    is_bytes = "b" in prefix
    quote = text[i]
    delim = quote * 3 if text.startswith(quote * 3, i) else quote
    i += len(delim)
    parts: list[str] = []
    data = bytearray() if is_bytes else None
    n = len(text)
    while True:
        if i >= n:
            raise source.error("unterminated string literal", start)
        if text.startswith(delim, i):
            i += len(delim)
            break
        ch = text[i]
        if len(delim) == 1 and ch in "\r\n":
            raise source.error("newline in a single-quoted string literal", i)
        if ch == "\\" and not raw:
            i = _read_escape(source, i, parts, data)
            continue
        if data is not None:
            data += ch.encode("utf-8")
        else:
            parts.append(ch)
        i += 1
    if data is not None:
        out.append(Token("bytes", bytes(data), start, i))
    else:
        out.append(Token("string", "".join(parts), start, i))
    return i


def _read_escape(source: Source, i: int, parts: list[str], data: bytearray | None) -> int:
    text = source.text
    if i + 1 >= len(text):
        raise source.error("unterminated escape sequence", i)
    code = text[i + 1]
    if code in _SIMPLE_ESCAPES:
        _emit(_SIMPLE_ESCAPES[code], parts, data)
        return i + 2
    if code in "xX":
        digits = text[i + 2 : i + 4]
        if len(digits) != 2 or not set(digits) <= _HEX:
            raise source.error("invalid \\x escape", i)
        _emit_code(source, i, int(digits, 16), parts, data, octet=True)
        return i + 4
    if code in "uU":
        width = 4 if code == "u" else 8
        digits = text[i + 2 : i + 2 + width]
        if len(digits) != width or not set(digits) <= _HEX:
            raise source.error(f"invalid \\{code} escape", i)
        if data is not None:
            raise source.error(f"\\{code} escape in a bytes literal", i)
        _emit_code(source, i, int(digits, 16), parts, data, octet=False)
        return i + 2 + width
    if code in "0123":
        digits = text[i + 1 : i + 4]
        if len(digits) != 3 or not set(digits) <= _OCT:
            raise source.error("invalid octal escape", i)
        _emit_code(source, i, int(digits, 8), parts, data, octet=True)
        return i + 4
    raise source.error(f"invalid escape sequence \\{code}", i)


def _emit(chars: str, parts: list[str], data: bytearray | None) -> None:
    if data is not None:
        data += chars.encode("utf-8")
    else:
        parts.append(chars)


def _emit_code(
    source: Source, i: int, code: int, parts: list[str], data: bytearray | None, octet: bool
) -> None:
    if data is not None and octet:
        data.append(code)
        return
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise source.error("invalid Unicode code point in escape", i)
    _emit(chr(code), parts, data)


# ---------------------------------------------------------------- the parser

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
        if len(ops) % 2 == 0:  # an even run of ! or - is dropped, as cel-go drops it
            return self.member()
        op = ops[0]
        if (
            token.kind == "-"
            and len(ops) == 1
            and self.peek().kind in ("int", "double")
            and not self._postfix_follows()
        ):
            # -9223372036854775808 is a literal, not the negation of one that overflows.
            number = self.next()
            value = -number.value
            if number.kind == "int" and value < INT64_MIN:
                raise self.error("integer literal out of range", number)
            return self.mark(ast.Literal(self.span(op), value), op.offset)
        operand = self.member()
        function = "!_" if token.kind == "!" else "-_"
        return self.mark(ast.Call(self.span(op), function, (operand,)), op.offset)

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


# ---------------------------------------------------------------- the checker


def check(
    root: Node,
    declared: Iterable[str],
    container: str = "",
    strict: bool = True,
) -> Node:
    """``root`` with its names resolved; raises :class:`CELCheckError` when ``strict``."""
    checker = _Checker(frozenset(declared), container, strict)
    with stack_room(4 * 260):
        return checker.visit(root, frozenset())


_STATIC_TYPES: dict[type, type] = {int: int, Uint: Uint, float: float, str: str, bytes: bytes}
_RELATIONAL = frozenset({"_<_", "_<=_", "_>_", "_>=_"})
_NUMERIC = frozenset({int, Uint, float})
_ORDERED = frozenset({int, Uint, float, str, bytes, bool})


class _Checker:
    def __init__(self, declared: frozenset[str], container: str, strict: bool) -> None:
        self.declared = declared
        self.strict = strict
        parts = container.split(".") if container else []
        self.prefixes = [".".join(parts[:i]) + "." for i in range(len(parts), 0, -1)] + [""]

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
            return ast.ListExpr(node.span, elements, node.optional_indices)
        if isinstance(node, ast.MapExpr):
            entries = tuple(
                ast.MapEntry(
                    e.span, self.visit(e.key, scope), self.visit(e.value, scope), e.optional
                )
                for e in node.entries
            )
            return ast.MapExpr(node.span, entries)
        if isinstance(node, ast.MessageExpr):
            if self.strict:
                raise self.error(f"undeclared message type '{node.type_name}'", node)
            fields = tuple(
                ast.FieldInit(f.span, f.field, self.visit(f.value, scope), f.optional)
                for f in node.fields
            )
            return ast.MessageExpr(node.span, node.type_name, fields)
        if isinstance(node, ast.Comprehension):
            return self.comprehension(node, scope)
        raise AssertionError(f"unknown node {type(node).__name__}")

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
        return ast.Ident(node.span, node.name.lstrip("."))

    def qualified(self, node: Node, scope: frozenset[str]) -> tuple[Node, list[ast.Select]] | None:
        """Split ``a.b.c`` into the longest declared name and the selections after it."""
        chain: list[ast.Select] = []
        cursor = node
        while isinstance(cursor, ast.Select) and not cursor.optional and not cursor.test_only:
            chain.append(cursor)
            cursor = cursor.operand
        if not isinstance(cursor, ast.Ident) or cursor.name in scope or not chain:
            return None
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
        return ast.Select(node.span, operand, node.field, node.test_only, node.optional)

    def call(self, node: ast.Call, scope: frozenset[str]) -> Node:
        function = node.function.lstrip(".")
        target = node.target
        if target is not None:
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
