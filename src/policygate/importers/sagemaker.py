"""Amazon SageMaker model registry: a model package as ``DescribeModelPackage`` returns it.

``sagemaker:PATH`` reads a saved response (``aws sagemaker describe-model-package
--model-package-name ARN > package.json``, or boto3's answer dumped as JSON);
``sagemaker:ARN`` asks SageMaker itself through boto3 (the ``sagemaker`` extra).
The response shape is botocore's service model (``DescribeModelPackageOutput``).

``ModelApprovalStatus`` is the approval state; ``ModelMetrics`` name statistics
files on S3 (``ModelQuality.Statistics.S3Uri``...). A saved response has them
read from *beside it*, under the S3 object's file name
(``s3://bucket/run/evaluation.json`` -> ``./evaluation.json``), never from
anywhere else: no other directory, no symlink out of it, no ``file://``. A live
read fetches them from S3 with the same credentials. When the statistics give a
``ContentDigest``, the file must match it. See docs/importers.md.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from ..documents import load_text, read_bytes
from ..errors import LoadError, Location, UsageError, format_json_path
from ..validation import short_value
from .interface import (
    SOURCE_LABEL,
    Importer,
    ImporterError,
    as_number,
    content_version,
    load_mapping,
    merge_source_overlay,
    new_record,
    normalize_timestamp,
    numbered,
    overlay_path,
    overlay_value,
    prune,
    set_labels,
)

OVERLAY_PREFIX = "policygate:"  # a CustomerMetadataProperties key policygate:spec.risk_tier

# ModelMetrics member -> the report that holds the model's own figures.
_METRIC_REPORTS = (
    ("ModelQuality", "Statistics"),
    ("ModelQuality", "Constraints"),
    ("ModelDataQuality", "Statistics"),
    ("ModelDataQuality", "Constraints"),
    ("Bias", "Report"),
    ("Bias", "PreTrainingReport"),
    ("Bias", "PostTrainingReport"),
    ("Explainability", "Report"),
)

Fetch = Callable[[str], tuple[bytes, str] | None]  # S3 URI -> (bytes, where read), or None


class SageMakerImporter(Importer):
    format = "sagemaker"
    title = "Amazon SageMaker model package (DescribeModelPackage response, or ARN via boto3)"

    def read(self, location: str) -> list[dict[str, Any]]:
        if location.startswith("arn:"):
            return [read_live(location)]
        response = load_mapping(location, "DescribeModelPackage response")
        directory = os.path.dirname(os.path.abspath(location))
        return [record_from_package(response, location, beside(directory, location))]


# --------------------------------------------------------------------------- files


def beside(directory: str, source: str) -> Fetch:
    """A fetch that maps an S3 URI to the file of the same name in ``directory``, or nothing.

    Only ``s3://`` and ``https://`` URIs (what the service model allows) map;
    the file name is the last segment of the object key, and a name that could
    leave the directory (``..``, ``.``, a backslash, a NUL) is refused. A file
    that resolves outside the directory (a symlink) is refused too.
    """
    root = os.path.realpath(directory)

    def fetch(uri: str) -> tuple[bytes, str] | None:
        scheme, sep, rest = uri.partition("://")
        if not sep or scheme.lower() not in ("s3", "https"):
            raise ImporterError(
                f"statistics URI {short_value(uri, 120)} is not an s3:// or https:// URI:"
                " nothing is read from it",
                Location(source),
            )
        name = rest.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if (
            "/" not in rest.split("?", 1)[0].strip("/")
            or name in ("", ".", "..")
            or any(c in name for c in "\\\0")
        ):
            raise ImporterError(
                f"statistics URI {short_value(uri, 120)} names no file that can be read"
                " beside the response",
                Location(source),
            )
        path = os.path.join(root, name)
        if not os.path.lexists(path):
            return None
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            raise ImporterError(
                f"{name} beside the response leads outside its directory (a symlink):"
                " it is not read",
                Location(path),
            )
        try:
            return read_bytes(path), path
        except LoadError as error:
            raise ImporterError(f"cannot read {name}: {error.message}", Location(path)) from None

    return fetch


# --------------------------------------------------------------------------- live


def read_live(arn: str) -> dict[str, Any]:
    """The record of the model package ``arn``, through boto3 (credentials as boto3 finds them)."""
    try:
        import boto3
    except ImportError:
        raise UsageError("sagemaker:ARN needs boto3: pip install 'policygate[sagemaker]'") from None
    parts = arn.split(":")
    region = parts[3] if len(parts) > 5 and parts[3] else None
    sagemaker = boto3.client("sagemaker", region_name=region)
    s3 = boto3.client("s3", region_name=region)
    return read_with_clients(arn, sagemaker, s3)


def read_with_clients(arn: str, sagemaker: Any, s3: Any) -> dict[str, Any]:
    """:func:`read_live` with the clients given (tests give botocore-stubbed ones)."""
    source = f"sagemaker:{arn}"
    try:
        response = sagemaker.describe_model_package(ModelPackageName=arn)
    except Exception as error:  # botocore's ClientError, NoCredentialsError, connection errors
        raise ImporterError(
            f"SageMaker did not describe the model package: {short_value(str(error), 300)}",
            Location(source),
        ) from None
    from ..documents import DEFAULT_LIMITS

    def fetch(uri: str) -> tuple[bytes, str] | None:
        scheme, sep, rest = uri.partition("://")
        if scheme.lower() != "s3" or not sep:
            raise ImporterError(
                f"statistics URI {short_value(uri, 120)} is not an s3:// URI: nothing is read",
                Location(source),
            )
        bucket, _, key = rest.partition("/")
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            data: bytes = body.read(DEFAULT_LIMITS.max_bytes + 1)
        except Exception as error:
            if "NoSuchKey" in (type(error).__name__, _aws_error_code(error)):
                return None
            raise ImporterError(
                f"cannot fetch {short_value(uri, 120)}: {short_value(str(error), 200)}",
                Location(source),
            ) from None
        if len(data) > DEFAULT_LIMITS.max_bytes:
            raise ImporterError(
                f"{short_value(uri, 120)} is larger than {DEFAULT_LIMITS.max_bytes} bytes",
                Location(source),
            )
        return data, uri

    return record_from_package(_plain(response), source, fetch)


def _plain(value: Any) -> Any:
    """boto3's answer as JSON data: datetimes as RFC 3339 text, ResponseMetadata dropped."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.UTC).isoformat().replace("+00:00", "Z")
    return value


