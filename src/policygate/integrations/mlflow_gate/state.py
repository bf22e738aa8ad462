"""What an MLflow registry says its aliases and stages are now, for the out-of-band
audit (``policygate audit mlflow:models:/ --lifecycle-log LOG``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient

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
