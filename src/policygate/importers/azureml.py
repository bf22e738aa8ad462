"""Azure Machine Learning: a model version as the REST API or ``az ml model show`` returns it.

Two shapes of the same resource are read (``azureml:PATH``, JSON or YAML):

- the REST API's (``GET .../workspaces/W/models/NAME/versions/V``, API version
  2024-04-01, ``ModelVersion`` in azure-rest-api-specs'
  ``specification/machinelearningservices``): ``{id, name, type, properties:
  {description, tags, properties, flavors, modelType, modelUri, jobName, stage,
  isArchived, ...}, systemData: {createdAt, createdBy, ...}}``, where ``name``
  is the version and the model's name is in ``id``;
- the CLI's (``az ml model show -n NAME -v V``): the same facts flat and in
  snake case (``name``, ``version``, ``tags``, ``properties``, ``job_name``,
  ``path``, ``type``, ``stage``, ``creation_context``).

Tags and properties are string maps. Properties whose value is a number
written as text (``"0.91"``) are the version's metrics (``azureml.*`` and
``mlflow.*`` system properties aside); every tag and every other property is a
label. The importer reads nothing but the file. See docs/importers.md.
"""

from __future__ import annotations

from typing import Any

from ..errors import Location
from ..validation import short_value
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    as_number,
    content_version,
    keyed_metrics,
    load_mapping,
    merge_source_overlay,
    new_record,
    normalize_timestamp,
    overlay_path,
    overlay_value,
    prune,
    set_labels,
)

OVERLAY_PREFIX = "policygate."  # a tag policygate.spec.risk_tier = high, as for MLflow
_SYSTEM_PREFIXES = ("azureml.", "mlflow.", "_")
_STAGES = {"development", "staging", "production", "archived"}


class AzureMLImporter(Importer):
    format = "azureml"
    title = "Azure Machine Learning model version (REST API or `az ml model show`)"

    def read(self, location: str) -> list[dict[str, Any]]:
        resource = load_mapping(location, "Azure ML model version")
        return [record_from_version(resource, location)]