# --------------------------------------------------------------------------- mapping


_STAGES = {"development", "staging", "production", "archived"}
_DECISIONS = {"Approved": "approved", "Rejected": "rejected"}


def record_from_package(response: dict[str, Any], source: str, fetch: Fetch) -> dict[str, Any]:
    """The canonical record of one ``DescribeModelPackage`` response."""
    response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    arn = _str(response.get("ModelPackageArn"))
    name = _str(response.get("ModelPackageGroupName")) or _str(response.get("ModelPackageName"))
    if name is None:
        raise ImporterError(
            "not a DescribeModelPackage response: no ModelPackageGroupName or ModelPackageName",
            Location(source),
        )
    version = response.get("ModelPackageVersion")
    record = new_record(
        name,
        str(version)
        if isinstance(version, int) and not isinstance(version, bool)
        else content_version(response),
    )
    customer = {
        str(k): str(v)
        for k, v in _dict(response.get("CustomerMetadataProperties")).items()
        if isinstance(v, (str, int, float))
    }
    lifecycle = _dict(response.get("ModelLifeCycle"))
    stage = (_str(lifecycle.get("Stage")) or "").lower()
    record["metadata"].update(
        prune(
            {
                "owner": next(
                    (customer[k] for k in ("owner", "Owner", "team", "Team") if customer.get(k)),
                    None,
                ),
                "created_by": _user(response.get("CreatedBy")),
                "created_at": normalize_timestamp(response.get("CreationTime")),
                "stage": stage if stage in _STAGES else None,
            }
        )
    )
    containers = _dicts(_dict(response.get("InferenceSpecification")).get("Containers"))
    first = containers[0] if containers else {}
    base = _dict(first.get("BaseModel"))
    properties = _dict(response.get("MetadataProperties"))
    evaluations, reports = _metrics(_dict(response.get("ModelMetrics")), fetch, source)
    quality = next((e for e in evaluations if e["dataset"] == "model-quality"), None)
    record["spec"] = prune(
        {
            "task": _str(response.get("Task")),
            "intended_use": customer.get("intended_use"),
            "lineage": {
                "code": {
                    "repository": _str(properties.get("Repository")),
                    "commit": _str(properties.get("CommitId")),
                },
                "generated_by": _str(properties.get("GeneratedBy")),
                "parent": _str(base.get("HubContentName")),
                "source_uri": _str(response.get("SourceUri")),
            },
            "artifact": {
                "uri": _str(first.get("ModelDataUrl"))
                or _str(
                    _dict(_dict(first.get("ModelDataSource")).get("S3DataSource")).get("S3Uri")
                ),
                "image": _str(first.get("Image")),
                "image_digest": _str(first.get("ImageDigest")),
            },
            # the response is no model card: SageMaker's own (ModelCard), or one a property names
            "documentation": {"model_card": _model_card(response, customer, source)},
            "metrics": dict(quality["metrics"]) if quality else None,
            "evaluations": evaluations,
            "approvals": _approvals(response),
        }
    )
    set_labels(
        record,
        {
            SOURCE_LABEL: "sagemaker",
            "approval_status": response.get("ModelApprovalStatus"),
            "package_status": response.get("ModelPackageStatus"),
            "lifecycle_stage": lifecycle.get("Stage"),
            "lifecycle_status": lifecycle.get("StageStatus"),
            "domain": response.get("Domain"),
            "framework": first.get("Framework"),
            "framework_version": first.get("FrameworkVersion"),
            "arn": arn,
        },
        {
            k: v
            for k, v in customer.items()
            if not k.startswith(OVERLAY_PREFIX) and k != "intended_use"
        },
    )
    record["spec"]["extra"] = {"sagemaker": {"package": response, "metrics_reports": reports}}
    overlay: dict[str, Any] = {}
    for key, value in customer.items():
        if key.startswith(OVERLAY_PREFIX):
            parts = key[len(OVERLAY_PREFIX) :].split(".")
            if len(parts) < 2 or parts[0] not in ("metadata", "spec") or not all(parts):
                raise ImporterError(
                    f"CustomerMetadataProperties key {short_value(key, 80)}: expected"
                    " policygate:metadata.X or policygate:spec.X",
                    Location(source),
                )
            where = format_json_path(("CustomerMetadataProperties", key))
            overlay_path(overlay, parts, overlay_value(value, source, where))
    if overlay:
        merge_source_overlay(record, overlay, source)
    return record


