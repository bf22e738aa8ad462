"""MLflow as a real registry: gate a model version, write the outcome back, promote an alias.

:func:`promote` is the one call for a deployment service and for
``policygate promote``: it reads the version through the MLflow client,
evaluates it, records the outcome on the version as tags
(:data:`OUTCOME_TAGS`), and moves the alias only when the gate passed. A
failed gate raises :class:`~policygate.errors.GateFailed` carrying the report,
like :func:`policygate.gate`, after the tags are written, so the registry
shows why the version was held back.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..api import gate
from ..errors import GateFailed, UsageError, format_json_path
from ..message import shortened
from ..models import ModelRecord, model_from_data
from ..policy import Policy
from ..report import Report, Status
from ..waivers import Waiver

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from ..run import Run

TAG_PREFIX = "policygate."
OUTCOME_TAGS = (
    "policygate.passed",  # "true" / "false"
    "policygate.report_digest",  # sha256 of the JSON report
    "policygate.checked_at",  # the report's now
    "policygate.policies",  # name@version of each policy evaluated
    "policygate.summary",  # "41 pass, 2 fail, 1 error, 5 skip, 1 waived"
    "policygate.failed_rules",  # policy/rule of each failing result, or empty
    "policygate.version",  # the policygate version that decided
)
MAX_TAG_VALUE = 5000  # below every MLflow store's limit


def promote(
    source: str,
    policies: Sequence[Policy],
    *,
    alias: str | None = None,
    target_stage: str | None = "production",
    write_tags: bool = True,
    tracking_uri: str | None = None,
    overlay: Mapping[str, Any] | None = None,
    now: _dt.datetime | str | None = None,
    waivers: Sequence[Waiver] = (),
    inputs: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    fail_on: str = "error",
    mlflow_client: MlflowClient | None = None,
    set: Mapping[str, Any] | None = None,  # --set (SPEC §5): record defaults
    run: Run | None = None,
) -> Report:
    """Gate the MLflow model version ``source`` and, if it passes, point ``alias`` at it.

    ``source`` is ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS`` (with or
    without the ``mlflow:`` prefix), read from ``tracking_uri`` (default
    ``MLFLOW_TRACKING_URI``). ``target_stage`` is set as the record's
    ``metadata.target_stage`` (the promotion being asked for; ``None`` keeps
    what the registry says). With ``run`` (:func:`policygate.load_run`, no models)
    the version is judged with that run's inputs (its policies, waivers,
    approvers, risk registers...) and the keywords above it are not used.
    Returns the report when the gate passed; raises
    :class:`GateFailed` (with ``.report``) when it did not, leaving the alias
    where it was.
    """
    from ..importers import mlflow as mlflow_import  # on call: import policygate stays light

    location = source.removeprefix("mlflow:")
    if alias is not None and not alias.strip():
        raise UsageError(
            f"mlflow:{location}: the alias to set is empty (no --alias: gate and tag only)"
        )
    client = mlflow_client or mlflow_import.client(tracking_uri)
    record, name, version = read_version(location, client, overlay, target_stage)
    try:
        report = gate(run.with_records([record])) if run is not None else gate(
            [record],
            policies,
            now=now,
            waivers=waivers,
            inputs=inputs,
            params=params,
            fail_on=fail_on,
            set=set,
        )
    except GateFailed as failure:
        if write_tags:
            unchanged(record, client, overlay, target_stage)  # the outcome is the judged one's
            write_outcome(client, name, version, failure.report)  # type: ignore[arg-type]
        raise
    if write_tags or alias:
        unchanged(record, client, overlay, target_stage)
    if write_tags:
        write_outcome(client, name, version, report)
    if alias:
        with mlflow_import.registry_errors(f"mlflow:models:/{name}@{alias}"):
            client.set_registered_model_alias(name, alias, version)
    return report


def read_version(
    location: str,
    client: MlflowClient,
    overlay: Mapping[str, Any] | None = None,
    target_stage: str | None = None,
) -> tuple[ModelRecord, str, str]:
    """The record of the one model version ``location`` names, with its name and version."""
    from ..importers import mlflow as mlflow_import
    from ..importers import validate_record
    from ..importers.interface import merge_overlay

    source = f"mlflow:{location}"
    with mlflow_import.registry_errors(source):
        versions = mlflow_import.resolve_versions(location, client)
    if len(versions) != 1:
        raise UsageError(
            f"{source}: names {len(versions)} model versions; name one "
            "(models:/NAME/VERSION or models:/NAME@ALIAS)"
        )
    name, version = versions[0]
    pinned = f"{mlflow_import.MODELS_PREFIX}{name}/{version}"
    with mlflow_import.registry_errors(source):
        (data,) = list(mlflow_import.read_registry(pinned, client))
    answered = data["metadata"]  # the registry's, never an overlay's (T-IMPORT-15)
    if (answered.get("name"), answered.get("version")) != (name, version):
        # What is judged is what the alias is set on: a registry (or a proxy, or a
        # database comparing names without case) that answers for another version is refused.
        got = "/".join(shortened(str(answered.get(key)), 80) for key in ("name", "version"))
        raise UsageError(
            f"mlflow:{pinned}: the registry answered with model version {got},"
            " not the one asked for"
        )
    if overlay:
        merge_overlay(data, overlay, "overlay")
    if target_stage is not None:
        data["metadata"]["target_stage"] = target_stage
    validate_record(data, f"mlflow:{pinned}")
    return model_from_data(data, f"mlflow:{pinned}"), name, version


def unchanged(
    judged: ModelRecord,
    client: MlflowClient,
    overlay: Mapping[str, Any] | None = None,
    target_stage: str | None = None,
) -> None:
    """Read the judged version again and refuse (:class:`UsageError`) unless its record is the same.

    The model team may write the registry while the gate runs: a run metric, a tag,
    an artifact, the version deleted and registered again under its number, the
    model renamed and another renamed to its name. The outcome is written and the
    alias set only on the record that was judged.
    """
    source = judged.source.removeprefix("mlflow:")
    now, _, _ = read_version(source, client, overlay, target_stage)
    changed = _changes(judged.data, now.data, ())
    if changed:
        shown = ", ".join(shortened(format_json_path(path), 80) for path in changed[:5])
        if len(changed) > 5:
            shown += f" and {len(changed) - 5} more"
        raise UsageError(
            f"{judged.source}: the model version changed in the registry while it was judged"
            f" ({shown}); nothing was written and no alias was set: run promote again"
        )


def _changes(before: Any, after: Any, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """The paths at which ``after`` differs from ``before``."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            found
            for key in sorted(set(before) | set(after), key=str)
            for found in (
                _changes(before.get(key), after.get(key), (*path, str(key)))
                if key in before and key in after
                else [(*path, str(key))]
            )
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            found
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for found in _changes(b, a, (*path, i))
        ]
    return [] if type(before) is type(after) and before == after else [path]


