"""CEL's lexis (langdef.md, "Syntax"): tokens with their offsets.

Escapes are decoded here, once, so the parser sees a literal's value; an
invalid escape, a surrogate code point or an unterminated string is a syntax
error at the offending character.
"""

from __future__ import annotations

import bisect
from typing import Any

from policygate.cel.lang.ast import Span
from policygate.cel.lang.errors import CELSyntaxError

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
_PUNCT2_OR_COMMENT = _PUNCT2 | {"//"}
_PUNCT_START = _PUNCT1 | frozenset("=&|")  # every first character of a punctuation
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


#: A token: ``(kind, value, offset, end)``. ``kind`` is ``int``, ``uint``, ``double``,
#: ``string``, ``bytes``, ``ident``, ``quoted``, ``eof`` or the punctuation itself;
#: ``value`` the decoded literal or name; ``end`` the offset just after the token.
#: A tuple (no object per token): the parser reads tokens, never changes them.
Token = tuple[str, Any, int, int]

#: Kinds after which ``.5`` is a selection, not a number.
_OPERAND_ENDS = frozenset(
    ["ident", "quoted", "int", "uint", "double", "string", "bytes", ")", "]", "}"]
)


#: The span of each offset of a one-line text, shared by every text (a span is
#: frozen and compares by value): a policy's expressions start alike.
_FLAT_SPANS: dict[int, Span] = {}
_FLAT_SHARED = 4096


class Source:
    """The text being read, with the line table that turns an offset into a span."""

    __slots__ = ("text", "_line_starts")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        if "\n" in text:
            at = text.find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = text.find("\n", at + 1)
        self._line_starts = starts

    def span(self, offset: int) -> Span:
        starts = self._line_starts
        if len(starts) == 1:  # one line: most expressions, their spans shared
            found = _FLAT_SPANS.get(offset)
            if found is None:
                found = Span(offset, 1, offset + 1)
                if offset < _FLAT_SHARED:
                    _FLAT_SPANS[offset] = found
            return found
        line = bisect.bisect_right(starts, offset)
        return Span(offset, line, offset - starts[line - 1] + 1)

    def error(self, message: str, offset: int) -> CELSyntaxError:
        span = self.span(offset)
        return CELSyntaxError(message, offset, span.line, span.column)


def tokenize(source: Source) -> list[Token]:
    """Every token of ``source``, ending with an ``eof`` token."""
    text = source.text
    n = len(text)
    i = 0
    out: list[Token] = []
    append = out.append
    ident_start = _IDENT_START
    ident_rest = _IDENT_REST
    punct_start = _PUNCT_START
    punct2 = _PUNCT2_OR_COMMENT
    while i < n:
        ch = text[i]
        if ch == " ":
            i += 1
            continue
        start = i
        if ch in ident_start:
            i += 1
            while i < n and text[i] in ident_rest:
                i += 1
            word = text[start:i]
            if i < n and text[i] in "'\"" and word.lower() in _STRING_PREFIXES:
                i = _read_string(source, start, i, word.lower(), out)
                continue
            append(("ident", word, start, i))
            continue
        if ch in punct_start:
            two = text[i : i + 2]
            if two in punct2:
                if two != "//":
                    append((two, two, start, start + 2))
                    i += 2
                    continue
                end = text.find("\n", i)  # a comment, to the end of its line
                i = n if end < 0 else end + 1
                continue
            if (
                ch == "."
                and i + 1 < n
                and text[i + 1] in _DIGITS
                and (not out or out[-1][0] not in _OPERAND_ENDS)
            ):
                i = _read_number(source, i, out)
                continue
            if ch in _PUNCT1:
                append((ch, ch, start, start + 1))
                i += 1
                continue
            raise source.error(f"unexpected character {ch!r}", start)
        if ch in _DIGITS:
            i = _read_number(source, i, out)
            continue
        if ch in "\t\n\r\f":
            i += 1
            continue
        if ch in "'\"":
            i = _read_string(source, start, i, "", out)
            continue
        if ch == "`":
            i = _read_quoted_ident(source, i, out)
            continue
        raise source.error(f"unexpected character {ch!r}", start)
    append(("eof", None, n, n))
    return out


#: As langdef.md: BYTES_LIT ::= [bB] STRING_LIT and STRING_LIT ::= [rR]? ...: "br", not "rb".
_STRING_PREFIXES = frozenset(["r", "b", "br"])
_QUOTED_IDENT = _IDENT_REST | frozenset("./- ")


def _read_quoted_ident(source: Source, i: int, out: list[Token]) -> int:
    """A backtick-quoted field name (cel-go: ``a.`content-type```): letters, digits, ``_.-/ ``."""
    text = source.text
    end = i + 1
    while end < len(text) and text[end] in _QUOTED_IDENT:
        end += 1
    if end >= len(text) or text[end] != "`" or end == i + 1:
        raise source.error("invalid quoted field name", i)
    out.append(("quoted", text[i + 1 : end], i, end + 1))
    return end + 1


def _read_number(source: Source, i: int, out: list[Token]) -> int:
    text = source.text
    n = len(text)
    start = i
    if text.startswith("0x", i):  # INT_LIT ::= 0x HEXDIGIT+ (0X is 0 and a name X)
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
        out.append(("double", float(text[start:i]), start, i))
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
        out.append(("uint", value, start, i + 1))
        return i + 1
    out.append(("int", value, start, i))
    return i


def _read_string(source: Source, start: int, i: int, prefix: str, out: list[Token]) -> int:
    """Read the string literal whose quote is at ``i``; return the offset after it."""
    text = source.text
    raw = "r" in prefix
    is_bytes = "b" in prefix
    quote = text[i]
    delim = quote * 3 if text.startswith(quote * 3, i) else quote
    i += len(delim)
    if not prefix and len(delim) == 1:  # the usual 'text': no escape, no newline
        close = text.find(quote, i)
        if close >= 0:
            plain = text[i:close]
            if "\\" not in plain and "\n" not in plain and "\r" not in plain:
                out.append(("string", plain, start, close + 1))
                return close + 1
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
        out.append(("bytes", bytes(data), start, i))
    else:
        out.append(("string", "".join(parts), start, i))
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
