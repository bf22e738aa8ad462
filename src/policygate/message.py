"""Rule messages with ``{CEL}`` placeholders, compiled once with the policy.

``{expr}`` is replaced by the value of the CEL expression; ``{{`` and ``}}`` are
literal braces. A placeholder may itself contain braces (a CEL map literal) or
quoted strings with braces; the scanner keeps track of both.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from typing import Any

from .timestamps import format_timestamp


class TemplateSyntaxError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class Placeholder:
    """One ``{expression}`` of a template (a plain class, not a dataclass: it is made
    at import on every cold start); immutable, equal and hashed by its fields."""

    __slots__ = ("text", "offset")
    text: str
    offset: int  # index in the template of the first character of the expression

    def __init__(self, text: str, offset: int) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "offset", offset)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Placeholder:
            return NotImplemented
        assert isinstance(other, Placeholder)
        return (self.text, self.offset) == (other.text, other.offset)

    def __hash__(self) -> int:
        return hash((self.text, self.offset))

    def __repr__(self) -> str:
        return f"Placeholder(text={self.text!r}, offset={self.offset!r})"

    def __reduce__(self) -> tuple[type[Placeholder], tuple[str, int]]:  # pickle, copy
        return Placeholder, (self.text, self.offset)


def split_template(template: str) -> list[str | Placeholder]:
    """Literal text and placeholders, in order."""
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        ch = template[i]
        if ch == "{" and template.startswith("{{", i):
            literal.append("{")
            i += 2
        elif ch == "}" and template.startswith("}}", i):
            literal.append("}")
            i += 2
        elif ch == "{":
            end = _closing_brace(template, i + 1)
            expr = template[i + 1 : end]
            if not expr.strip():
                raise TemplateSyntaxError("empty placeholder {}", i)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Placeholder(expr.strip(), i + 1 + (len(expr) - len(expr.lstrip()))))
            i = end + 1
        elif ch == "}":
            raise TemplateSyntaxError("unmatched '}' (write '}}' for a literal brace)", i)
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _closing_brace(template: str, start: int) -> int:
    depth = 0
    quote: str | None = None
    i = start
    while i < len(template):
        ch = template[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise TemplateSyntaxError("unclosed '{' in message (write '{{' for a literal brace)", start - 1)


PLACEHOLDER_CHARACTERS = 1_000
"""The most characters one placeholder writes into a failure's message. Its value
comes from the record, and a ``for_each`` rule renders its message once per item:
``{model.spec.description}`` in the message of a rule over a list of 20,000 items
would otherwise repeat a megabyte-long field 20,000 times (gigabytes of report)."""

_PREVIEW_ELEMENTS = 200  # of a list or map, in all, before the rest is written "…"


def placeholder_text(value: Any, to_python: Callable[[Any], Any]) -> str:
    """``format_value(to_python(value))``, bounded: at most
    :data:`PLACEHOLDER_CHARACTERS` characters (then ``…``), and a list or map read
    only as far as its first :data:`_PREVIEW_ELEMENTS` elements, so that the work
    is bounded too, whatever the value's size."""
    if type(value) is str:
        return shortened(value)
    if type(value) in (list, tuple, dict):
        value = preview(value, _PREVIEW_ELEMENTS)
    return shortened(format_value(to_python(value)))


def shortened(text: str, characters: int = PLACEHOLDER_CHARACTERS) -> str:
    """``text`` cut to ``characters`` characters, saying so."""
    if len(text) <= characters:
        return text
    return f"{text[:characters]}… ({len(text):,} characters in all)"


def preview(value: Any, elements: int, characters: int = PLACEHOLDER_CHARACTERS) -> Any:
    """``value`` with at most ``elements`` list and map elements in all (then a
    ``"…"`` element or key) and each string of more than ``characters`` cut
    (:func:`shortened`): what a bounded rendering of it reads, in bounded time."""
    return _preview(value, [elements], characters)


def _preview(value: Any, room: list[int], characters: int) -> Any:
    kind = type(value)
    if kind is str:
        return value if len(value) <= characters else shortened(value, characters)
    if kind is list or kind is tuple:
        elements: list[Any] = []
        for element in value:
            if room[0] <= 0:
                elements.append("…")
                break
            room[0] -= 1
            elements.append(_preview(element, room, characters))
        return elements
    if kind is dict:
        entries: dict[Any, Any] = {}
        for key, element in value.items():
            if room[0] <= 0:
                entries["…"] = "…"
                break
            room[0] -= 1
            entries[key] = _preview(element, room, characters)
        return entries
    return value


def format_value(value: Any) -> str:
    """How a CEL value reads inside a message: numbers short, timestamps RFC 3339.

    Lists and maps read as JSON whose elements follow the same rules, so a YAML
    ``[1, 2]`` (doubles inside CEL) reads ``[1, 2]``, not ``[1.0, 2.0]``.
    """
    kind = type(value)
    if kind is str:
        return value
    if kind is float:  # (what _plain, then the lines below, make of one)
        if value.is_integer() and abs(value) < 1e15:
            return repr(int(value))
        return repr(value)  # finite, or nan, inf, -inf as _plain writes them
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_plain(value), ensure_ascii=False, separators=(", ", ": "))
    plain = _plain(value)
    if isinstance(plain, str):
        return plain
    kind = type(plain)
    if kind is float or kind is int:  # as json.dumps writes them (finite: see _plain)
        return repr(plain)
    return json.dumps(plain, ensure_ascii=False)


def _plain(value: Any) -> Any:
    """JSON-ready data with the message rules applied to every scalar."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    if isinstance(value, _dt.timedelta):
        return f"{format_value(value.total_seconds())}s"
    if isinstance(value, dict):  # keys sorted: a backend may not keep a map's order
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def render_template(
    parts: list[str | Placeholder], value_of: Callable[[int], str]
) -> str:
    """Join literal parts and the formatted value of each placeholder (by position)."""
    out: list[str] = []
    index = 0
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            out.append(value_of(index))
            index += 1
    return "".join(out)
