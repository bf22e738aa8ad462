"""MLflow: a registered model version, read through the MLflow client.

Sources (what follows ``mlflow:``):

- ``models:/NAME/VERSION``, ``models:/NAME@ALIAS``, ``models:/NAME/STAGE``
  (the latest version in a legacy stage), ``models:/NAME`` (every version) and
  ``models:/`` (every version of every registered model), read from the
  registry at ``MLFLOW_TRACKING_URI`` (``MLFLOW_REGISTRY_URI`` if set);
- a file: a JSON export in the REST API's shape (``{"model_version": ...,
  "run": ...}``, ``{"registered_model": ...}`` with ``latest_versions``, or
  ``{"run": ...}``), or an ``MLmodel`` file.

Both paths first build one *snapshot* (plain data in the REST shape: model
version, registered model, source run, artifact list, MLmodel) and map it with
:func:`record_from_snapshot`, so a live registry and its export give the same
record. MLflow itself is imported only when a registry is read (the
``policygate[mlflow]`` extra).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..documents import load_file
from ..errors import Location
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    as_number,
    content_version,
    count_nodes,
    merge_source_overlay,
    new_record,
    normalize_timestamp,
    overlay_path,
    overlay_value,
    prune,
    set_labels,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

MODELS_PREFIX = "models:/"
# Tags that policygate writes back (policygate.passed, ...) are its own output,
# not metadata: the importer ignores them, so re-gating a version reads the same
# record. Tags policygate.metadata.* and policygate.spec.* are an overlay.
OUTPUT_TAG_PREFIX = "policygate."
OVERLAY_TAG_PREFIXES = ("policygate.metadata.", "policygate.spec.")
LEGACY_STAGES = {
    "none": "None",
    "staging": "Staging",
    "production": "Production",
    "archived": "Archived",
}
_STAGE = {"Staging": "staging", "Production": "production", "Archived": "archived"}
MODEL_CARD_ARTIFACTS = ("model_card.md", "MODEL_CARD.md", "model-card.md", "README.md")
MAX_ARTIFACTS = 200
# MLflow's default evaluator (mlflow.models.evaluate) names its metrics after
# scikit-learn; the canonical record and the shipped policies use the short names
# (docs/importers.md). A name the record already has under its short form keeps
# that value. Extend with the ``metric_aliases`` argument or POLICYGATE_MLFLOW_METRIC_ALIASES.
METRIC_ALIASES: dict[str, str] = {
    "roc_auc": "auc",
    "accuracy_score": "accuracy",
    "f1_score": "f1",
    "precision_score": "precision",
    "recall_score": "recall",
    "precision_recall_auc": "pr_auc",
    "r2_score": "r2",
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "root_mean_squared_error": "rmse",
    "mean_absolute_percentage_error": "mape",
}
ALIASES_VARIABLE = "POLICYGATE_MLFLOW_METRIC_ALIASES"  # "name=alias,name=alias"
# mlflow.data.context values of a dataset the model learnt from, and of one it was judged on.
TRAINING_CONTEXTS = frozenset({"train", "training"})
EVALUATION_CONTEXTS = frozenset({"eval", "evaluation", "validation", "test", "testing", "holdout"})


class MLflowImporter(Importer):
    format = "mlflow"
    title = "MLflow registered model version (models:/NAME/VERSION, or an export file)"

    def read(self, location: str) -> list[dict[str, Any]]:
        aliases = metric_aliases()
        if location.startswith(MODELS_PREFIX):
            return list(read_registry(location, metric_aliases=aliases))
        return records_from_export(location, metric_aliases=aliases)

    def source_of(self, record: dict[str, Any], location: str) -> str:
        """``mlflow:models:/NAME/VERSION`` for a registry read: an alias may move, a version not."""
        if location.startswith(MODELS_PREFIX):
            meta = record["metadata"]
            return f"mlflow:{MODELS_PREFIX}{meta['name']}/{meta['version']}"
        return super().source_of(record, location)


# --------------------------------------------------------------------------- the registry


def client(tracking_uri: str | None = None) -> MlflowClient:
    """An MLflow client for ``tracking_uri`` (default: ``MLFLOW_TRACKING_URI``).

    Unless set otherwise, HTTP requests are retried 2 times with a 20 s
    timeout, so a server that does not answer fails in under a minute instead
    of MLflow's default of several minutes.
    """
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    try:
        import mlflow
        from mlflow import MlflowClient
    except ImportError:
        raise ImporterError(
            "reading MLflow needs the mlflow extra: pip install 'policygate[mlflow]'"
        ) from None
    tracking = tracking_uri or mlflow.get_tracking_uri()
    registry = tracking_uri or mlflow.get_registry_uri()
    for uri in dict.fromkeys((tracking, registry)):
        existing_store(uri)
    return MlflowClient(tracking_uri=tracking, registry_uri=registry)


def existing_store(uri: str) -> None:
    """Refuse a local store that does not exist yet: MLflow would create it on first use.

    A mistyped ``sqlite:///`` path (or, with MLflow 3, no ``MLFLOW_TRACKING_URI`` at
    all: its default is ``sqlite:///mlflow.db``) would otherwise become a new, empty
    database during a read-only ``check``; a local directory store likewise. A
    SQLite file that exists but holds no MLflow tables is refused too (MLflow would
    create them). Remote stores (``http(s)://``, ``databricks``...) are the server's.
    """
    parts = urllib.parse.urlsplit(uri)
    scheme = parts.scheme.lower()
    where = Location(f"MLFLOW_TRACKING_URI={_short(uri)}")
    if scheme.startswith("sqlite"):
        path = urllib.parse.unquote(uri.split(":///", 1)[1]) if ":///" in uri else ""
        if not path or path == ":memory:" or not os.path.isfile(path):
            raise ImporterError(
                f"no MLflow database at {_short(path or uri)}: a read never creates a store"
                " (set MLFLOW_TRACKING_URI to an existing store)",
                where,
            )
        if not _is_mlflow_database(path):
            raise ImporterError(
                f"{_short(path)} is not an MLflow database (no MLflow tables in it)", where
            )
    elif scheme in ("", "file") and is_local(uri):
        path = _local_path(uri)
        if not os.path.isdir(path):
            raise ImporterError(
                f"no MLflow store at {_short(path)}: a read never creates a store"
                " (set MLFLOW_TRACKING_URI to an existing store)",
                where,
            )


def _is_mlflow_database(path: str) -> bool:
    """Whether the SQLite file at ``path`` holds MLflow's tables (opened read-only)."""
    import sqlite3

    try:
        uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            names = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
    except sqlite3.Error:
        return False
    return {"experiments", "alembic_version"} <= names


def metric_aliases(
    extra: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """:data:`METRIC_ALIASES`, then ``POLICYGATE_MLFLOW_METRIC_ALIASES``
    (``name=alias,...``), then ``extra``: later ones win."""
    aliases = dict(METRIC_ALIASES)
    text = (os.environ if environ is None else environ).get(ALIASES_VARIABLE, "")
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        name, sep, alias = (part.strip() for part in pair.partition("="))
        if not sep or not name or not alias:
            raise ImporterError(
                f"{ALIASES_VARIABLE}: expected name=alias pairs separated by commas,"
                f" got {_short(pair)}"
            )
        aliases[name] = alias
    aliases.update(extra or {})
    return aliases


def read_registry(
    location: str,
    mlflow_client: MlflowClient | None = None,
    *,
    metric_aliases: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """The records of every model version that ``models:/...`` names."""
    source = f"mlflow:{location}"
    with registry_errors(source):
        mlflow_client = mlflow_client or client()
        for name, version in resolve_versions(location, mlflow_client):
            yield record_from_snapshot(
                snapshot(mlflow_client, name, version),
                f"mlflow:{MODELS_PREFIX}{name}/{version}",
                metric_aliases=metric_aliases,
            )


def parse_model_uri(location: str) -> tuple[str, str | None, str | None]:
    """The parts of a URI: ``models:/NAME/VERSION`` -> ``(NAME, VERSION, None)``,
    ``models:/NAME@A`` -> ``(NAME, None, A)``.

    ``models:/NAME`` gives ``(NAME, None, None)`` (every version) and
    ``models:/`` gives ``("", None, None)`` (the whole registry).
    """
    if not location.startswith(MODELS_PREFIX):
        raise ImporterError(f"not a models:/ URI: {location!r}", Location(f"mlflow:{location}"))
    rest = location[len(MODELS_PREFIX) :].strip("/")
    if "@" in rest:
        name, _, alias = rest.rpartition("@")
        return name, None, alias
    if "/" in rest:
        name, _, version = rest.rpartition("/")
        return name, version, None
    return rest, None, None


def resolve_versions(location: str, mlflow_client: MlflowClient) -> list[tuple[str, str]]:
    """``(name, version)`` of every model version that a ``models:/`` URI names, in order."""
    name, version, alias = parse_model_uri(location)
    if alias is not None:
        found = mlflow_client.get_model_version_by_alias(name, alias)
        return [(name, str(found.version))]
    if version is not None:
        if version.isascii() and version.isdigit():
            return [(name, version.lstrip("0") or "0")]  # 01 is version 1, as MLflow reads it
        stage = LEGACY_STAGES.get(version.lower())
        if stage is None:
            raise ImporterError(
                f"{version!r} is neither a version number nor a stage",
                Location(f"mlflow:{location}"),
            )
        latest = mlflow_client.get_latest_versions(name, stages=[stage])
        if not latest:
            raise ImporterError(
                f"{name} has no version in stage {stage}", Location(f"mlflow:{location}")
            )
        return [(name, str(latest[0].version))]
    names = [name] if name else list(registered_model_names(mlflow_client))
    return [(n, v) for n in names for v in model_versions(mlflow_client, n)]


def registered_model_names(mlflow_client: MlflowClient) -> Iterator[str]:
    """Every registered model name, page by page, sorted by name."""
    token = None
    while True:
        page = mlflow_client.search_registered_models(
            max_results=100, order_by=["name ASC"], page_token=token
        )
        for model in page:
            yield model.name
        token = page.token
        if not token:
            return


def model_versions(mlflow_client: MlflowClient, name: str) -> list[str]:
    """Every version of ``name``, in numeric order."""
    versions: list[str] = []
    token = None
    quoted = name.replace("'", "\\'")
    while True:
        page = mlflow_client.search_model_versions(
            filter_string=f"name='{quoted}'", max_results=1000, page_token=token
        )
        versions.extend(str(v.version) for v in page)
        token = page.token
        if not token:
            break
    if not versions:
        # search_model_versions says nothing about a model that does not exist.
        mlflow_client.get_registered_model(name)
    return sorted(set(versions), key=lambda v: (len(v), v))


@contextlib.contextmanager
def registry_errors(source: str) -> Iterator[None]:
    """Turn whatever MLflow raises (not found, refused connection...) into one clear error."""
    try:
        yield
    except ImporterError:
        raise
    except Exception as error:  # MlflowException, requests errors, sqlalchemy errors...
        first = _first_line(error)
        code = getattr(error, "error_code", None)
        if code == "RESOURCE_DOES_NOT_EXIST":
            first = f"not found in the MLflow registry: {first}"
        elif code is None and "Connection" in type(error).__name__ + first:
            first = f"the MLflow server does not answer: {first}"
        raise ImporterError(first, Location(source)) from None


def snapshot(mlflow_client: MlflowClient, name: str, version: str) -> dict[str, Any]:
    """A model version with its registered model, source run, artifact list and MLmodel."""
    mv = mlflow_client.get_model_version(name, version)
    rm = mlflow_client.get_registered_model(name)
    data: dict[str, Any] = {
        "model_version": {
            "name": mv.name,
            "version": str(mv.version),
            "creation_timestamp": mv.creation_timestamp,
            "last_updated_timestamp": mv.last_updated_timestamp,
            "user_id": mv.user_id,
            "current_stage": mv.current_stage,
            "description": mv.description,
            "source": mv.source,
            "run_id": mv.run_id,
            "run_link": mv.run_link,
            "status": mv.status,
            "tags": dict(mv.tags or {}),
            "aliases": sorted(mv.aliases or []),
        },
        "registered_model": {
            "name": rm.name,
            "creation_timestamp": rm.creation_timestamp,
            "description": rm.description,
            "tags": dict(rm.tags or {}),
            "aliases": {k: str(v) for k, v in sorted((rm.aliases or {}).items())},
        },
    }
    model_metrics = getattr(mv, "metrics", None) or []
    if model_metrics:
        data["model_version"]["metrics"] = [_metric(m) for m in model_metrics]
    model_id = logged_model_id(mv)
    if model_id:
        data["model_version"]["model_id"] = model_id
        try:
            data["logged_model"] = _logged_model(mlflow_client.get_logged_model(model_id))
        except Exception as error:  # recorded, never silent: the record says what is missing
            data["logged_model_not_read"] = (
                f"the logged model {_short(model_id)} is not read: {_first_line(error)}"
            )
    if mv.run_id:
        run = mlflow_client.get_run(mv.run_id)
        data["run"] = {
            "info": {
                "run_id": run.info.run_id,
                "experiment_id": run.info.experiment_id,
                "run_name": run.info.run_name,
                "user_id": run.info.user_id,
                "status": run.info.status,
                "start_time": run.info.start_time,
                "end_time": run.info.end_time,
                "artifact_uri": run.info.artifact_uri,
                "lifecycle_stage": run.info.lifecycle_stage,
            },
            "data": {
                "metrics": dict(sorted(run.data.metrics.items())),
                "params": dict(sorted(run.data.params.items())),
                "tags": dict(sorted(run.data.tags.items())),
            },
            "inputs": {
                "dataset_inputs": [
                    {
                        "tags": {t.key: t.value for t in d.tags},
                        "dataset": {
                            "name": d.dataset.name,
                            "digest": d.dataset.digest,
                            "source_type": d.dataset.source_type,
                            "source": d.dataset.source,
                        },
                    }
                    for d in (run.inputs.dataset_inputs if run.inputs else [])
                ]
            },
        }
        data["artifacts"] = _artifacts(mlflow_client, mv.run_id)
    mlmodel, not_read = _mlmodel(mlflow_client, mv, model_id)
    if mlmodel is not None:
        data["mlmodel"] = mlmodel
    if not_read is not None:
        data["source_not_read"] = not_read
    return data


def logged_model_id(mv: Any) -> str | None:
    """The MLflow 3 logged model of a version: its ``model_id``, or the ``m-...`` id of a
    ``models:/m-ID`` source (MLflow 3 registers a logged model under that URI)."""
    found = getattr(mv, "model_id", None)
    if found:
        return str(found)
    source = str(getattr(mv, "source", None) or "")
    if source.startswith(MODELS_PREFIX):
        first = source[len(MODELS_PREFIX) :].split("/", 1)[0]
        if first.startswith("m-") and "@" not in first:
            return first
    return None


def _metric(metric: Any) -> dict[str, Any]:
    """An MLflow ``Metric`` as plain data (MLflow 3 adds the dataset it was computed on)."""
    return {
        "key": metric.key,
        "value": metric.value,
        "step": getattr(metric, "step", None),
        "timestamp": getattr(metric, "timestamp", None),
        "dataset_name": getattr(metric, "dataset_name", None),
        "dataset_digest": getattr(metric, "dataset_digest", None),
        "run_id": getattr(metric, "run_id", None),
    }


def _logged_model(model: Any) -> dict[str, Any]:
    """An MLflow 3 ``LoggedModel`` as plain data: identity, tags, params and its metrics."""
    return {
        "model_id": model.model_id,
        "name": model.name,
        "experiment_id": _str(model.experiment_id),
        "source_run_id": getattr(model, "source_run_id", None),
        "artifact_location": model.artifact_location,
        "creation_timestamp": model.creation_timestamp,
        "model_type": getattr(model, "model_type", None),
        "status": str(getattr(model, "status", "") or "") or None,
        "tags": dict(sorted((model.tags or {}).items())),
        "params": dict(sorted((model.params or {}).items())),
        "metrics": [_metric(m) for m in model.metrics or []],
    }


def _artifacts(mlflow_client: MlflowClient, run_id: str) -> list[str]:
    """The run's artifact paths, two levels deep, at most MAX_ARTIFACTS."""
    paths: list[str] = []
    pending: list[tuple[str | None, int]] = [(None, 0)]
    with contextlib.suppress(Exception):  # an unreachable artifact store only loses the listing
        while pending and len(paths) < MAX_ARTIFACTS:
            path, depth = pending.pop(0)
            for info in mlflow_client.list_artifacts(run_id, path):
                if info.is_dir and depth < 1:
                    pending.append((info.path, depth + 1))
                paths.append(info.path + ("/" if info.is_dir else ""))
    return sorted(paths)[:MAX_ARTIFACTS]


class _NotRead(Exception):
    """Why the MLmodel a version's source names is not read (the record keeps the reason)."""


def _mlmodel(
    mlflow_client: MlflowClient, mv: Any, model_id: str | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """The MLmodel file of the version's model, and why it was not read if it was not.

    Only what the source may name is read (SPEC §13): see :func:`mlmodel_uri`. A
    ``models:/`` source is resolved to its artifact location first, never read as
    ``models:/.../MLmodel``. A source that holds no MLmodel, or whose store does not
    answer, gives the reason instead (the record keeps it: never silent).
    """
    source = mv.source
    if not source:
        return None, None
    try:
        uri, root = mlmodel_uri(mlflow_client, str(source), mv.run_id, model_id)
        return _read_mlmodel(mlflow_client, uri, root), None
    except _NotRead as refused:
        return None, f"the MLmodel of source {_short(str(source))} is not read: {refused}"


def mlmodel_uri(
    mlflow_client: MlflowClient,
    source: str,
    run_id: str | None,
    model_id: str | None = None,
    hops: int = 0,
) -> tuple[str, str]:
    """``(uri, root)``: where the MLmodel directory of ``source`` is, inside which artifact root.

    A source may be read when it is

    - ``runs:/RUN/PATH`` of the version's own run (any run when the version
      names none): the run's ``artifact_uri``, as the tracking store gives it;
    - ``models:/m-ID/PATH``, a logged model (the version's own when it names
      one): its ``artifact_location``, as the tracking store gives it;
    - ``models:/NAME/VERSION/PATH`` (or ``@ALIAS``, a stage): where that
      version's own source may be read, at most :data:`MAX_HOPS` such hops;
    - any other URI or path inside the artifact location the store gives the
      version's run or logged model (how MLflow 1 recorded ``runs:/`` sources),
      as MLflow's own server requires of a local source.

    Anything else (a local path or ``file://`` elsewhere, another scheme or host,
    ``..``, a query or fragment, a NUL) raises :class:`_NotRead` saying why.
    """
    problem = _unsafe(source)
    if problem:
        raise _NotRead(problem)
    parts = urllib.parse.urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme in ("runs", "models") and parts.netloc:
        raise _NotRead(f"a {scheme}: URI of another server or profile ({parts.netloc!r})")
    try:
        if scheme == "runs":
            run, _, path = parts.path.lstrip("/").partition("/")
            if not run:
                raise _NotRead("a runs:/ URI without a run")
            if run_id and run != run_id:
                raise _NotRead("a runs:/ URI of another run than the version's")
            root = mlflow_client.get_run(run).info.artifact_uri
            return _join(root, path), root
        if scheme == "models":
            return _models_uri(mlflow_client, source, model_id, hops)
        for root in _roots(mlflow_client, run_id, model_id):
            if _within(source, root):
                return source, root
    except _NotRead:
        raise
    except Exception as error:  # an MlflowException: the run or version does not resolve
        raise _NotRead(f"it does not resolve ({_first_line(error)})") from None
    kind = "a local path" if is_local(source) else f"a URI of scheme {scheme!r}"
    raise _NotRead(
        f"{kind} outside the artifact location the store gives the version's run"
        " (only runs:/, models:/ and that location are read)"
    )


MAX_HOPS = 3  # models:/ sources that name another version's source, in a chain


def _models_uri(
    mlflow_client: MlflowClient, source: str, model_id: str | None, hops: int
) -> tuple[str, str]:
    from mlflow.store.artifact.models_artifact_repo import ModelsArtifactRepository
    from mlflow.store.artifact.utils.models import get_model_name_and_version

    base, path = ModelsArtifactRepository.split_models_uri(source)
    ids = get_model_name_and_version(mlflow_client, base)
    if len(ids) == 1:
        if model_id and ids[0] != model_id:
            raise _NotRead("a models:/ URI of another logged model than the version's")
        root = mlflow_client.get_logged_model(ids[0]).artifact_location
        return _join(root, path), root
    if hops >= MAX_HOPS:
        raise _NotRead(f"more than {MAX_HOPS} models:/ sources in a chain")
    name, version = ids
    target = mlflow_client.get_model_version(name, str(version))
    where = f"{MODELS_PREFIX}{name}/{version}"
    if not target.source:
        raise _NotRead(f"{where} has no source")
    try:
        uri, root = mlmodel_uri(
            mlflow_client,
            str(target.source),
            target.run_id,
            getattr(target, "model_id", None),
            hops + 1,
        )
    except _NotRead as refused:
        raise _NotRead(
            f"it names {where}, whose source {_short(target.source)} is {refused}"
        ) from None
    return _join(uri, path), root


def _roots(mlflow_client: MlflowClient, run_id: str | None, model_id: str | None) -> list[str]:
    """The artifact locations the store gives the version's run and logged model."""
    roots = []
    if run_id:
        roots.append(mlflow_client.get_run(run_id).info.artifact_uri)
    if model_id:
        roots.append(mlflow_client.get_logged_model(model_id).artifact_location)
    return [r for r in roots if r]


def _read_mlmodel(mlflow_client: MlflowClient, uri: str, root: str) -> dict[str, Any] | None:
    """The MLmodel under ``uri`` (inside ``root``), read through MLflow's artifact repository.

    A local file is read only where its real path (links followed) is still inside
    the real path of ``root``.
    """
    problem = _unsafe(uri)
    if problem:
        raise _NotRead(f"it resolves to {_short(uri)}, {problem}")
    if is_local(uri) and is_local(root):
        path = os.path.realpath(os.path.join(_local_path(uri), "MLmodel"))
        if not _inside(path, os.path.realpath(_local_path(root))):
            raise _NotRead("a link leads out of the run's artifact location")
        if not os.path.isfile(path):
            raise _NotRead(f"no MLmodel file at {_short(uri)}")
        try:
            documents = load_file(path)
        except Exception as error:
            raise _NotRead(f"its MLmodel does not load: {_first_line(error)}") from None
    else:
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        tracking = getattr(getattr(mlflow_client, "_tracking_client", None), "tracking_uri", None)
        with tempfile.TemporaryDirectory(prefix="policygate-mlmodel-") as tmp:
            try:
                repository = get_artifact_repository(uri, tracking_uri=tracking)
                documents = load_file(repository.download_artifacts("MLmodel", dst_path=tmp))
            except Exception as error:  # no MLmodel (a bare source), or an unreachable store
                raise _NotRead(
                    f"its artifact store gives no MLmodel: {_first_line(error)}"
                ) from None
    data = documents[0].data if documents else None
    return data if isinstance(data, dict) else None


def _unsafe(uri: str) -> str | None:
    """What makes ``uri`` unsafe to resolve (MLflow's own server refuses the same), or None."""
    text = uri
    for _ in range(8):  # %252e%252e is '..' too
        unquoted = urllib.parse.unquote(text)
        if unquoted == text:
            break
        text = unquoted
    if "\x00" in text or "\\" in text:
        return "it holds a NUL or a backslash"
    if "?" in text or "#" in text:
        return "it has a query or a fragment"
    if any(part in (".", "..") for part in text.split("/")):
        return "it has a '.' or '..' path segment"
    return None


def is_local(uri: str) -> bool:
    """A bare path or a ``file:`` URI (of this host)."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme == "":
        return True
    return parts.scheme.lower() == "file" and parts.netloc in ("", "localhost")


def _local_path(uri: str) -> str:
    parts = urllib.parse.urlsplit(uri)
    return urllib.parse.unquote(parts.path) if parts.scheme else uri


def _within(source: str, root: str) -> bool:
    """Whether ``source`` names ``root`` or a path under it (no link followed here)."""
    if is_local(source) or is_local(root):
        if not (is_local(source) and is_local(root)):
            return False
        return _inside(
            os.path.normpath(os.path.abspath(_local_path(source))),
            os.path.normpath(os.path.abspath(_local_path(root))),
        )
    a, b = urllib.parse.urlsplit(source), urllib.parse.urlsplit(root)
    mine = [urllib.parse.unquote(p) for p in a.path.split("/") if p]
    theirs = [urllib.parse.unquote(p) for p in b.path.split("/") if p]
    return (
        (a.scheme.lower(), a.netloc.lower()) == (b.scheme.lower(), b.netloc.lower())
        and bool(theirs)
        and mine[: len(theirs)] == theirs
    )


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _join(uri: str, path: str) -> str:
    path = path.strip("/")
    return f"{uri.rstrip('/')}/{path}" if path else uri


def _short(text: str, keep: int = 80) -> str:
    """``text`` quoted, cut to ``keep`` characters (a registry field can be 100 KB)."""
    if len(text) <= keep:
        return repr(text)
    return f"{text[:keep]!r}... ({len(text)} characters)"


def _first_line(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    lines = str(message).strip().splitlines()
    if not lines:
        return type(error).__name__
    line = lines[0]
    return line if len(line) <= 200 else f"{line[:200]}... ({len(line)} characters)"


# --------------------------------------------------------------------------- export files


def records_from_export(
    location: str, *, metric_aliases: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Records from a JSON export in the REST API's shape, or from an MLmodel file."""
    documents = load_file(location)
    data = documents[0].data if len(documents) == 1 else None
    if not isinstance(data, dict):
        raise ImporterError(
            "expected an MLflow export (a JSON object) or an MLmodel file", Location(location)
        )
    source = f"mlflow:{location}"
    if "flavors" in data and "model_version" not in data:
        return [
            record_from_snapshot(
                {"mlmodel": data},
                source,
                default_name=_mlmodel_name(location),
                metric_aliases=metric_aliases,
            )
        ]
    run = _run(data.get("run"))
    if isinstance(data.get("model_version"), dict):
        snap = _export_snapshot(data["model_version"], data, run)
        return [record_from_snapshot(snap, source, metric_aliases=metric_aliases)]
    registered = data.get("registered_model")
    if isinstance(registered, dict):
        versions = [v for v in _items(registered.get("latest_versions")) if isinstance(v, dict)]
        if not versions:
            raise ImporterError("the registered model export lists no versions", Location(location))
        _check_copies(registered, run, versions, location)
        return [
            record_from_snapshot(
                _export_snapshot(v, data, run if run and _run_id(run) == v.get("run_id") else None),
                source,
                metric_aliases=metric_aliases,
            )
            for v in versions
        ]
    if run is not None:
        return [record_from_snapshot({"run": run}, source, metric_aliases=metric_aliases)]
    raise ImporterError(
        "not an MLflow export: expected model_version, registered_model, run or an MLmodel",
        Location(location),
    )


EXPORT_COPIES = 1_000_000
"""The nodes of a registered model export that its versions' records may carry in all.

Each version's record carries the registered model's tags (as labels and in
``extra``) and, when it names that run, the export's run: 3,000 versions of
one model with 15,000 tags and a run of 5,000 params (a 430 KB file) took
85 s and 7 GB. MLflow's ``latest_versions`` holds one version per stage."""


def _check_copies(
    registered: dict[str, Any],
    run: dict[str, Any] | None,
    versions: list[dict[str, Any]],
    location: str,
) -> None:
    """Refuse an export whose versions would copy more than :data:`EXPORT_COPIES` nodes."""
    budget = EXPORT_COPIES // len(versions)
    shared = count_nodes({k: v for k, v in registered.items() if k != "latest_versions"}, budget)
    if run is not None and any(_run_id(run) == v.get("run_id") for v in versions):
        shared += count_nodes(run, budget)
    if shared * len(versions) > EXPORT_COPIES:
        raise ImporterError(
            f"the registered model export lists {len(versions)} versions that would each carry"
            f" its tags and run ({'over ' if shared > budget else ''}{shared} nodes): more than"
            f" {EXPORT_COPIES:,} nodes in all (latest_versions holds one version per stage)",
            Location(location),
        )


def _export_snapshot(
    version: dict[str, Any], data: dict[str, Any], run: dict[str, Any] | None
) -> dict[str, Any]:
    found = data.get("registered_model")
    registered: dict[str, Any] = found if isinstance(found, dict) else {}
    snap: dict[str, Any] = {
        "model_version": {
            **{k: v for k, v in version.items() if not k.startswith("_")},
            "version": str(version.get("version", "")),
            "tags": _tags(version.get("tags")),
        },
        "registered_model": {
            **{
                k: v
                for k, v in registered.items()
                if k != "latest_versions" and not k.startswith("_")
            },
            "tags": _tags(registered.get("tags")),
        },
    }
    if run is not None:
        snap["run"] = run
    if isinstance(data.get("logged_model"), dict):
        snap["logged_model"] = data["logged_model"]
    return snap


def _run(value: Any) -> dict[str, Any] | None:
    """A run export (``{"info", "data", "inputs"}``, maybe inside ``{"run": ...}``), normalized."""
    if not isinstance(value, dict):
        return None
    if "info" not in value and isinstance(value.get("run"), dict):
        value = value["run"]
    info = value.get("info") if isinstance(value.get("info"), dict) else {}
    data = value.get("data") if isinstance(value.get("data"), dict) else {}
    inputs = value.get("inputs") if isinstance(value.get("inputs"), dict) else {}
    return {
        "info": {k: v for k, v in info.items() if not k.startswith("_")},
        "data": {
            "metrics": _pairs(data.get("metrics")),
            "params": _pairs(data.get("params")),
            "tags": _tags(data.get("tags")),
        },
        "inputs": {
            "dataset_inputs": [
                {"tags": _tags(d.get("tags")), "dataset": _mapping(d.get("dataset"))}
                for d in _items(inputs.get("dataset_inputs"))
                if isinstance(d, dict)
            ]
        },
    }


def _tags(value: Any) -> dict[str, Any]:
    """Tags as a mapping, from a list of ``{key, value}`` (REST) or a mapping (enriched exports)."""
    return _pairs(value)


def _pairs(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    pairs: dict[str, Any] = {}
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict) and "key" in entry:
            pairs[str(entry["key"])] = entry.get("value")
    return pairs


def _run_id(run: dict[str, Any]) -> str | None:
    info = run.get("info") or {}
    found = info.get("run_id") or info.get("run_uuid")
    return str(found) if found else None


def _mlmodel_name(location: str) -> str:
    """``models/credit/MLmodel`` -> ``credit``; ``credit.MLmodel.yaml`` -> ``credit``."""
    path = os.path.abspath(location)
    base = os.path.basename(path)
    if base == "MLmodel":
        return os.path.basename(os.path.dirname(path)) or "model"
    for suffix in (".yaml", ".yml"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return base.removesuffix(".MLmodel") or "model"


# --------------------------------------------------------------------------- mapping


def record_from_snapshot(
    snap: Mapping[str, Any],
    source: str,
    *,
    default_name: str = "model",
    metric_aliases: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The canonical record of one snapshot (see the module docstring for its shape).

    ``metric_aliases`` renames metrics (default :data:`METRIC_ALIASES`); the names as
    MLflow gave them stay in ``spec.extra.mlflow``.
    """
    aliases = METRIC_ALIASES if metric_aliases is None else metric_aliases
    mv: dict[str, Any] = dict(snap.get("model_version") or {})
    logged: dict[str, Any] = dict(snap.get("logged_model") or {})
    rm: dict[str, Any] = dict(snap.get("registered_model") or {})
    run: dict[str, Any] = dict(snap.get("run") or {})
    mlmodel: dict[str, Any] = dict(snap.get("mlmodel") or {})
    info = run.get("info") or {}
    run_data = run.get("data") or {}
    run_tags: dict[str, Any] = run_data.get("tags") or {}

    tags = {**_own_tags(rm.get("tags")), **_own_tags(mv.get("tags"))}
    overlay = {
        k: v
        for k, v in {**(rm.get("tags") or {}), **(mv.get("tags") or {})}.items()
        if k.startswith(OVERLAY_TAG_PREFIXES)
    }
    labels = {k: v for k, v in tags.items() if not isinstance(v, (dict, list))}

    name = mv.get("name") or info.get("run_name") or run_tags.get("mlflow.runName") or default_name
    version = (
        mv.get("version")
        or info.get("run_id")
        or mlmodel.get("model_uuid")
        or mlmodel.get("run_id")
    )
    record = new_record(str(name), str(version) if version else content_version(dict(snap)))

    artifact_uri = info.get("artifact_uri")
    artifacts: list[str] = list(snap.get("artifacts") or [])
    card = tags.get("model_card") or next(
        (
            f"{artifact_uri}/{p}"
            for p in artifacts
            if p.split("/")[-1] in MODEL_CARD_ARTIFACTS and artifact_uri
        ),
        None,
    )
    contexts = _dataset_contexts(run)
    model_metrics = [
        m
        for m in [*_items(logged.get("metrics")), *_items(mv.get("metrics"))]
        if isinstance(m, dict)
    ]
    evaluations, dataset_only = _evaluations(model_metrics, contexts, aliases)
    if not evaluations:
        evaluations = _evaluate_run(run, aliases)
    metrics = _aliased(
        {
            k: n
            for k, v in (run_data.get("metrics") or {}).items()
            if (n := metric_number(v)) is not None and k not in dataset_only
        },
        aliases,
    )
    for metric in _latest(m for m in model_metrics if not m.get("dataset_name")).values():
        number = metric_number(metric.get("value"))
        if number is not None:
            metrics.setdefault(aliases.get(metric["key"], metric["key"]), number)
    for key, value in (evaluations[0]["metrics"] if evaluations else {}).items():
        metrics.setdefault(key, value)  # the first evaluation set is the headline's fallback
    owner, owner_from = _owner(mv, rm, logged, run_tags, info)
    record["metadata"].update(
        prune(
            {
                "owner": owner,
                "created_by": _first(
                    mv.get("user_id"), run_tags.get("mlflow.user"), info.get("user_id")
                ),
                "created_at": normalize_timestamp(
                    mv.get("creation_timestamp")
                    or info.get("start_time")
                    or mlmodel.get("utc_time_created")
                ),
                "stage": _STAGE.get(str(mv.get("current_stage"))),
            }
        )
    )
    record["spec"] = prune(
        {
            "task": _first(tags.get("task"), _dig(mlmodel, "flavors", "transformers", "task")),
            "risk_tier": _risk_tier(tags.get("risk_tier")),
            "intended_use": tags.get("intended_use"),
            "lineage": {
                "code": {
                    "repository": _first(
                        run_tags.get("mlflow.source.git.repoURL"),
                        run_tags.get("mlflow.databricks.gitRepoUrl"),
                    ),
                    "commit": _first(
                        run_tags.get("mlflow.source.git.commit"),
                        run_tags.get("mlflow.databricks.gitRepoCommit"),
                    ),
                },
                "training_data": _training_data(run, model_metrics),
                "parent": tags.get("parent"),
                "run": {
                    "id": _first(info.get("run_id"), mv.get("run_id"), mlmodel.get("run_id")),
                    "name": info.get("run_name"),
                    "experiment_id": _str(info.get("experiment_id")),
                    "artifact_uri": artifact_uri,
                    "model_source": mv.get("source"),
                    "model_id": _first(mv.get("model_id"), logged.get("model_id")),
                },
                "artifacts": artifacts,
            },
            "documentation": {"model_card": card},
            "metrics": metrics,
            "evaluations": evaluations,
            "approvals": _approvals(mv.get("transition_requests")),
        }
    )
    params = run_data.get("params") or {}
    if params:  # kept whole: a null ("None") hyperparameter is information too
        record["spec"]["hyperparameters"] = {k: param_value(v) for k, v in params.items()}
    flavors = mlmodel.get("flavors")
    set_labels(
        record,
        {
            SOURCE_LABEL: "mlflow",
            "mlflow.flavors": sorted(flavors) if isinstance(flavors, dict) else None,
            "mlflow.version": mlmodel.get("mlflow_version"),
            "mlflow.owner_from": owner_from,
        },
        labels,
    )
    record["spec"]["extra"] = {"mlflow": _without_outputs(snap)}
    if overlay:
        patch: dict[str, Any] = {}
        for key, value in sorted(overlay.items()):
            parts = key[len(OUTPUT_TAG_PREFIX) :].split(".")
            overlay_path(patch, parts, overlay_value(str(value), source, f"tag {key}"))
        merge_source_overlay(record, patch, source, fill_only=False)  # the gate's tags
    return record


STORED_INFINITY = 1.7976931348623157e308  # sys.float_info.max


def metric_number(value: Any) -> int | float | None:
    """A metric's value as a number, or ``None`` for NaN and the infinities.

    MLflow's database stores can hold no infinity: a metric logged as ``inf`` or
    ``-inf`` is stored, and read back, as the largest finite float. It is read as
    the infinity it was, which is no number (as NaN), so no threshold is met by it.
    """
    number = as_number(value)
    if isinstance(number, float) and abs(number) >= STORED_INFINITY:
        return None
    return number


def param_value(value: Any) -> Any:
    """An MLflow param (always a string: ``str()`` of a Python value) as the value it was.

    ``"100"`` -> 100, ``"0.1"`` -> 0.1, ``"None"`` -> null, ``"True"`` -> true;
    anything else (``"logloss"``, ``"nan"``) stays a string.
    """
    if not isinstance(value, str):
        return value
    number = as_number(value)
    if number is not None:
        return number
    return {"None": None, "True": True, "False": False}.get(value.strip(), value)


def _own_tags(tags: Any) -> dict[str, Any]:
    """Tags that are the model's metadata: not policygate's own output, not an overlay."""
    if not isinstance(tags, dict):
        return {}
    return {k: v for k, v in tags.items() if not str(k).startswith(OUTPUT_TAG_PREFIX)}


def _without_outputs(snap: Mapping[str, Any]) -> dict[str, Any]:
    data = json.loads(json.dumps(dict(snap), default=str))
    for part in ("model_version", "registered_model"):
        section = data.get(part)
        if isinstance(section, dict) and isinstance(section.get("tags"), dict):
            section["tags"] = {
                k: v
                for k, v in section["tags"].items()
                if not k.startswith(OUTPUT_TAG_PREFIX) or k.startswith(OVERLAY_TAG_PREFIXES)
            }
    return dict(data)


def _dataset_inputs(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's dataset inputs, each with its ``dataset`` a mapping (an export may give any)."""
    inputs = _mapping(run.get("inputs")).get("dataset_inputs")
    return [
        {**e, "dataset": _mapping(e.get("dataset"))} for e in _items(inputs) if isinstance(e, dict)
    ]


def _context(entry: dict[str, Any]) -> str | None:
    tags = entry.get("tags") or {}
    context = tags.get("mlflow.data.context") if isinstance(tags, dict) else None
    return str(context).strip().lower() if context not in (None, "") else None


def _dataset_contexts(run: dict[str, Any]) -> dict[tuple[str, str | None], str]:
    """``(name, digest)`` and ``(name, None)`` of each dataset input -> its context, if given."""
    contexts: dict[tuple[str, str | None], str] = {}
    for entry in _dataset_inputs(run):
        dataset = entry.get("dataset") or {}
        context = _context(entry)
        if context and dataset.get("name"):
            contexts.setdefault((str(dataset["name"]), _str(dataset.get("digest"))), context)
            contexts.setdefault((str(dataset["name"]), None), context)
    return contexts


def _latest(metrics: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last value of each metric key (highest step, then latest timestamp)."""
    latest: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        key = metric.get("key")
        if not isinstance(key, str):
            continue
        order = (as_number(metric.get("step")) or 0, as_number(metric.get("timestamp")) or 0)
        current = latest.get(key)
        if current is None or order >= current["_order"]:
            latest[key] = {**metric, "_order": order}
    return latest


def _aliased(metrics: Mapping[str, Any], aliases: Mapping[str, str]) -> dict[str, Any]:
    """``metrics`` under their canonical names; a name already canonical keeps its value."""
    renamed = {k: v for k, v in metrics.items() if k not in aliases}
    for key, value in metrics.items():
        if key in aliases:
            renamed.setdefault(aliases[key], value)
    return renamed


def _evaluations(
    metrics: list[dict[str, Any]],
    contexts: Mapping[tuple[str, str | None], str],
    aliases: Mapping[str, str],
) -> tuple[list[dict[str, Any]], set[str]]:
    """MLflow 3's dataset-linked metrics (``log_metric(..., model_id=, dataset=)``,
    ``mlflow.models.evaluate``) as ``spec.evaluations``, one per dataset, and the
    metric keys logged only with a dataset.

    A dataset whose run input says it is training data gives no evaluation; one
    with no context is an evaluation set (what ``mlflow.models.evaluate`` logs).
    The run's value of a key logged only with a dataset is whichever dataset came
    last, so the headline takes it from the first evaluation set instead.
    """
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for metric in metrics:
        name = metric.get("dataset_name")
        if name:
            groups.setdefault((str(name), _str(metric.get("dataset_digest"))), []).append(metric)
    evaluations = []
    with_dataset = {str(m.get("key")) for m in metrics if m.get("dataset_name")}
    without_dataset = {str(m.get("key")) for m in metrics if not m.get("dataset_name")}
    for (name, digest), group in groups.items():
        context = contexts.get((name, digest)) or contexts.get((name, None))
        if context in TRAINING_CONTEXTS:
            continue
        values = {
            key: number
            for key, metric in _latest(group).items()
            if (number := metric_number(metric.get("value"))) is not None
        }
        if values:
            evaluations.append(
                prune(
                    {
                        "dataset": name,
                        "digest": digest,
                        "context": context or "evaluation",
                        "metrics": _aliased(values, aliases),
                    }
                )
            )
    return evaluations, with_dataset - without_dataset


# What MLflow's default evaluator logs (mlflow.evaluate, MLflow 2: on the run only).
EVALUATOR_METRICS = frozenset({
    "example_count", "accuracy_score", "recall_score", "precision_score", "f1_score", "log_loss",
    "roc_auc", "precision_recall_auc", "true_negatives", "false_positives", "false_negatives",
    "true_positives", "score", "mean_absolute_error", "mean_squared_error",
    "root_mean_squared_error", "sum_on_target", "mean_on_target", "r2_score", "max_error",
    "mean_absolute_percentage_error",
})  # fmt: skip


def _evaluate_run(run: dict[str, Any], aliases: Mapping[str, str]) -> list[dict[str, Any]]:
    """MLflow 2's ``mlflow.evaluate``: the evaluator's metrics are the run's, and the one
    dataset it logged (context ``eval``) is what they were computed on. Only with exactly
    one such dataset, and only the evaluator's own metric names: anything less certain
    gives no evaluation rather than a guessed one."""
    judged = [e for e in _dataset_inputs(run) if _context(e) in EVALUATION_CONTEXTS]
    if len(judged) != 1:
        return []
    values = {
        key: number
        for key, value in ((run.get("data") or {}).get("metrics") or {}).items()
        if key in EVALUATOR_METRICS and (number := metric_number(value)) is not None
    }
    dataset = judged[0].get("dataset") or {}
    if not values or not dataset.get("name"):
        return []
    return [
        prune(
            {
                "dataset": str(dataset["name"]),
                "digest": _str(dataset.get("digest")),
                "context": _context(judged[0]),
                "metrics": _aliased(values, aliases),
            }
        )
    ]


def _owner(
    mv: Mapping[str, Any],
    rm: Mapping[str, Any],
    logged: Mapping[str, Any],
    run_tags: Mapping[str, Any],
    info: Mapping[str, Any],
) -> tuple[Any, str | None]:
    """The owner and where it came from: an ``owner`` tag (model version, registered
    model, logged model, run) before any user id, the OS user of the run last."""
    candidates = (
        ("model_version tag owner", _own_tags(mv.get("tags")).get("owner")),
        ("registered_model tag owner", _own_tags(rm.get("tags")).get("owner")),
        ("logged_model tag owner", _own_tags(logged.get("tags")).get("owner")),
        ("run tag owner", run_tags.get("owner")),
        ("registered_model user_id", rm.get("user_id")),
        ("model_version user_id", mv.get("user_id")),
        ("run tag mlflow.user (the OS user)", run_tags.get("mlflow.user")),
        ("run user_id (the OS user)", info.get("user_id")),
    )
    for where, value in candidates:
        if value not in (None, "") and not isinstance(value, (dict, list)):
            return value, where
    return None, None


def _training_data(
    run: dict[str, Any], model_metrics: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Dataset inputs of the run that trained the model: context training, or no context
    and no metric computed on them (a dataset that metrics were computed on, like
    ``mlflow.models.evaluate``'s, is evaluation data, not training data). The input's
    tags ``datasheet`` and ``license`` (or ``licence``) say where its datasheet is and
    under which licence it may be used."""
    judged = {
        (str(m.get("dataset_name")), _str(m.get("dataset_digest")))
        for m in model_metrics or []
        if m.get("dataset_name")
    }
    datasets = []
    for entry in _dataset_inputs(run):
        context = _context(entry)
        dataset = entry.get("dataset") or {}
        key = (str(dataset.get("name")), _str(dataset.get("digest")))
        if context not in (None, *TRAINING_CONTEXTS) or (context is None and key in judged):
            continue
        found = entry.get("tags")
        tags: dict[str, Any] = found if isinstance(found, dict) else {}
        datasets.append(
            prune(
                {
                    "name": _str(dataset.get("name")) or "dataset",
                    "version": _str(dataset.get("digest")),
                    "source_type": _str(dataset.get("source_type")),
                    "source": dataset_source(dataset.get("source")),
                    # log_input(dataset, tags={"datasheet": ..., "license": ...})
                    "datasheet": _str(tags.get("datasheet")),
                    "license": _str(_first(tags.get("license"), tags.get("licence"))),
                }
            )
        )
    return datasets


def dataset_source(value: Any) -> Any:
    """A dataset's ``source`` as data: MLflow stores it as a JSON string
    (``'{"uri": "s3://bucket/train.parquet"}'``); one that does not parse stays text."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value or None
        return parsed if isinstance(parsed, (dict, list)) else value
    return value or None


def _approvals(requests: Any) -> list[dict[str, Any]]:
    """Approved or rejected stage-transition requests (Databricks) as approvals."""
    decisions = {"APPROVED_REQUEST": "approved", "REJECTED_REQUEST": "rejected"}
    approvals = []
    for request in requests if isinstance(requests, list) else []:
        if not isinstance(request, dict) or not isinstance(request.get("activity_type"), str):
            continue
        if request["activity_type"] not in decisions:
            continue
        approvals.append(
            prune(
                {
                    "role": "stage-transition",
                    "approver": _str(request.get("user_id")),
                    "decision": decisions[request["activity_type"]],
                    "granted_at": normalize_timestamp(request.get("creation_timestamp")),
                    "scope": str(request.get("to_stage", "")).lower() or None,
                }
            )
        )
    return approvals


def _items(value: Any) -> list[Any]:
    """A list an export gives, or none when it gives anything else."""
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _risk_tier(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().lower() in (
        "minimal",
        "limited",
        "high",
        "unacceptable",
    ):
        return value.strip().lower()
    return None


def _first(*values: Any) -> Any:
    for value in values:
        if value not in (None, ""):
            return value
    return None


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


IMPORTER = MLflowImporter()
