"""Model records: the metadata of one model version, typed or as exported."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .documents import DEFAULT_LIMITS, Document, Limits, load_paths
from .errors import ErrorGroup, LoadError, PolicygateError
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
            loaded.extend(importers.load_source(name))
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
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return records


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
            raise ErrorGroup(problems) if len(problems) > 1 else problems[0]
    elif not isinstance(document.data, Mapping):
        raise LoadError("a model record must be a mapping", document.location())
    return model_from_data(document.data, document.source, document)