def write_outcome(client: MlflowClient, name: str, version: str, report: Report) -> dict[str, str]:
    """Record the report's outcome on the model version as ``policygate.*`` tags; returns them."""
    from ..importers import mlflow as mlflow_import

    tags = outcome_tags(report)
    with mlflow_import.registry_errors(f"mlflow:models:/{name}/{version}"):
        for key, value in tags.items():
            client.set_model_version_tag(name, version, key, value)
    return tags


def outcome_tags(report: Report) -> dict[str, str]:
    """The tags that say what the gate decided, from the report alone (no clock, no I/O)."""
    counts = report.counts()
    failed = sorted(
        {
            f"{r.policy}/{r.rule}"
            for m in report.models
            for r in m.results
            if r.status in (Status.FAIL, Status.ERROR) and r.fails_at(report.fail_on)
        }
    )
    return {
        "policygate.passed": "true" if report.passed else "false",
        "policygate.report_digest": "sha256:"
        + hashlib.sha256(report.to_json().encode("utf-8")).hexdigest(),
        "policygate.checked_at": report.now,
        "policygate.policies": _cap(", ".join(f"{p.name}@{p.version}" for p in report.policies)),
        "policygate.summary": ", ".join(f"{n} {status}" for status, n in counts.items()),
        "policygate.failed_rules": _cap(", ".join(failed)),
        "policygate.version": __version__,
    }


def _cap(text: str) -> str:
    return text if len(text) <= MAX_TAG_VALUE else text[: MAX_TAG_VALUE - 1] + "…"