def _model_card(response: dict[str, Any], customer: dict[str, str], source: str) -> str | None:
    """The ``model_card`` customer property, else the package's own ``ModelCard`` (its place)."""
    if customer.get("model_card"):
        return customer["model_card"]
    card = _dict(response.get("ModelCard"))
    return f"{source}#ModelCard" if _str(card.get("ModelCardContent")) else None


def _approvals(response: dict[str, Any]) -> list[dict[str, Any]]:
    """``ModelApprovalStatus`` Approved/Rejected as one approval; PendingManualApproval as none.

    SageMaker records who last modified the package and when, not who
    approved it: the approval names ``LastModifiedBy`` and ``LastModifiedTime``
    and says so in its note.
    """
    decision = _DECISIONS.get(str(response.get("ModelApprovalStatus")))
    if decision is None:
        return []
    note = _str(response.get("ApprovalDescription"))
    return [
        prune(
            {
                "role": "sagemaker-model-registry",
                "approver": _user(response.get("LastModifiedBy")),
                "decision": decision,
                "granted_at": normalize_timestamp(response.get("LastModifiedTime")),
                "note": note
                or "ModelApprovalStatus of the model package (approver: last modifier)",
            }
        )
    ]


def _user(context: Any) -> str | None:
    user = _dict(context)
    return (
        _str(user.get("UserProfileName"))
        or _str(_dict(user.get("IamIdentity")).get("Arn"))
        or _str(user.get("UserProfileArn"))
    )


