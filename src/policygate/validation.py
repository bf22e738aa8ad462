"""JSON Schema validation of documents, with errors that point into the file.

The shipped schemas live in ``policygate/schemas`` inside the wheel.
"""

from __future__ import annotations

import functools
import json
import pkgutil
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .documents import Document
from .errors import JsonPath, Location, SchemaError
from .quickschema import Check, compile_schema

if TYPE_CHECKING:  # imported when first needed: a valid document never needs it
    import jsonschema

SHIPPED = {
    "Policy": "policy.schema.json",
    "Waiver": "waiver.schema.json",
    "ModelRecord": "model-record.schema.json",
    "Report": "report.schema.json",
    "ControlCatalog": "control-catalog.schema.json",
    "RiskRegister": "risk-register.schema.json",
    "PolicyTest": "policy-test.schema.json",
    "Approvers": "approvers.schema.json",
    "Attestation": "attestation.schema.json",
}


@functools.cache
def shipped_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema shipped for ``kind`` (Policy, Waiver, ModelRecord, Report)."""
    # pkgutil rather than importlib.resources, which takes longer to import than this
    # takes to run; it reads from a zip as well.
    raw = pkgutil.get_data("policygate", f"schemas/{SHIPPED[kind]}")
    if raw is None:  # a loader that cannot read data files
        raise FileNotFoundError(f"policygate/schemas/{SHIPPED[kind]}")
    text = raw.decode("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def shipped_validator(kind: str) -> jsonschema.protocols.Validator:
    """The jsonschema validator of a shipped schema (not checked against its
    metaschema at every start: a test does that once)."""
    import jsonschema
    from jsonschema.validators import validator_for

    schema = shipped_schema(kind)
    return validator_for(schema, default=jsonschema.Draft202012Validator)(schema)


@functools.cache
def _quick_check(kind: str) -> Check | None:
    return compile_schema(shipped_schema(kind))


def quick_valid(kind: str, data: Any) -> bool:
    """True when ``data`` is certainly valid under the shipped schema of ``kind``,
    found without jsonschema (see :mod:`.quickschema`); False says "ask jsonschema"."""
    check = _quick_check(kind)
    try:
        return check is not None and check(data)
    except RecursionError:  # absurdly deep data: jsonschema's answer, as ever
        return False


class ShippedValidator:
    """The shipped schema of ``kind`` where a validator is expected: the quick check
    first, jsonschema (its ``iter_errors``) only for a document that fails it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    @property
    def schema(self) -> dict[str, Any]:
        return shipped_schema(self.kind)

    def iter_errors(self, data: Any) -> Iterator[jsonschema.ValidationError]:
        if quick_valid(self.kind, data):
            return iter(())
        return shipped_validator(self.kind).iter_errors(data)

    def is_valid(self, data: Any) -> bool:
        return quick_valid(self.kind, data) or shipped_validator(self.kind).is_valid(data)

    def __getattr__(self, name: str) -> Any:  # the rest of jsonschema's Validator
        if name.startswith("__") or name == "kind":  # copy, pickle: not a validator's
            raise AttributeError(name)
        return getattr(shipped_validator(self.kind), name)


def make_validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    """A validator for ``schema`` (its own ``$schema`` draft, 2020-12 by default).

    Raises ``jsonschema.SchemaError`` when the schema itself is invalid.
    """
    import jsonschema
    from jsonschema.validators import validator_for

    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(
    validator: jsonschema.protocols.Validator | ShippedValidator, data: Any
) -> Iterator[tuple[JsonPath, str]]:
    """``(json_path, message)`` for each violation, in document order.

    For an unexpected key the path names the key itself, not its parent object,
    so that the location points at the offending line.
    """
    found: list[tuple[JsonPath, str]] = []
    for error in validator.iter_errors(data):
        path: JsonPath = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(schema.get("properties", {}))
            patterns = list(schema.get("patternProperties", {}))
            for key in error.instance:
                if key not in allowed and not any(re.search(p, key) for p in patterns):
                    found.append(((*path, key), f"unknown key {key!r}"))
            continue
        found.append((path, _message(error)))
    # Indexes sort as numbers ($.rules[2] before $.rules[10]), keys as text.
    found.sort(key=lambda pm: [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in pm[0]])
    yield from found


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "const":
        return f"must be {error.validator_value!r}, got {error.instance!r}"
    if error.validator == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)  # type: ignore[union-attr]
        return f"must be one of {options}, got {error.instance!r}"
    if error.validator == "type":
        return f"must be of type {error.validator_value}, got {_json_type(error.instance)}"
    return error.message


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def validate_document(document: Document, kind: str) -> list[SchemaError]:
    """Validate a document against a shipped schema; errors carry file:line:col and JSON path."""
    if quick_valid(kind, document.data):
        return []
    return [
        SchemaError(message, schema_error_location(document, path, message), path)
        for path, message in schema_errors(shipped_validator(kind), document.data)
    ]


def schema_error_location(document: Document, path: JsonPath, message: str) -> Location:
    """An unknown key points at the key; anything else at the offending value."""
    if message.startswith("unknown key"):
        return document.key_location(path)
    return document.location(path)
