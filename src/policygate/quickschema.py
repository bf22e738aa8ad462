"""A quick "is this valid?" for the shipped JSON Schemas, so that a valid document
never pays for importing jsonschema (a tenth of a second at every start).

It answers only *yes* or *no*; jsonschema keeps the last word on everything a
user reads. :func:`policygate.validation.validate_document` asks here first and,
when the answer is *no*, runs jsonschema for the errors and their messages, so
whatever is printed comes from jsonschema, as before.

The check covers the JSON Schema 2020-12 keywords the shipped schemas use and
follows jsonschema's own semantics for each (``integer`` takes ``1.0``, a bool
is no number, ``pattern`` is a ``re.search``, ...). A schema using any other
keyword, or a ``const``/``enum`` of a list or an object, gets no quick check
(:func:`compile_schema` returns ``None``) and is always validated by jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

# Keywords that say nothing about validity (jsonschema's validators run without a
# format checker, so ``format`` is not among them: it is not supported here).
_ANNOTATIONS = frozenset(
    {"$schema", "$defs", "$comment", "title", "description", "examples", "default",
     "deprecated", "readOnly", "writeOnly"}
)  # fmt: skip
_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}
_PLAIN = (dict, list, str, bool, int, float, type(None))
# "then"/"else" go with "if" (and mean nothing without it); extra keys depend on
# "properties" and "patternProperties".
_WITH_OTHERS = frozenset({"then", "else", "patternProperties", "additionalProperties"})


class Unsupported(Exception):
    """The schema uses something this check does not implement."""


def compile_schema(schema: Mapping[str, Any]) -> Check | None:
    """A function telling whether a document is valid under ``schema`` (exactly as
    jsonschema would, for plain JSON data), or ``None`` when ``schema`` uses
    something this module does not cover."""
    if schema.get("$schema", _DRAFT) != _DRAFT:
        return None
    try:
        check = _Compiler(schema).compile(schema, root=True)
    except Unsupported:
        return None
    return lambda data: _plain(data) and check(data)


_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _plain(data: Any) -> bool:
    """Only JSON values (what :mod:`policygate.documents` builds), else no quick answer."""
    kind = type(data)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in data.items())
    if kind is list:
        return all(_plain(v) for v in data)
    return kind in _PLAIN


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any, root: bool = False) -> Check:
        if schema is True:
            return lambda _: True
        if schema is False:
            return lambda _: False
        if not isinstance(schema, dict):
            raise Unsupported("schema")
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or (keyword == "$id" and root):
                continue
            if keyword in _WITH_OTHERS:
                continue  # compiled below, with the keywords they depend on
            name = _KEYWORDS.get(keyword)
            if name is None:
                raise Unsupported(keyword)
            checks.append(getattr(self, name)(value, schema))
        if "patternProperties" in schema:
            checks.append(self._patterns(schema["patternProperties"]))
        if "additionalProperties" in schema:
            checks.append(self._extras(schema))
        return _all(checks)

    # -- any instance ------------------------------------------------------------

    def _type(self, value: Any, schema: Any) -> Check:
        names = value if isinstance(value, list) else [value]
        if not all(isinstance(n, str) and n in _TYPES for n in names):
            raise Unsupported("type")
        tests = [_TYPES[n] for n in names]
        return lambda v: any(test(v) for test in tests)

    def _const(self, value: Any, schema: Any) -> Check:
        return _equal_to(value)

    def _enum(self, value: Any, schema: Any) -> Check:
        if not isinstance(value, list):
            raise Unsupported("enum")
        if all(isinstance(e, str) for e in value):
            options = frozenset(value)
            return lambda v: isinstance(v, str) and v in options
        checks = [_equal_to(e) for e in value]
        return lambda v: any(check(v) for check in checks)

    def _ref(self, value: Any, schema: Any) -> Check:
        if not isinstance(value, str) or not value.startswith("#/"):
            raise Unsupported("$ref")
        if value not in self.refs:
            target: Any = self.root
            for part in value[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise Unsupported("$ref")
                target = target[part]
            self.refs[value] = lambda v: False  # a placeholder while compiling (recursion)
            compiled = self.compile(target)
            self.refs[value] = compiled
        refs = self.refs
        return lambda v: refs[value](v)

    def _allOf(self, value: Any, schema: Any) -> Check:
        return _all([self.compile(s) for s in _schemas(value)])

    def _anyOf(self, value: Any, schema: Any) -> Check:
        checks = [self.compile(s) for s in _schemas(value)]
        return lambda v: any(check(v) for check in checks)

    def _oneOf(self, value: Any, schema: Any) -> Check:
        checks = [self.compile(s) for s in _schemas(value)]
        return lambda v: sum(1 for check in checks if check(v)) == 1

    def _not(self, value: Any, schema: Any) -> Check:
        check = self.compile(value)
        return lambda v: not check(v)

    def _if(self, value: Any, schema: Any) -> Check:
        condition = self.compile(value)
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))
        return lambda v: then(v) if condition(v) else otherwise(v)

    # -- strings -----------------------------------------------------------------

    def _minLength(self, value: Any, schema: Any) -> Check:
        bound = _number(value)
        return lambda v: not isinstance(v, str) or len(v) >= bound

    def _maxLength(self, value: Any, schema: Any) -> Check:
        bound = _number(value)
        return lambda v: not isinstance(v, str) or len(v) <= bound

    def _pattern(self, value: Any, schema: Any) -> Check:
        if not isinstance(value, str):
            raise Unsupported("pattern")
        search = re.compile(value).search
        return lambda v: not isinstance(v, str) or search(v) is not None

    # -- numbers -----------------------------------------------------------------

    def _minimum(self, value: Any, schema: Any) -> Check:
        bound = _number(value)
        return lambda v: not _TYPES["number"](v) or not v < bound

    def _maximum(self, value: Any, schema: Any) -> Check:
        bound = _number(value)
        return lambda v: not _TYPES["number"](v) or not v > bound

    # -- arrays ------------------------------------------------------------------

    def _items(self, value: Any, schema: Any) -> Check:
        if "prefixItems" in schema:
            raise Unsupported("prefixItems")
        check = self.compile(value)
        return lambda v: not isinstance(v, list) or all(check(item) for item in v)

    def _minItems(self, value: Any, schema: Any) -> Check:
        bound = _number(value)
        return lambda v: not isinstance(v, list) or len(v) >= bound

    def _maxItems(self, value: Any, schema: Any) -> Check:
        bound = _number(value)
        return lambda v: not isinstance(v, list) or len(v) <= bound

    def _uniqueItems(self, value: Any, schema: Any) -> Check:
        if value is False:
            return lambda v: True
        if value is not True:
            raise Unsupported("uniqueItems")
        # Strings only: jsonschema's equality of other values has its own rules.
        return lambda v: (
            not isinstance(v, list)
            or (all(isinstance(e, str) for e in v) and len(set(v)) == len(v))
        )

    # -- objects -----------------------------------------------------------------

    def _properties(self, value: Any, schema: Any) -> Check:
        if not isinstance(value, dict):
            raise Unsupported("properties")
        checks = {name: self.compile(s) for name, s in value.items()}

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(checks[k](v[k]) for k in checks.keys() & v.keys())

        return check

    def _required(self, value: Any, schema: Any) -> Check:
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise Unsupported("required")
        names = tuple(value)
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)

    def _minProperties(self, value: Any, schema: Any) -> Check:
        bound = _number(value)
        return lambda v: not isinstance(v, dict) or len(v) >= bound

    def _maxProperties(self, value: Any, schema: Any) -> Check:
        bound = _number(value)
        return lambda v: not isinstance(v, dict) or len(v) <= bound

    def _patterns(self, value: Any) -> Check:
        if not isinstance(value, dict):
            raise Unsupported("patternProperties")
        rules = [(re.compile(p).search, self.compile(s)) for p, s in value.items()]

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(c(item) for key, item in v.items() for s, c in rules if s(key))

        return check

    def _extras(self, schema: Mapping[str, Any]) -> Check:
        """``additionalProperties``: keys neither in ``properties`` nor matching a
        ``patternProperties`` pattern (jsonschema's ``find_additional_properties``)."""
        known = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        if not isinstance(known, dict) or not isinstance(patterns, dict):
            raise Unsupported("properties")
        search = re.compile("|".join(patterns)).search if patterns else None
        extra = self.compile(schema.get("additionalProperties", True))

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key, item in v.items():
                if key in known or (search is not None and search(key)):
                    continue
                if not extra(item):
                    return False
            return True

        return check


_KEYWORDS = {
    keyword: "_" + keyword.lstrip("$")
    for keyword in (
        "type", "const", "enum", "$ref", "allOf", "anyOf", "oneOf", "not", "if",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "items", "minItems",
        "maxItems", "uniqueItems", "properties", "required", "minProperties", "maxProperties",
    )
}  # fmt: skip


def _equal_to(value: Any) -> Check:
    """jsonschema's equality (``const``, ``enum``) with a string, a number, a bool or
    null: a bool is no number (``true`` is not ``1``), ``1`` is ``1.0``."""
    if isinstance(value, str):
        return lambda v: isinstance(v, str) and v == value
    if value is None:
        return lambda v: v is None
    if isinstance(value, bool):
        return lambda v: v is value
    if isinstance(value, (int, float)):
        return lambda v: _TYPES["number"](v) and v == value
    raise Unsupported("const")


def _schemas(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise Unsupported("subschemas")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unsupported("bound")
    return value


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda _: True
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(check(v) for check in checks)


__all__ = ["Check", "Unsupported", "compile_schema"]
