"""JSON Schema validation of documents, with errors that point into the file.

The shipped schemas live in ``policygate/schemas`` inside the wheel.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from .documents import Document
from .errors import JsonPath, Location, SchemaError

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
    text = resources.files("policygate").joinpath("schemas", SHIPPED[kind]).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def shipped_validator(kind: str) -> jsonschema.protocols.Validator:
    return make_validator(shipped_schema(kind))


def make_validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    """A validator for ``schema`` (its own ``$schema`` draft, 2020-12 by default).

    Raises ``jsonschema.SchemaError`` when the schema itself is invalid.
    """
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(
    validator: jsonschema.protocols.Validator, data: Any
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
    return [
        SchemaError(message, schema_error_location(document, path, message), path)
        for path, message in schema_errors(shipped_validator(kind), document.data)
    ]


def schema_error_location(document: Document, path: JsonPath, message: str) -> Location:
    """An unknown key points at the key; anything else at the offending value."""
    if message.startswith("unknown key"):
        return document.key_location(path)
    return document.location(path)
