"""Rule messages with ``{CEL}`` placeholders, compiled once with the policy.

``{expr}`` is replaced by the value of the CEL expression; ``{{`` and ``}}`` are
literal braces. A placeholder may itself contain braces (a CEL map literal) or
quoted strings with braces; the scanner keeps track of both.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .timestamps import format_timestamp


class TemplateSyntaxError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Placeholder:
    text: str
    offset: int  # index in the template of the first character of the expression


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


def format_value(value: Any) -> str:
    """How a CEL value reads inside a message: numbers short, timestamps RFC 3339."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    if isinstance(value, _dt.timedelta):
        seconds = value.total_seconds()
        return f"{format_value(seconds)}s"
    return json.dumps(value, default=str, ensure_ascii=False, separators=(", ", ": "))


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
