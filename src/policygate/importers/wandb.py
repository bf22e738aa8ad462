"""Weights & Biases: a model artifact version with the run that logged it.

``wandb:PATH`` reads the artifact as W&B's public API returns it (the GraphQL
``ArtifactFragment`` of the ``wandb`` SDK: ``artifactSequence``,
``versionIndex``, ``aliases[].alias``, ``metadata``, ``description``,
``digest``, ``createdAt``...), with the run that logged it under ``createdBy``
(the SDK's run fragment: ``name`` (the run id), ``displayName``, ``user``,
``commit``, ``config``, ``summaryMetrics``) and, when present, the artifacts
that run used (``usedArtifacts``). ``metadata``, ``config`` and
``summaryMetrics`` may be JSON text (as GraphQL sends them) or mappings (as the
SDK's objects give them). The answer may be wrapped as GraphQL returns it
(``{"data": {"project": {"artifact": ...}}}``).

``wandb:ENTITY/PROJECT/NAME:ALIAS`` (when no such file exists) asks W&B through
the ``wandb`` SDK (the ``wandb`` extra): a thin shim that puts the SDK's
``Artifact`` and ``Run`` objects into the same shape. See docs/importers.md.
"""

from __future__ import annotations

from typing import Any

from ..errors import Location, UsageError
from ..validation import short_value
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    as_number,
    keyed_metrics,
    load_mapping,
    merge_source_overlay,
    new_record,
    normalize_timestamp,
    prune,
    set_labels,
)

_STAGES = {"development", "staging", "production", "archived"}
MAX_JSON_TEXT = 1024 * 1024  # characters of one JSON-in-a-string field (metadata, summary)


class WandbImporter(Importer):
    format = "wandb"
    title = "Weights & Biases artifact (public API response, or ENTITY/PROJECT/NAME:ALIAS live)"

    def read(self, location: str) -> list[dict[str, Any]]:
        # The form decides, never the file system: a file at that path (a checkout can
        # hold one) must not stand in for W&B's answer. Such a file is ./ENTITY/...
        if is_artifact_path(location):
            return [record_from_artifact(fetch_live(location), f"wandb:{location}")]
        answer = load_mapping(location, "W&B artifact")
        return [record_from_artifact(unwrap(answer), location)]


def is_artifact_path(location: str) -> bool:
    """``ENTITY/PROJECT/NAME:ALIAS`` (or ``:v3``), the form the SDK's ``Api.artifact`` takes."""
    path, sep, alias = location.rpartition(":")
    parts = path.split("/")
    return bool(sep and alias and "/" not in alias) and len(parts) == 3 and all(parts)


def unwrap(answer: dict[str, Any]) -> dict[str, Any]:
    """The artifact node of a GraphQL answer, or the answer itself."""
    node: Any = answer
    for key in ("data", "project", "artifact"):
        if isinstance(node, dict) and isinstance(node.get(key), dict):
            node = node[key]
    return node if isinstance(node, dict) else answer


# --------------------------------------------------------------------------- live


def fetch_live(path: str) -> dict[str, Any]:
    """The artifact at ``path`` and its logging run, through the ``wandb`` SDK, as a fragment."""
    try:
        import wandb
    except ImportError:
        raise UsageError(
            "wandb:ENTITY/PROJECT/NAME:ALIAS needs the wandb SDK: pip install 'policygate[wandb]'"
        ) from None
    try:
        api = wandb.Api()
        return artifact_fragment(api.artifact(path))
    except Exception as error:  # wandb's CommError, auth errors, a missing artifact
        raise ImporterError(
            f"W&B did not return the artifact: {short_value(str(error), 300)}",
            Location(f"wandb:{path}"),
        ) from None