def record_from_version(resource: dict[str, Any], source: str) -> dict[str, Any]:
    """The canonical record of one model version, in either shape."""
    if _is_rest(resource):
        body = dict(resource["properties"])
        name, version = _from_id(resource.get("id"))
        version = version or _str(resource.get("name"))
        system = _dict(resource.get("systemData"))
        created_by, created_at = system.get("createdBy"), system.get("createdAt")
        job, uri, kind = body.get("jobName"), body.get("modelUri"), body.get("modelType")
    else:
        body = resource
        name, version = _str(resource.get("name")), _str(resource.get("version"))
        context = _dict(resource.get("creation_context"))
        created_by, created_at = context.get("created_by"), context.get("created_at")
        job, uri, kind = resource.get("job_name"), resource.get("path"), resource.get("type")
    if name is None:
        raise ImporterError(
            "not an Azure ML model version: no model name (the REST API's id"
            " '.../models/NAME/versions/V', or the CLI's name)",
            Location(source),
        )
    tags = _strings(body.get("tags"), source, "tags")
    properties = _strings(body.get("properties"), source, "properties")
    record = new_record(name, version or content_version(resource))
    stage = (_str(body.get("stage")) or "").lower()
    record["metadata"].update(
        prune(
            {
                "owner": next((tags[k] for k in ("owner", "Owner", "team") if tags.get(k)), None),
                "created_by": _str(created_by),
                "created_at": normalize_timestamp(created_at),
                "stage": "archived"
                if body.get("isArchived") is True or body.get("is_archived") is True
                else (stage if stage in _STAGES else None),
            }
        )
    )
    numeric = {
        key: number
        for key, value in properties.items()
        if not key.startswith(_SYSTEM_PREFIXES)
        and not key.startswith(OVERLAY_PREFIX)
        and (number := as_number(value)) is not None
    }
    metrics = keyed_metrics(numeric.items())  # 'AUC' and 'auc' that disagree are numbered
    job_name = _str(job) or _job_from_uri(_str(uri))
    record["spec"] = prune(
        {
            "task": tags.get("task"),
            "intended_use": tags.get("intended_use"),
            "lineage": {
                "job": {
                    "name": job_name,
                    "uri": f"azureml://jobs/{job_name}" if job_name else None,
                },
                "parent": tags.get("base_model") or tags.get("parent"),
                "code": {
                    "repository": properties.get("azureml.git.repository_uri")
                    or properties.get("mlflow.source.git.repoURL"),
                    "commit": properties.get("azureml.git.commit")
                    or properties.get("mlflow.source.git.commit"),
                },
            },
            "artifact": {"uri": _str(uri)},
            "documentation": {"model_card": tags.get("model_card")},  # the version is no card
            "metrics": metrics,
            "evaluations": [{"dataset": "properties", "metrics": metrics}] if metrics else None,
        }
    )
    flavors = body.get("flavors")
    set_labels(
        record,
        {
            SOURCE_LABEL: "azureml",
            "model_type": kind,
            "flavors": sorted(flavors) if isinstance(flavors, dict) else None,
            "stage": body.get("stage"),
        },
        {
            **{k: v for k, v in tags.items() if not k.startswith(OVERLAY_PREFIX)},
            **{
                k: v
                for k, v in properties.items()
                if k not in numeric and not k.startswith(OVERLAY_PREFIX)
            },
        },
    )
    record["spec"]["extra"] = {"azureml": resource}
    overlay: dict[str, Any] = {}
    for key, value in {**properties, **tags}.items():  # tags win, as the CLI shows them first
        if key.startswith(OVERLAY_PREFIX):
            parts = key[len(OVERLAY_PREFIX) :].split(".")
            if len(parts) < 2 or parts[0] not in ("metadata", "spec") or not all(parts):
                raise ImporterError(
                    f"tag {short_value(key, 80)}: expected policygate.metadata.X or"
                    " policygate.spec.X",
                    Location(source),
                )
            overlay_path(overlay, parts, overlay_value(value, source, f"tag {key}"))
    if overlay:
        merge_source_overlay(record, overlay, source)
    return record


# Members of the REST API's ModelVersionProperties that the CLI's flat string map of
# properties never holds.
_REST_MEMBERS = ("modelUri", "modelType", "jobName", "flavors", "isAnonymous", "isArchived")


def _is_rest(resource: dict[str, Any]) -> bool:
    """The REST API's shape (``properties`` holds the version) rather than the CLI's."""
    properties = resource.get("properties")
    if not isinstance(properties, dict) or "creation_context" in resource:
        return False
    return (
        "systemData" in resource
        or any(member in properties for member in _REST_MEMBERS)
        or isinstance(properties.get("tags"), dict)
        or isinstance(properties.get("properties"), dict)
    )


def _from_id(value: Any) -> tuple[str | None, str | None]:
    """``(NAME, VERSION)`` from an ARM id ``.../models/NAME/versions/VERSION``."""
    parts = str(value).split("/") if isinstance(value, str) else []
    lowered = [p.lower() for p in parts]
    for index in range(len(parts) - 3, -1, -1):
        if lowered[index] == "models" and lowered[index + 2] == "versions":
            return parts[index + 1] or None, parts[index + 3] or None
    return None, None


def _job_from_uri(uri: str | None) -> str | None:
    """The job of ``azureml://jobs/JOB/outputs/artifacts/paths/model/`` (or ``runs:/RUN/...``)."""
    if uri is None:
        return None
    for prefix in ("azureml://jobs/", "runs:/"):
        if uri.startswith(prefix):
            job = uri[len(prefix) :].split("/", 1)[0]
            return job or None
    return None


def _strings(value: Any, source: str, what: str) -> dict[str, str]:
    """A tags or properties map as strings (the service's type); anything else is an error."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImporterError(
            f"{what} is not a mapping of strings (found {type(value).__name__})", Location(source)
        )
    return {
        str(k): "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
        for k, v in value.items()
        if not isinstance(v, (dict, list))
    }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value) or None


IMPORTER = AzureMLImporter()
