"""What an MLflow registry says its aliases and stages are now, for the out-of-band
audit (``policygate audit mlflow:models:/ --lifecycle-log LOG``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from ...lifecycle import Finding

LEGACY_STAGES = ("Staging", "Production", "Archived")


def registry_state(
    client: MlflowClient, names: list[str] | None = None
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, list[str]]]]:
    """``(aliases, stages)``: model -> alias -> version, and model -> stage -> versions,
    of every registered model (or of ``names``)."""
    from ...importers.mlflow import model_versions, registered_model_names

    aliases: dict[str, dict[str, str]] = {}
    stages: dict[str, dict[str, list[str]]] = {}
    for name in names if names is not None else list(registered_model_names(client)):
        model = client.get_registered_model(name)
        aliases[name] = {alias: str(version) for alias, version in (model.aliases or {}).items()}
        in_stage: dict[str, list[str]] = {}
        for version in model_versions(client, name):
            stage = client.get_model_version(name, version).current_stage
            if stage in LEGACY_STAGES:
                in_stage.setdefault(stage, []).append(version)
        stages[name] = in_stage
    return aliases, stages


def lifecycle_findings(
    sources: Sequence[str],
    log: str,
    *,
    protected_aliases: Sequence[str] = (),
    protected_stages: Sequence[str] = (),
    client: MlflowClient | None = None,
) -> list[Finding]:
    """The protected aliases (and stages) of the registries ``sources`` name
    (``mlflow:models:/`` or ``mlflow:models:/NAME``) that the lifecycle log ``log`` does
    not explain: moved, set or removed outside the gate. No protected alias given checks
    every alias."""
    from ...errors import UsageError
    from ...importers import mlflow as mlflow_import
    from ...lifecycle import out_of_band, read

    entries = read(log)
    findings: list[Finding] = []
    for source in sources:
        location = source.removeprefix("mlflow:")
        prefix = mlflow_import.MODELS_PREFIX
        if not source.startswith("mlflow:") or not location.startswith(prefix):
            raise UsageError(
                f"--lifecycle-log audits an MLflow registry: {source!r} is not "
                "mlflow:models:/ or mlflow:models:/NAME"
            )
        name, version, alias = mlflow_import.parse_model_uri(location)
        if version is not None or alias is not None:
            raise UsageError(f"--lifecycle-log: {source!r} names a version; name a model or the "
                             "registry (mlflow:models:/NAME, mlflow:models:/)")  # fmt: skip
        with mlflow_import.registry_errors(source):
            registry = client or mlflow_import.client()
            aliases, stages = registry_state(registry, [name] if name else None)
        findings.extend(
            out_of_band(
                entries, aliases, stages,
                protected_aliases=list(protected_aliases) or None,
                protected_stages=protected_stages,
            )
        )  # fmt: skip
    return findings
