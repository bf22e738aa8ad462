"""The importer registry: one line per source format; a test proves it covers the enum.

A *source* is ``FORMAT:LOCATION`` (``hf:models/bert/README.md``,
``mlflow:models:/credit/3``, ``cyclonedx:bom.json``, ``mct:card.json``,
``sagemaker:package.json``, ``azureml:model.json``, ``wandb:artifact.json``).
:func:`load_source` is the one door through which ``check``, ``audit`` and
the library read such sources: :func:`policygate.models.load_models` calls it
for every argument that :func:`is_source` recognises.

Importer modules load lazily, so ``import policygate`` and a plain ``check``
of YAML files never import MLflow.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Mapping
from typing import Any

from ..errors import LoadError, Location, PolicygateError, UsageError, format_json_path
from .interface import Importer, ImporterError, merge_overlay, new_record


class SourceFormat(str, enum.Enum):
    HF = "hf"
    MLFLOW = "mlflow"
    CYCLONEDX = "cyclonedx"
    MCT = "mct"
    SAGEMAKER = "sagemaker"
    AZUREML = "azureml"
    WANDB = "wandb"

    def __str__(self) -> str:
        return self.value


MODULES: dict[SourceFormat, str] = {
    SourceFormat.HF: "huggingface",
    SourceFormat.MLFLOW: "mlflow",
    SourceFormat.CYCLONEDX: "cyclonedx",
    SourceFormat.MCT: "mct",
    SourceFormat.SAGEMAKER: "sagemaker",
    SourceFormat.AZUREML: "azureml",
    SourceFormat.WANDB: "wandb",
}


def importer(name: str | SourceFormat) -> Importer:
    """The importer of a format; an unknown name is an error, never a fallback."""
    try:
        fmt = SourceFormat(name)
    except ValueError:
        known = ", ".join(f.value for f in SourceFormat)
        raise UsageError(f"unknown import format {name!r} (known: {known})") from None
    module = importlib.import_module(f"{__name__}.{MODULES[fmt]}")
    found: Importer = module.IMPORTER
    return found


def split_source(source: str) -> tuple[SourceFormat, str] | None:
    """``("hf", "path/README.md")`` for ``hf:path/README.md``; ``None`` for a plain path."""
    prefix, sep, location = source.partition(":")
    if not sep:
        return None
    try:
        return SourceFormat(prefix), location
    except ValueError:
        return None


def is_source(source: str) -> bool:
    """Whether ``source`` names an importer (``hf:...``) rather than a file or directory.

    A file whose name really starts with ``hf:`` is reached as ``./hf:...``.
    """
    return split_source(source) is not None


def import_records(
    fmt: str | SourceFormat, location: str, overlay: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Canonical ModelRecord data for every model at ``location``, validated.

    ``overlay`` (``{"spec": {"risk_tier": "high"}}``, from ``--set``) is merged
    into each record last. Each record is then checked against the shipped
    ModelRecord schema: an importer (or overlay) that produced an invalid
    record fails closed here, naming the source.
    """
    reader = importer(fmt)
    source = f"{reader.format}:{location}"
    if not location:
        raise UsageError(f"{source}: the source names nothing after {reader.format}:")
    records = reader.read(location)
    if not records:
        raise ImporterError("the source holds no model", Location(location))
    for record in records:
        if overlay:
            merge_overlay(record, overlay, source)
        spec = record.get("spec")
        if isinstance(spec, dict) and "extra" in spec:  # what was not mapped reads last
            spec["extra"] = spec.pop("extra")
        validate_record(record, source)
    return records


def load_source(source: str) -> list[tuple[dict[str, Any], str]]:
    """The records of a ``FORMAT:LOCATION`` source, each with the source it names
    (``hf:README.md``); :func:`policygate.models.load_models` makes them
    :class:`~policygate.models.ModelRecord` objects (models sits below importers).

    Errors are :class:`~policygate.errors.LoadError` naming the source.
    """
    parsed = split_source(source)
    if parsed is None:
        raise UsageError(f"{source!r} is not an import source (FORMAT:LOCATION)")
    fmt, location = parsed
    try:
        records = import_records(fmt, location)
    except PolicygateError as error:
        if error.location is None:
            error.location = Location(source)
        raise
    reader = importer(fmt)
    return [(record, reader.source_of(record, location)) for record in records]


def validate_record(record: dict[str, Any], source: str, what: str = "the imported record") -> None:
    """Fail closed on an imported record (or ``what``) that the shipped ModelRecord
    schema refuses."""
    from ..validation import schema_errors, shipped_validator

    problems = list(schema_errors(shipped_validator("ModelRecord"), record))
    if problems:
        path, message = problems[0]
        where = format_json_path(path)
        if len(where) > 200:  # a key of the source can be 1 MB long
            where = f"{where[:200]}... ({len(where)} characters)"
        raise LoadError(
            f"{what} is not a valid ModelRecord: {where}: {message}",
            Location(source),
        )


__all__ = [
    "Importer",
    "ImporterError",
    "MODULES",
    "SourceFormat",
    "import_records",
    "importer",
    "is_source",
    "load_source",
    "new_record",
    "split_source",
    "validate_record",
]