def artifact_fragment(artifact: Any) -> dict[str, Any]:
    """An SDK ``Artifact`` (and ``artifact.logged_by()``) in the public API's fragment shape."""
    entity, project = getattr(artifact, "entity", None), getattr(artifact, "project", None)
    collection = str(getattr(artifact, "name", "")).split(":", 1)[0]
    version = str(getattr(artifact, "version", ""))
    fragment: dict[str, Any] = {
        "id": getattr(artifact, "id", None),
        "artifactSequence": {
            "name": collection,
            "project": {"entityName": entity, "name": project},
        },
        "versionIndex": int(version[1:]) if version[1:].isascii() and version[1:].isdigit()
        else None,
        "artifactType": {"name": getattr(artifact, "type", None)},
        "description": getattr(artifact, "description", None),
        "metadata": dict(getattr(artifact, "metadata", None) or {}),
        "aliases": [{"alias": a} for a in getattr(artifact, "aliases", None) or []],
        "tags": [{"name": t} for t in getattr(artifact, "tags", None) or []],
        "state": getattr(artifact, "state", None),
        "digest": getattr(artifact, "digest", None),
        "commitHash": getattr(artifact, "commit_hash", None),
        "createdAt": str(getattr(artifact, "created_at", "") or "") or None,
    }
    run = artifact.logged_by() if callable(getattr(artifact, "logged_by", None)) else None
    if run is not None:
        summary = getattr(run, "summary", None)
        user = getattr(run, "user", None)
        fragment["createdBy"] = {
            "__typename": "Run",
            "name": getattr(run, "id", None),
            "displayName": getattr(run, "name", None),
            "url": getattr(run, "url", None),
            "commit": getattr(run, "commit", None),
            "user": {"username": getattr(user, "username", None)} if user is not None else None,
            "config": dict(getattr(run, "config", None) or {}),
            "summaryMetrics": dict(getattr(summary, "_json_dict", None) or summary or {}),
            "usedArtifacts": [
                {
                    "artifactSequence": {"name": str(a.name).split(":", 1)[0]},
                    "versionIndex": a.version,
                    "artifactType": {"name": a.type},
                }
                for a in (
                    run.used_artifacts() if callable(getattr(run, "used_artifacts", None)) else []
                )
            ],
        }
    return fragment


# --------------------------------------------------------------------------- mapping


def record_from_artifact(artifact: dict[str, Any], source: str) -> dict[str, Any]:
    """The canonical record of one artifact version."""
    sequence = _dict(artifact.get("artifactSequence"))
    name = _str(sequence.get("name"))
    if name is None and isinstance(artifact.get("name"), str):
        name = artifact["name"].split(":", 1)[0] or None
    if name is None:
        raise ImporterError(
            "not a W&B artifact: no artifactSequence.name (nor name)", Location(source)
        )
    index = artifact.get("versionIndex")
    version = (
        f"v{index}"
        if isinstance(index, int) and not isinstance(index, bool)
        else _str(artifact.get("version")) or _str(artifact.get("digest"))
    )
    if version is None:
        raise ImporterError(
            "not a W&B artifact version: no versionIndex, version or digest", Location(source)
        )
    project = _dict(sequence.get("project"))
    aliases = [
        a["alias"] if isinstance(a, dict) else a
        for a in _list(artifact.get("aliases"))
        if isinstance(a, str) or (isinstance(a, dict) and isinstance(a.get("alias"), str))
    ]
    metadata = _json(artifact.get("metadata"), source, "metadata")
    run = _dict(artifact.get("createdBy"))
    summary = _json(run.get("summaryMetrics") or run.get("summary"), source, "summaryMetrics")
    config = _json(run.get("config"), source, "config")
    metrics = _summary_metrics(summary)
    stage = next((a for a in aliases if a.lower() in _STAGES), None)
    record = new_record(name, version)
    record["metadata"].update(
        prune(
            {
                "owner": _str(metadata.get("owner")) or _str(project.get("entityName")),
                "created_by": _str(_dict(run.get("user")).get("username"))
                or _str(_dict(run.get("user")).get("name")),
                "created_at": normalize_timestamp(artifact.get("createdAt")),
                "stage": stage.lower() if stage else None,
            }
        )
    )
    used = [
        prune(
            {
                "name": _str(_dict(u.get("artifactSequence")).get("name")) or _str(u.get("name")),
                "version": f"v{u['versionIndex']}"
                if isinstance(u.get("versionIndex"), int)
                else _str(u.get("versionIndex")) or _str(u.get("version")),
                "type": _str(_dict(u.get("artifactType")).get("name")),
            }
        )
        for u in _nodes(run.get("usedArtifacts"))
    ]
    record["spec"] = prune(
        {
            "task": _str(metadata.get("task")),
            "intended_use": _str(metadata.get("intended_use")),
            "lineage": {
                "run": {
                    "id": _str(run.get("name")),
                    "name": _str(run.get("displayName")),
                    "url": _str(run.get("url")),
                },
                "code": {"commit": _str(run.get("commit"))},
                "training_data": [u for u in used if u.get("type") != "model" and u.get("name")],
                "parent": next(
                    (f"{u['name']}:{u['version']}" if u.get("version") else u["name"]
                     for u in used if u.get("type") == "model" and u.get("name")),
                    None,
                ),
            },
            "artifact": {"digest": _str(artifact.get("digest"))},
            "documentation": {"model_card": _str(metadata.get("model_card"))},  # nor the artifact
            "metrics": metrics,
            "evaluations": [{"dataset": "run-summary", "metrics": metrics}] if metrics else None,
        }
    )  # fmt: skip
    set_labels(
        record,
        {
            SOURCE_LABEL: "wandb",
            "entity": project.get("entityName"),
            "project": project.get("name"),
            "aliases": aliases or None,
            "type": _dict(artifact.get("artifactType")).get("name") or artifact.get("type"),
            "state": artifact.get("state"),
            "tags": [
                t.get("name") if isinstance(t, dict) else t for t in _list(artifact.get("tags"))
            ]
            or None,
        },
        {
            k: v
            for k, v in metadata.items()
            if k != "policygate" and isinstance(v, (str, int, float, bool))
        },
    )
    record["spec"]["extra"] = {
        "wandb": {
            "artifact": {k: v for k, v in artifact.items() if k != "createdBy"},
            "metadata": metadata,
            "run": {k: v for k, v in run.items() if k not in ("summaryMetrics", "config")},
            "summary": summary,
            "config": config,
        }
    }
    overlay = metadata.get("policygate")
    if overlay is not None:
        if not isinstance(overlay, dict):
            raise ImporterError("metadata key 'policygate' must be a mapping", Location(source))
        merge_source_overlay(record, overlay, source)
    return record