def _metrics(
    model_metrics: dict[str, Any], fetch: Fetch, source: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Evaluations from the statistics files, and what became of every report named."""
    evaluations: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    for family, member in _METRIC_REPORTS:
        reference = _dict(_dict(model_metrics.get(family)).get(member))
        uri = _str(reference.get("S3Uri"))
        if uri is None:
            continue
        found = fetch(uri)
        data, where = found if found is not None else (None, uri)
        report: dict[str, Any] = {
            "report": f"{family}.{member}",
            "s3_uri": uri,
            "read": data is not None,
        }
        reports.append(report)
        if data is None:
            continue
        digest = _str(reference.get("ContentDigest"))
        if digest is not None:
            expected = digest.lower().removeprefix("sha256:")
            actual = hashlib.sha256(data).hexdigest()
            if actual != expected:
                raise ImporterError(
                    f"{family}.{member} ({short_value(uri, 120)}) does not match its"
                    f" ContentDigest: sha256:{actual} is not {short_value(digest, 80)}",
                    Location(source),
                )
            report["digest_verified"] = True
        if (family, member) != ("ModelQuality", "Statistics"):
            continue
        name = uri.rsplit("/", 1)[-1]
        try:
            documents = load_text(data, where)
        except LoadError as error:
            raise ImporterError(
                f"ModelQuality statistics {name}: {error.message}", error.location
            ) from None
        content = documents[0].data if len(documents) == 1 else None
        if not isinstance(content, dict):
            raise ImporterError(
                f"ModelQuality statistics {name} is not a JSON object", Location(where, 1, 1)
            )
        evaluations.append(_evaluation(content))
    return evaluations, reports


def _evaluation(statistics: dict[str, Any]) -> dict[str, Any]:
    """A SageMaker statistics file as an evaluation.

    SageMaker Pipelines' evaluation reports and Model Monitor's model quality
    statistics group metrics by problem type (``regression_metrics``,
    ``binary_classification_metrics``, ``multiclass_classification_metrics``),
    each metric ``{value, standard_deviation}``; non-numeric entries (a
    confusion matrix, ``"NaN"``) stay in the file only.
    """
    found: list[tuple[str, int | float, int | float | None]] = []
    for family, group in statistics.items():
        if not str(family).endswith("_metrics") or not isinstance(group, dict):
            continue
        for key, entry in group.items():
            value = as_number(entry.get("value") if isinstance(entry, dict) else entry)
            if value is None:
                continue
            spread = as_number(entry.get("standard_deviation")) if isinstance(entry, dict) else None
            found.append((str(key), value, spread))
    # One name in two families (binary_classification_metrics.auc 0.61 and a
    # custom_metrics.auc 0.99): the same value is one metric, others are numbered
    # (auc_1, auc_2) so that no family's value is silently the auc.
    values: dict[str, set[int | float]] = {}
    for key, value, _ in found:
        values.setdefault(key, set()).add(value)
    kept: list[tuple[str, int | float, int | float | None]] = []
    seen: set[str] = set()
    for entry in found:
        if len(values[entry[0]]) > 1 or entry[0] not in seen:
            kept.append(entry)
            seen.add(entry[0])
    keys = numbered([key for key, _, _ in kept])
    metrics = {key: value for key, (_, value, _) in zip(keys, kept, strict=True)}
    spreads = {
        key: spread for key, (_, _, spread) in zip(keys, kept, strict=True) if spread is not None
    }
    dataset = _dict(statistics.get("dataset"))
    evaluation = prune(
        {
            "dataset": "model-quality",
            "metrics": metrics,
            "spreads": spreads,
            "item_count": as_number(dataset.get("item_count")),
        }
    )
    evaluation.setdefault("metrics", {})
    return evaluation


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    return text or None


IMPORTER = SageMakerImporter()


def _aws_error_code(error: Exception) -> str | None:
    """The error code a botocore ``ClientError`` carries (``NoSuchKey``), as data."""
    response = getattr(error, "response", None)
    details = response.get("Error") if isinstance(response, dict) else None
    code = details.get("Code") if isinstance(details, dict) else None
    return code if isinstance(code, str) else None
