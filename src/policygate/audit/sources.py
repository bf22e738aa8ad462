"""What an audit walks: files under directories, MLflow registry versions, listed sources.

Each argument expands to *items*, in a reproducible order: a directory to the
documents under it (sorted), ``hf:DIR``/``cyclonedx:DIR``/``mct:DIR`` to the
cards or BOMs under it, ``mlflow:models:/`` to every registered model version
(``models:/NAME`` to every version of one model), optionally only those with
an alias or in a stage. An argument that cannot be expanded (a missing path, a
registry that does not answer) becomes one failed item, so the audit goes on.

A directory's tree may hold symbolic links, which are followed, but only as far
as the directory goes: a link under it that resolves outside it (a record
``m.yaml`` linking to ``/etc/...`` or a home directory's secrets, a subdirectory
linking to ``/``) is not read nor walked into; it is one failed item, named by
its path. Whoever writes records into an audited tree cannot have the audit
read, report or list what lies outside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from ..documents import walk_paths
from ..errors import LoadError, PolicygateError
from ..importers import SourceFormat, split_source

# What a directory given to an importer holds.
_CARD_FILES = {
    SourceFormat.HF: (".md",),
    SourceFormat.CYCLONEDX: (".json",),
    SourceFormat.MCT: (".json",),
}


@dataclass(frozen=True, slots=True)  # one per source listed: small
class AuditItem:
    """One source to evaluate, or the error that kept an argument from expanding."""

    source: str
    error: str | None = None
    error_code: str = "load-error"  # the PolicygateError's code, when error is set


def expand_sources(
    arguments: list[str], *, alias: str | None = None, stage: str | None = None
) -> Iterator[AuditItem]:
    """The items of every argument, in argument order."""
    for argument in arguments:
        try:
            yield from _expand(argument, alias, stage)
        except PolicygateError as error:
            yield AuditItem(argument, str(error), error.code)


def _expand(argument: str, alias: str | None, stage: str | None) -> Iterator[AuditItem]:
    parsed = split_source(argument)
    if parsed is None:
        # As the walk finds them (nothing kept per file), past what cannot be read.
        for found in walk_paths([argument], confined=True):
            if isinstance(found, str):
                yield AuditItem(found)
            else:
                yield _unwalkable(found, argument)
        return
    fmt, location = parsed
    if fmt is SourceFormat.MLFLOW and location.startswith("models:/"):
        yield from _registry(location, alias, stage)
    elif fmt in _CARD_FILES and os.path.isdir(location):
        for found in walk_paths([location], extensions=_CARD_FILES[fmt], confined=True):
            if isinstance(found, str):
                yield AuditItem(f"{fmt.value}:{found}")
            else:
                yield _unwalkable(found, argument)
    else:
        yield AuditItem(argument)


def _unwalkable(error: LoadError, argument: str) -> AuditItem:
    """What a walk could not read (a directory, a symlink loop): a failed item named
    by its path, the walk going on past it."""
    source = error.location.path if error.location is not None else argument
    return AuditItem(source, str(error), error.code)


def _registry(location: str, alias: str | None, stage: str | None) -> Iterator[AuditItem]:
    """Every version a ``models:/`` URI names, kept when it has ``alias`` / is in ``stage``."""
    from ..importers import mlflow as registry

    source = f"mlflow:{location}"
    with registry.registry_errors(source):
        client = registry.client()
        name, version, named_alias = registry.parse_model_uri(location)
        if version is not None or named_alias is not None:
            versions = registry.resolve_versions(location, client)
        else:
            names = [name] if name else list(registry.registered_model_names(client))
            versions = []
            for model in names:
                if alias is not None:
                    aliases = client.get_registered_model(model).aliases or {}
                    if alias in aliases:
                        versions.append((model, str(aliases[alias])))
                    continue
                versions.extend((model, v) for v in registry.model_versions(client, model))
        if stage is not None:
            wanted = registry.LEGACY_STAGES.get(stage.lower(), stage)
            versions = [
                (n, v)
                for n, v in versions
                if client.get_model_version(n, v).current_stage == wanted
            ]
    for model, number in versions:
        yield AuditItem(f"mlflow:models:/{model}/{number}")
