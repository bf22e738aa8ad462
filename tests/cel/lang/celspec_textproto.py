"""A reader for the protobuf text format subset of cel-spec's conformance files.

No cel.expr descriptors ship in an installed package, so the files are read
into plain structures: a message is a dict from field name to the list of its
values (every field may repeat), a value is a ``str`` (strings decoded,
adjacent strings joined), an ``int``/``float``, an enum name (an ``Enum``), or
a nested dict. ``[type.googleapis.com/...] { ... }`` (an Any's payload) is a
field named by its bracketed URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Message = dict[str, list[Any]]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fF]?)
  | (?P<name>\[[^\]]*\]|-?[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[{}:<>,;\[\]])
    """,
    re.VERBOSE,
)

_ESCAPES = {
    "n": 0x0A,
    "t": 0x09,
    "r": 0x0D,
    "a": 0x07,
    "b": 0x08,
    "f": 0x0C,
    "v": 0x0B,
    "\\": 0x5C,
    "'": 0x27,
    '"': 0x22,
    "?": 0x3F,
}


@dataclass(frozen=True)
class Enum:
    """An enum value written by name (``NULL_VALUE``, ``INT64``)."""

    name: str


def _unescape(body: str) -> bytes:
    """C-style escapes of a text-format string, as the bytes they denote."""
    out = bytearray()
    i = 0
    raw = body.encode("utf-8")
    while i < len(raw):
        c = raw[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        code = chr(raw[i + 1])
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code in "xX":
            j = i + 2
            while j < len(raw) and j < i + 4 and chr(raw[j]) in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(raw[i + 2 : j], 16))
            i = j
        elif code in "01234567":
            j = i + 1
            while j < len(raw) and j < i + 4 and chr(raw[j]) in "01234567":
                j += 1
            out.append(int(raw[i + 1 : j], 8) & 0xFF)
            i = j
        elif code == "u":
            out += chr(int(raw[i + 2 : i + 6], 16)).encode("utf-8", "surrogatepass")
            i += 6
        elif code == "U":
            out += chr(int(raw[i + 2 : i + 10], 16)).encode("utf-8", "surrogatepass")
            i += 10
        else:
            raise ValueError(f"unknown escape \\{code}")
    return bytes(out)


class StringValue(bytes):
    """A text-format string: its bytes (a ``bytes_value``) or its text (``.text``)."""

    @property
    def text(self) -> str:
        return self.decode("utf-8")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None:
            raise ValueError(f"cannot read text proto at {text[pos : pos + 40]!r}")
        pos = found.end()
        kind = found.lastgroup
        assert kind is not None
        if kind != "ws":
            out.append((kind, found.group()))
    return out


def parse(text: str) -> Message:
    """The message a text-format file holds."""
    tokens = _tokens(text)
    message, pos = _message(tokens, 0, None)
    return message


def _message(tokens: list[tuple[str, str]], pos: int, close: str | None) -> tuple[Message, int]:
    fields: Message = {}
    while pos < len(tokens):
        kind, word = tokens[pos]
        if close is not None and word == close:
            return fields, pos + 1
        if kind != "name":
            raise ValueError(f"expected a field name, found {word!r}")
        name = word
        pos += 1
        if tokens[pos][1] == ":":
            pos += 1
        word = tokens[pos][1]
        if word in ("{", "<"):
            value, pos = _message(tokens, pos + 1, "}" if word == "{" else ">")
            fields.setdefault(name, []).append(value)
        elif word == "[":  # a list of scalars: [1, 2]
            pos += 1
            while tokens[pos][1] != "]":
                item, pos = _scalar(tokens, pos)
                fields.setdefault(name, []).append(item)
                if tokens[pos][1] == ",":
                    pos += 1
            pos += 1
        else:
            value, pos = _scalar(tokens, pos)
            fields.setdefault(name, []).append(value)
        if pos < len(tokens) and tokens[pos][1] in (",", ";"):
            pos += 1
    if close is not None:
        raise ValueError("unterminated message")
    return fields, pos


def _scalar(tokens: list[tuple[str, str]], pos: int) -> tuple[Any, int]:
    kind, word = tokens[pos]
    if kind == "string":
        data = bytearray()
        while pos < len(tokens) and tokens[pos][0] == "string":
            data += _unescape(tokens[pos][1][1:-1])
            pos += 1
        return StringValue(bytes(data)), pos
    if kind == "number":
        body = word.rstrip("fF") if not word.lower().startswith(("0x", "-0x")) else word
        if re.fullmatch(r"-?(0[xX][0-9a-fA-F]+|\d+)", body):
            return int(body, 0), pos + 1
        return float(body), pos + 1
    if kind == "name":
        if word in ("true", "True"):
            return True, pos + 1
        if word in ("false", "False"):
            return False, pos + 1
        if word.lower() in ("inf", "infinity", "-inf", "-infinity", "nan"):
            return float(word), pos + 1
        return Enum(word), pos + 1
    raise ValueError(f"unexpected {word!r}")
