"""Which field of a model record a rule read: the place a finding points to.

SARIF results and GitHub annotations want a line in the model file. The
evaluator knows the rule and the item, and the model's :class:`Document` knows
where every value is written; this module joins the two by reading the field
references out of the rule's expression *text*, so it works the same whatever
CEL backend compiled the rule.

It reads references of the form ``model.a.b[0]["c"]`` and ``item.x.y``. A
selector followed by ``(`` is a method or macro call (``.exists(``,
``.filter(``), which ends the path. Inside ``for_each``, an ``item`` path is
resolved against the collection only when the ``for_each`` expression is a
plain model path, or ``COND ? model.path : []``: a filtered or mapped list
renumbers its elements, so an item index would point at the wrong element.

The result is a best effort by design: where the field is unknown the caller
points at the top of the document, and a path that does not exist in the
document (a missing field) resolves to its nearest existing ancestor.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from .documents import Document
from .errors import JsonPath
from .policy import Rule

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<string>[rRbB]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''
                             |"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?[uU]?)
    | (?P<punct>\|\||&&|==|!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL | re.ASCII,
)


class _Token:
    __slots__ = ("kind", "text")  # a plain class: no dataclass made at import

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        self.text = text


def _tokens(text: str) -> list[_Token]:
    return [
        _Token(m.lastgroup or "punct", m.group())
        for m in _TOKEN.finditer(text)
        if m.lastgroup != "space"
    ]


def _string_value(token: str) -> str | None:
    """The value of a plain quoted string literal (escapes other than quotes refused)."""
    body = token.lstrip("rRbB")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            inner = body[len(quote) : -len(quote)]
            return None if "\\" in inner else inner
    return None


def _reference(tokens: Sequence[_Token], start: int) -> tuple[JsonPath, int]:
    """The selector chain after the root identifier at ``start``; returns (path, end)."""
    path: list[str | int] = []
    i = start + 1
    while i < len(tokens):
        token = tokens[i]
        if token.text == "." and i + 1 < len(tokens) and tokens[i + 1].kind == "ident":
            if i + 2 < len(tokens) and tokens[i + 2].text == "(":
                break  # a method or macro call: the path ends before it
            path.append(tokens[i + 1].text)
            i += 2
        elif token.text == "[" and i + 2 < len(tokens) and tokens[i + 2].text == "]":
            index = tokens[i + 1]
            if index.kind == "number" and index.text.isdigit():
                path.append(int(index.text))
            elif index.kind == "string" and (key := _string_value(index.text)) is not None:
                path.append(key)
            else:
                break
            i += 3
        else:
            break
    return tuple(path), i


def references(text: str, root: str) -> list[JsonPath]:
    """Every path read from variable ``root`` in expression ``text``, in order of writing.

    >>> references("has(model.spec.x) && model.spec.x.all(v, v > 0)", "model")
    [('spec', 'x'), ('spec', 'x')]
    """
    tokens = _tokens(text)
    found: list[JsonPath] = []
    for i, token in enumerate(tokens):
        if token.kind == "ident" and token.text == root:
            if i > 0 and tokens[i - 1].text == ".":
                continue  # a field that happens to be called like the variable
            found.append(_reference(tokens, i)[0])
    return found


def collection(for_each: str) -> JsonPath | None:
    """The model path whose elements ``for_each`` yields in order, if that is plain.

    ``model.spec.evaluations`` and ``has(...) ? model.spec.robustness : []`` have
    one; ``model.spec.fairness.metrics.filter(...)`` does not (it renumbers).
    """
    tokens = _tokens(for_each)
    question = _top_level(tokens, "?")
    if question is not None:
        colon = _top_level(tokens, ":", question + 1)
        if colon is None or [t.text for t in tokens[colon + 1 :]] != ["[", "]"]:
            return None
        tokens = tokens[question + 1 : colon]
    if not tokens or tokens[0].text != "model":
        return None
    path, end = _reference(tokens, 0)
    return path if end == len(tokens) else None


def _top_level(tokens: Sequence[_Token], text: str, start: int = 0) -> int | None:
    depth = 0
    for i in range(start, len(tokens)):
        token = tokens[i].text
        if token in "([{" and tokens[i].kind == "punct":
            depth += 1
        elif token in ")]}" and tokens[i].kind == "punct":
            depth -= 1
        elif depth == 0 and token == text:
            return i
    return None


class _Plan:
    """How to find the field of one rule: computed once per rule text (cached, shared:
    never changed once made)."""

    __slots__ = ("collection", "item_field", "model_field")

    def __init__(
        self,
        collection: JsonPath | None,  # for_each over a plain model path
        item_field: JsonPath | None,  # the first item.x the check reads (() for bare item)
        model_field: JsonPath | None,  # the first model.x the check (or when, for_each) reads
    ) -> None:
        self.collection = collection
        self.item_field = item_field
        self.model_field = model_field


@functools.lru_cache(maxsize=4096)
def _plan(check: str, for_each: str | None, when: str | None) -> _Plan:
    items = references(check, "item") if for_each is not None else []
    # The check's own fields first; else the list for_each walks (its last model
    # reference, the one after any has() guards); else what `when` looked at.
    fields = (
        references(check, "model")
        or (references(for_each, "model")[-1:] if for_each is not None else [])
        or (references(when, "model") if when is not None else [])
    )
    return _Plan(
        collection=collection(for_each) if for_each is not None else None,
        item_field=items[0] if items else None,
        model_field=fields[0] if fields else None,
    )


def field_path(rule: Rule, item: int | str | None = None) -> JsonPath | None:
    """The JSON path in the model of the field that gives ``rule``'s result for ``item``."""
    plan = _plan(
        rule.check.text,
        rule.for_each.text if rule.for_each is not None else None,
        rule.when.text if rule.when is not None else None,
    )
    if item is not None and plan.collection is not None:
        element = (*plan.collection, item)
        if plan.item_field is not None:
            return (*element, *plan.item_field)
        return plan.model_field if plan.model_field is not None else element
    return plan.model_field


def evidence_line(document: Document | None, rule: Rule, item: int | str | None) -> int | None:
    """The line of the field ``rule`` read for ``item``, or ``None`` when unknown."""
    if document is None:
        return None
    path = field_path(rule, item)
    if path is None:
        return None
    return document.location(path).line
