"""Model records: the metadata of one model version, typed or as exported."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .documents import DEFAULT_LIMITS, Document, Limits, load_paths
from .errors import ErrorGroup, LoadError, Location, PolicygateError, UsageError
from .policy import document_kind
from .validation import validate_document


@dataclass(frozen=True)
class ModelRecord:
    name: str
    version: str
    data: Any = field(repr=False)
    source: str = ""
    document: Document | None = field(default=None, repr=False, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name


def model_from_data(
    data: Any, source: str = "<memory>", document: Document | None = None
) -> ModelRecord:
    """A record from plain data: the canonical layout, or an organisation's own export.

    The name and version are read from ``metadata`` (canonical) or top-level
    ``name``/``version``; failing both the file's stem names the model.
    """
    name: Any = None
    version: Any = None
    if isinstance(data, Mapping):
        meta = data.get("metadata")
        if isinstance(meta, Mapping):
            name, version = meta.get("name"), meta.get("version")
        name = name if name is not None else data.get("name")
        version = version if version is not None else data.get("version")
    if name is None:
        name = Path(source).stem if source not in ("-", "<stdin>", "<memory>") else "model"
    return ModelRecord(
        name=str(name),
        version="" if version is None else str(version),
        data=data,
        source=source,
        document=document,
    )


SKIPPED_KINDS = frozenset(
    {"Policy", "AccessPolicy", "Waiver", "RiskRegister", "ControlCatalog", "PolicyTest",
     "Approvers", "Attestation"}  # fmt: skip
)


def load_models(
    paths: Sequence[str | os.PathLike[str]], *, limits: Limits = DEFAULT_LIMITS
) -> list[ModelRecord]:
    """Every model record under ``paths``.

    Documents of the other policygate kinds are skipped, so a directory that
    also holds waivers or policies can be checked as it is. A typed
    ModelRecord is validated against the shipped schema; an untyped document
    is taken as it is. A ``FORMAT:LOCATION`` source (``hf:README.md``,
    ``mlflow:models:/NAME/VERSION``, ...) is read by its importer.
    """
    from . import importers  # light: importer modules load only when a source names them

    records: list[ModelRecord] = []
    errors: list[PolicygateError] = []
    loaded: list[Document | ModelRecord] = []  # in argument order, imported or read
    for name in (os.fspath(p) for p in paths):
        if not importers.is_source(name):
            loaded.extend(load_paths([name], limits))
            continue
        try:
            loaded.extend(model_from_data(r, source) for r, source in importers.load_source(name))
        except PolicygateError as error:
            errors.append(error)
    for document in loaded:
        if isinstance(document, ModelRecord):
            records.append(document)
            continue
        try:
            record = record_from_document(document)
        except ErrorGroup as group:
            errors.extend(group.errors)
            continue
        except PolicygateError as error:
            errors.append(error)
            continue
        if record is not None:
            records.append(record)
    if errors:
        raise ErrorGroup.of(errors)
    return [with_evidence(record, limits) for record in records]


def with_evidence(record: ModelRecord, limits: Limits = DEFAULT_LIMITS) -> ModelRecord:
    """The record with the reports its ``spec.evidence`` lists merged in (SPEC §13); a
    record with no file of its own (a request, a registry version) that lists evidence
    is an error, never a record judged without it."""
    spec = record.data.get("spec") if isinstance(record.data, Mapping) else None
    if not isinstance(spec, Mapping) or "evidence" not in spec:
        return record
    from .evidence import attach_declared  # only for a record that lists evidence

    return attach_declared(record, limits)


def record_from_document(document: Document) -> ModelRecord | None:
    """The model record a loaded document holds, validated as ``check`` validates it;
    ``None`` for a document of another policygate kind (a policy, a waiver...).

    One door for every way a record arrives (files, ``policygate serve``'s requests),
    so a bad record gets the same message whichever way it came.
    """
    kind = document_kind(document)
    if kind in SKIPPED_KINDS:
        return None
    if kind == "ModelRecord":
        problems = validate_document(document, "ModelRecord")
        if problems:
            raise ErrorGroup.of(problems)
    elif not isinstance(document.data, Mapping):
        raise LoadError("a model record must be a mapping", document.location(),
                        code="schema-invalid")  # fmt: skip
    return model_from_data(document.data, document.source, document)


# --------------------------------------------------------------------------- --set

# What --set may never supply: the approvals (a signed or unsigned approval, or its
# verification, is never a default) and the record's identity (attestations and
# waivers are matched by name and version).
SET_REFUSED = ("spec.approvals", "metadata.name", "metadata.version")
SET_ROOTS = ("metadata", "spec")


def parse_set(assignments: Sequence[str], option: str = "--set") -> dict[str, Any]:
    """``PATH=VALUE`` strings as ``{dotted path: value}``, VALUE read as YAML 1.2 core
    (like ``--param``): ``spec.risk_tier=high``, ``spec.risks=[R-1, R-2]``.

    A malformed assignment or a refused path is a :class:`UsageError` (exit 2).
    """
    settings: dict[str, Any] = {}
    if not assignments:
        return settings  # (the importers' YAML reading is loaded only for assignments)
    from .importers.interface import yaml_value

    for assignment in assignments:
        path, sep, raw = assignment.partition("=")
        path = path.strip()
        if not sep:
            raise UsageError(
                f"{option} {_short(repr(assignment))}: expected PATH=VALUE"
                " (e.g. spec.risk_tier=high)"
            )
        set_path_parts(path, option)
        if path in settings:
            raise UsageError(f"{option} {_short(repr(path))} given twice")
        settings[path] = yaml_value(raw, f"{option} {path}")
    return settings


def set_path_parts(path: str, origin: str = "--set") -> list[str]:
    """The keys of a dotted ``--set`` path, or a :class:`UsageError` saying why it is refused."""
    parts = path.split(".")
    if len(parts) < 2 or not all(p.strip() == p and p for p in parts) or parts[0] not in SET_ROOTS:
        raise UsageError(
            f"{origin} {_short(repr(path))}: PATH must be a dotted path under metadata. or spec."
            " (e.g. spec.risk_tier, metadata.target_stage)"
        )
    for refused in SET_REFUSED:
        if path == refused or path.startswith(refused + "."):
            why = (
                "approvals come from the record or its attestations"
                if refused == "spec.approvals"
                else "the name and version identify the record"
            )
            raise UsageError(f"{origin} {_short(repr(path))}: {refused} cannot be set: {why}")
    return parts


def apply_set(
    record: ModelRecord | Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    source: str = "--set",
) -> ModelRecord:
    """``record`` with the *record defaults* ``settings`` (``{dotted path: value}``,
    from ``--set`` or the configuration's ``set:``) filled in where it says nothing.

    A default never overrides what the record (its source) gives: a value that is
    present and not null stays, and :func:`set_conflicts` lists where a default
    disagrees with it. So ``--set spec.risk_tier=minimal`` cannot lower the tier a
    registry states, and nothing under ``spec.approvals`` can be set at all. The
    record digest that signed approvals cover is that of the record as judged,
    defaults included (docs/importers.md). A typed record is validated again, so a
    default the schema refuses is a load error, not a judged record.
    """
    if not isinstance(record, ModelRecord):
        record = model_from_data(dict(record))
    if not settings:
        return record
    if not isinstance(record.data, Mapping):
        raise LoadError("a model record must be a mapping", Location(record.source),
                        code="schema-invalid")  # fmt: skip
    data = _fill(record.data, [(set_path_parts(str(p), source), v) for p, v in settings.items()])
    if data.get("kind") == "ModelRecord":
        from .importers import validate_record

        try:
            validate_record(data, record.source, "the record with its defaults")
        except LoadError as error:
            raise LoadError(f"{source}: {error.message}", error.location) from None
    return ModelRecord(record.name, record.version, data, record.source, record.document)


def set_conflicts(
    record: ModelRecord | Mapping[str, Any], settings: Mapping[str, Any]
) -> list[str]:
    """Where a record default disagrees with what the record gives (the record's value stays)."""
    data = record.data if isinstance(record, ModelRecord) else record
    conflicts = []
    for path, value in settings.items():
        node: Any = data
        for part in str(path).split("."):
            if not isinstance(node, Mapping):
                break  # the record gives something else than a mapping above the path
            node = node.get(part)
            if node is None:
                break
        if node is not None and node != value:
            conflicts.append(
                f"{path}: the record gives {_short(repr(node))}, kept instead of the"
                f" default {_short(repr(value))}"
            )
    return conflicts


def _fill(data: Mapping[str, Any], settings: list[tuple[list[str], Any]]) -> dict[str, Any]:
    """A copy of ``data`` with each value set where its path is missing or null.

    Only the mappings along the paths are copied; ``data`` is never changed.
    """
    result = dict(data)
    for parts, value in settings:
        node = result
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = {}
            elif not isinstance(child, Mapping):
                break  # the record gives something else there: it stays
            node[part] = child = dict(child)
            node = child
        else:
            if node.get(parts[-1]) is None:
                node[parts[-1]] = copy.deepcopy(value)
    return result


def _short(text: str, keep: int = 80) -> str:
    return text if len(text) <= keep else f"{text[:keep]}... ({len(text)} characters)"
