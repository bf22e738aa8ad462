"""Shared fixtures: a real MLflow tracking store (SQLite), built once and copied per module.

Never a mock: the store is MLflow's own SQLAlchemy store on a file in
``tmp_path``, with real runs, artifacts, registered models, versions, tags and
aliases. Creating the schema takes seconds, so an empty migrated store is made
once per session and each module gets a copy to seed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# No hypothesis test is a timed test: a deadline fails an example for being slow
# on a loaded machine, not for being wrong (work is bounded by counting it).
settings.register_profile("policygate", deadline=None)
settings.load_profile("policygate")

MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    python_version: 3.11.7
  sklearn:
    sklearn_version: 1.5.2
mlflow_version: 2.17.0
model_uuid: {uuid}
run_id: {run_id}
utc_time_created: '2026-01-01 00:00:00.000000'
"""

GATE_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: registry-gate, version: "1.0.0"}
spec:
  params: {min_auc: 0.8}
  rules:
    - id: performance.auc
      title: AUC at or above the threshold
      category: performance
      check: model.spec.metrics.auc >= params.min_auc
      message: 'AUC {model.spec.metrics.auc} is below {params.min_auc}'
      controls: [eu-ai-act:art-15]
    - id: metadata.owner
      title: An owner is recorded
      category: metadata
      check: has(model.metadata.owner) && model.metadata.owner != ""
      controls: [iso-42001:A.9.4]
    - id: lineage.code
      title: The code commit is recorded
      category: lineage
      check: has(model.spec.lineage.code.commit)
      controls: [eu-ai-act:art-11]
"""


@dataclass
class Registry:
    """A seeded MLflow store: its URI, a client, and where things are."""

    uri: str
    client: Any
    root: Path
    policy: Path


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow store with its schema migrated."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    uri = f"sqlite:///{path}"
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_registered_models()
    return path


@pytest.fixture(scope="module")
def mlflow_registry(
    mlflow_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    """A copy of the template seeded with models (see :func:`seed`), as MLFLOW_TRACKING_URI."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("mlflow")
    shutil.copy(mlflow_template, root / "mlflow.db")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    seed(client, root)
    policy = root / "gate.yaml"
    policy.write_text(GATE_POLICY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        yield Registry(uri, client, root, policy)


def seed(client: Any, root: Path) -> None:
    """credit-default 1 (AUC 0.91, passes the gate), 2 (AUC 0.70, fails), 3 (no run);
    churn 1 (alias champion) and 2."""
    experiment = client.create_experiment("seed", artifact_location=str(root / "artifacts"))
    client.create_registered_model(
        "credit-default",
        tags={"owner": "credit-risk-ml", "Model materiality": "HIGH"},
        description="Probability of default for consumer credit",
    )
    client.create_registered_model("churn", tags={"owner": "retention-ml"})
    for model, auc, extra_tags in (
        ("credit-default", 0.91, {"policygate.spec.risk_tier": "high"}),
        ("credit-default", 0.70, {"task": "binary-classification"}),
        ("churn", 0.85, {}),
        ("churn", 0.65, {}),
    ):
        run = client.create_run(
            experiment,
            tags={
                "mlflow.user": "alice@example.com",
                "mlflow.source.git.repoURL": "https://git.example.com/ml/credit",
                "mlflow.source.git.commit": "9f1c2ab4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0",
            },
        )
        run_id = run.info.run_id
        client.log_metric(run_id, "auc", auc)
        client.log_metric(run_id, "accuracy", 0.9)
        client.log_param(run_id, "max_depth", "6")
        client.log_param(run_id, "class_weight", "None")
        staging = root / f"staging-{run_id}"
        (staging / "model").mkdir(parents=True)
        (staging / "model" / "MLmodel").write_text(MLMODEL.format(uuid=run_id[::-1], run_id=run_id))
        (staging / "model_card.md").write_text(f"# {model}\n")
        client.log_artifacts(run_id, str(staging))
        client.set_terminated(run_id)
        client.create_model_version(
            model,
            f"runs:/{run_id}/model",
            run_id=run_id,
            tags=extra_tags,
            description=f"{model} with AUC {auc}",
        )
    client.create_model_version("credit-default", str(root / "elsewhere"), tags={})
    client.set_registered_model_alias("churn", "champion", "1")
    os.environ.pop("MLFLOW_RUN_ID", None)
