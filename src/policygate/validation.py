"""JSON Schema validation of documents, with errors that point into the file.

The shipped schemas live in ``policygate/schemas`` inside the wheel.
"""

from __future__ import annotations

import functools
import json
import os
import pkgutil
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .documents import DEFAULT_LIMITS, Document, Limits, load_file
from .errors import JsonPath, LoadError, Location, SchemaError, format_json_path
from .quickschema import Check, compile_schema

if TYPE_CHECKING:  # imported when first needed: a valid document never needs it
    import jsonschema

SHIPPED = {
    "Policy": "policy.schema.json",
    "AccessPolicy": "access-policy.schema.json",
    "AccessRequest": "access-request.schema.json",
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


def make_validator(
    schema: dict[str, Any],
    *,
    directories: Sequence[Path] = (),
    limits: Limits | None = None,
) -> jsonschema.protocols.Validator:
    """A validator for ``schema`` (its own ``$schema`` draft, 2020-12 by default).

    Its ``$ref``s never reach the network: every one is resolved when the
    validator is made (see :func:`schema_registry`), so a remote one is an error
    here, never a fetch while a model is validated. ``directories`` are where a
    relative ``$ref`` may lead (the first is the schema's own directory, which
    relative refs are read from); with none, only refs inside the schema resolve.

    Raises ``jsonschema.SchemaError`` when the schema itself is invalid and
    :class:`~policygate.errors.LoadError` for a ``$ref`` that cannot be followed.
    """
    import jsonschema
    from jsonschema.validators import validator_for

    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    registry = schema_registry(schema, cls, directories, limits)
    return cls(schema, registry=registry)


MAX_REF_FILES = 100  # files one model schema may pull in through $ref
_NOT_SCHEMAS = frozenset({"const", "enum", "examples", "default"})  # values, not subschemas
_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


def schema_registry(
    schema: dict[str, Any],
    cls: Any,
    directories: Sequence[Path] = (),
    limits: Limits | None = None,
) -> Any:
    """A ``referencing.Registry`` holding every resource ``schema``'s ``$ref``s lead to.

    A ``$ref`` may name the schema itself (``#/...``), an ``$id`` inside it or a
    file it pulls in, or a local file beside or below ``directories``, read
    through the safe loader (with ``limits``). Anything else raises
    :class:`~policygate.errors.LoadError`: a remote URI (``https:``, ``//host``,
    any scheme but ``file:``) is never fetched, and a local file outside the
    directories is never read. The registry's retrieve function refuses
    everything, so validating a model never reads a file or the network.
    """
    from referencing import Registry
    from referencing.jsonschema import (
        DRAFT3,
        DRAFT4,
        DRAFT6,
        DRAFT7,
        DRAFT202012,
        specification_with,
    )

    meta = getattr(cls, "META_SCHEMA", {})
    specification = specification_with(
        str(meta.get("$id") or meta.get("id") or ""), default=DRAFT202012
    )
    id_keyword = "id" if specification in (DRAFT3, DRAFT4) else "$id"  # drafts 3, 4: "id"
    # Up to draft 7 a $ref's siblings are ignored, its node's id among them.
    ref_hides_id = specification in (DRAFT3, DRAFT4, DRAFT6, DRAFT7)
    allowed = list(dict.fromkeys(Path(os.path.realpath(d)) for d in directories))
    base_directory = allowed[0] if allowed else None
    resources: dict[str, Any] = {}
    ids: set[str] = {""}
    unresolved: list[tuple[str, str, str]] = []  # (target, ref, where)
    pending: list[tuple[str, Any, str]] = [("", schema, "the schema")]
    while pending:
        uri, contents, origin = pending.pop()
        for target, ref, where in _refs(contents, uri, ids, origin, id_keyword, ref_hides_id):
            if target in ids or target in resources:
                continue
            path = _local_ref(target, base_directory)
            if path is None or not _under(path, allowed) or not path.is_file():
                unresolved.append((target, ref, where))
                continue
            if len(resources) >= MAX_REF_FILES:
                raise LoadError(
                    f"$ref {short_value(ref)} ({where}): more than {MAX_REF_FILES} files"
                )
            documents = load_file(path, limits or DEFAULT_LIMITS)
            if len(documents) != 1 or not isinstance(documents[0].data, (dict, bool)):
                raise LoadError(f"$ref {short_value(ref)} ({where}): {path} is not one JSON Schema")
            resources[target] = documents[0].data
            pending.append((target, documents[0].data, str(path)))
    for target, ref, where in unresolved:
        if target in ids or target in resources:
            continue
        resolved = (
            "" if target == ref.partition("#")[0] else f", that is {short_value(target, 80)},"
        )
        why = _why_not(target, base_directory, allowed)
        raise LoadError(f"$ref {short_value(ref, 80)} ({where}){resolved} {why}")
    return Registry().with_resources(
        (uri, specification.create_resource(contents)) for uri, contents in resources.items()
    )


def _refs(
    contents: Any,
    uri: str,
    ids: set[str],
    origin: str,
    id_keyword: str = "$id",
    ref_hides_id: bool = False,
) -> Iterator[tuple[str, str, str]]:
    """``(target without fragment, ref, where)`` of every ref in ``contents``; adds its ``$id``s."""
    stack: list[tuple[Any, str, JsonPath]] = [(contents, uri, ())]
    found: list[tuple[str, str, str]] = []
    while stack:
        node, base, path = stack.pop()
        if isinstance(node, list):
            stack.extend((item, base, (*path, i)) for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        own = None if ref_hides_id and "$ref" in node else node.get(id_keyword)
        if isinstance(own, str) and not own.startswith("#"):
            base = urllib.parse.urljoin(base, own).partition("#")[0]
            ids.add(base)
        for keyword in _REF_KEYWORDS:
            ref = node.get(keyword)
            if isinstance(ref, str):
                target = urllib.parse.urljoin(base, ref).partition("#")[0]
                where = f"at {format_json_path((*path, keyword))} of {origin}"
                found.append((target, ref, where))
        for key, value in node.items():
            if key not in _NOT_SCHEMAS:
                stack.append((value, base, (*path, key)))
    return iter(found)


def _local_ref(target: str, base: Path | None) -> Path | None:
    """The local file a ref's target names, or None when it is remote (or not a path)."""
    parts = urllib.parse.urlsplit(target)
    if parts.scheme == "" and not parts.netloc:
        if base is None and not parts.path.startswith("/"):
            return None
        relative = urllib.parse.unquote(parts.path)
        return Path(os.path.realpath((base or Path("/")) / relative))
    if parts.scheme.lower() == "file" and parts.netloc in ("", "localhost"):
        return Path(os.path.realpath(urllib.parse.unquote(parts.path)))
    return None


def _under(path: Path, directories: Sequence[Path]) -> bool:
    return any(path == d or d in path.parents for d in directories)


def _why_not(target: str, base: Path | None, allowed: Sequence[Path]) -> str:
    path = _local_ref(target, base)
    if path is None:
        return "is remote: not fetched (a model schema may $ref only local files)"
    if not _under(path, allowed):
        where = " or ".join(str(d) for d in allowed) or "the schema"
        return f"leads outside {where}: not read"
    return f"names {path}, which is not a file"


def short_value(value: Any, keep: int = 40) -> str:
    """``repr(value)``, cut when long: a record or card may hold 100 KB in one value.

    A long integer gives its first digits and how many there are
    (``123...(100000 digits)``), anything else its first ``keep`` characters of
    ``repr`` and the length.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        digits = _int_text(value)
        if len(digits) <= keep:
            return digits
        return f"{digits[:keep]}... ({len(digits.lstrip('-'))} digits)"
    if isinstance(value, str) and len(value) > keep:
        return f"{value[:keep]!r}... ({len(value)} characters)"
    if isinstance(value, (dict, list)):
        text = _repr(value, keep)
        return text if len(text) <= keep else f"{text[:keep]}... ({type(value).__name__})"
    return repr(value)


def _int_text(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # above sys.get_int_max_str_digits(): say its size instead
        return f"{'-' if value < 0 else ''}<{value.bit_length()}-bit integer>"


def _repr(value: Any, keep: int) -> str:
    """A container's repr, its long members cut first (never built whole)."""
    if isinstance(value, dict):
        items = []
        for key, item in list(value.items())[: keep // 4 + 1]:
            items.append(f"{short_value(key, keep)}: {short_value(item, keep)}")
        return "{" + ", ".join(items) + ("" if len(value) <= keep // 4 + 1 else ", ...") + "}"
    if isinstance(value, list):
        shown = [short_value(item, keep) for item in value[: keep // 4 + 1]]
        return "[" + ", ".join(shown) + ("" if len(value) <= keep // 4 + 1 else ", ...") + "]"
    return short_value(value, keep)


def schema_errors(
    validator: jsonschema.protocols.Validator | ShippedValidator, data: Any
) -> Iterator[tuple[JsonPath, str]]:
    """``(json_path, message)`` for each violation, in document order.

    For an unexpected key the path names the key itself, not its parent object,
    so that the location points at the offending line.
    """
    for path, message, _ in schema_violations(validator, data):
        yield path, message


def schema_violations(
    validator: jsonschema.protocols.Validator | ShippedValidator, data: Any
) -> Iterator[tuple[JsonPath, str, bool]]:
    """:func:`schema_errors` with, for each, whether it is an unknown key (whose
    place is the key, not its value): said as data, never read back from the text."""
    found: list[tuple[JsonPath, str, bool]] = []
    for error in _violations(validator, data):
        if isinstance(error, str):  # a $ref that did not resolve: never a pass
            found.append(((), error, False))
            continue
        path: JsonPath = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(schema.get("properties", {}))
            patterns = list(schema.get("patternProperties", {}))
            for key in error.instance:
                if key not in allowed and not any(re.search(p, key) for p in patterns):
                    found.append(((*path, key), f"unknown key {short_value(key, 80)}", True))
            continue
        found.append((path, _message(error), False))
    # Indexes sort as numbers ($.rules[2] before $.rules[10]), keys as text.
    found.sort(key=lambda pm: [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in pm[0]])
    yield from found


def _violations(
    validator: jsonschema.protocols.Validator | ShippedValidator, data: Any
) -> Iterator[jsonschema.ValidationError | str]:
    """``validator.iter_errors(data)``, and a message where a ``$ref`` does not resolve.

    :func:`make_validator` resolves every ``$ref`` up front, so this is a backstop:
    a ref it did not foresee fails the document (the registry never fetches one).
    """
    from referencing.exceptions import Unresolvable

    try:
        yield from validator.iter_errors(data)
    except Unresolvable as error:
        yield f"the schema's $ref {short_value(str(error.ref), 80)} cannot be resolved"


def _message(error: jsonschema.ValidationError) -> str:
    """The violation in words; a long value of the document is cut (see :func:`short_value`)."""
    if error.validator == "required":
        return _cut(error.message, error.instance).replace("is a required property", "is required")
    if error.validator == "const":
        return f"must be {error.validator_value!r}, got {short_value(error.instance)}"
    if error.validator == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)  # type: ignore[union-attr]
        return f"must be one of {options}, got {short_value(error.instance)}"
    if error.validator == "type":
        return f"must be of type {error.validator_value}, got {_json_type(error.instance)}"
    return _cut(error.message, error.instance)


def _cut(message: str, instance: Any) -> str:
    """jsonschema's ``message`` with the ``repr`` of a long ``instance`` cut."""
    if len(message) <= 200:
        return message
    try:
        whole = repr(instance)
    except ValueError:  # an integer too long to write: jsonschema could not either
        return f"{short_value(instance)} is not valid here"
    if len(whole) > 40 and whole in message:
        return message.replace(whole, short_value(instance))
    return message[:200] + f"... ({len(message)} characters)"


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
        SchemaError(message, schema_error_location(document, path, unknown_key), path)
        for path, message, unknown_key in schema_violations(shipped_validator(kind), document.data)
    ]


def schema_error_location(document: Document, path: JsonPath, unknown_key: bool) -> Location:
    """An unknown key points at the key; anything else at the offending value."""
    if unknown_key:
        return document.key_location(path)
    return document.location(path)