def _summary_metrics(summary: dict[str, Any]) -> dict[str, int | float]:
    """A run summary's numeric values as metrics: ``val/acc`` -> ``val_acc``.

    A nested mapping (``wandb.log({"val": {"auc": 0.9}})``) gives ``val_auc``,
    four levels at most. W&B's own keys (``_runtime``, ``_step``,
    ``_timestamp``, ``_wandb``), logged media and tables (a mapping with a
    ``_type``) and text are not metrics; they stay in ``extra``.
    """
    named: list[tuple[str, int | float]] = []

    def walk(prefix: str, node: dict[str, Any], depth: int) -> None:
        for key, value in node.items():
            if str(key).startswith("_"):
                continue
            name = f"{prefix}_{key}" if prefix else str(key)
            if isinstance(value, dict):
                if depth < 4 and "_type" not in value:
                    walk(name, value, depth + 1)
                continue
            number = as_number(value)
            if number is not None:
                named.append((name, number))

    walk("", summary, 1)
    return keyed_metrics(named)  # 'val/auc' and 'val_auc' that disagree are numbered


def _json(value: Any, source: str, what: str) -> dict[str, Any]:
    """A field GraphQL sends as JSON text, or the mapping itself; anything else is an error."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        if len(value) > MAX_JSON_TEXT:
            raise ImporterError(
                f"{what} is JSON text of {len(value)} characters (at most {MAX_JSON_TEXT})",
                Location(source),
            )
        from ..documents import load_text
        from ..errors import LoadError

        try:
            documents = load_text(value, f"{source}#{what}")
        except LoadError as error:
            raise ImporterError(f"{what} is not JSON: {error.message}", Location(source)) from None
        value = documents[0].data if len(documents) == 1 else None
    if not isinstance(value, dict):
        raise ImporterError(f"{what} is not a JSON object", Location(source))
    return value


def _nodes(value: Any) -> list[dict[str, Any]]:
    """A list, or a GraphQL connection's ``edges[].node``."""
    if isinstance(value, dict):
        value = [e.get("node") for e in _list(value.get("edges")) if isinstance(e, dict)]
    return [v for v in _list(value) if isinstance(v, dict)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value) or None


IMPORTER = WandbImporter()
