"""MLflow 3 as it really arrives (SPEC §13, issue 17 item 1), against a real store.

The store is a real SQLite tracking and registry store in a temporary folder,
written with MLflow's own fluent API: a scikit-learn model logged as an MLflow 3
*logged model* (so the version's source is ``models:/m-...``), its training set
logged as a run input, metrics logged on the logged model with ``dataset=``, and
``mlflow.models.evaluate`` run on an out-of-time set. Nothing is mocked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from policygate.cli import main
from policygate.importers import import_records
from policygate.importers.interface import ImporterError
from policygate.importers.mlflow import dataset_source, metric_aliases, record_from_snapshot

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("sklearn")

ROOT = Path(__file__).parent.parent.parent
NOW = "2026-11-26T00:00:00Z"
SET = ["--set", "spec.risk_tier=high", "--set", "metadata.target_stage=production"]

# What a team records about a high-risk model beside what MLflow logs itself: the
# policygate.spec.* tags the importer reads as an overlay (docs/importers.md).
GOVERNANCE_TAGS = {
    "policygate.spec.intended_use": (
        "Estimates the 12-month probability of default of consumer credit applicants to"
        " support underwriters' decisions."
    ),
    "policygate.spec.documentation": (
        "{model_card: docs/model-card.md, explainability_report: reports/shap.html}"
    ),
    "policygate.spec.risks": "[R-DISCRIMINATION, R-DRIFT]",
    "policygate.spec.lineage.parent": "credit-default@0",
    "policygate.spec.fairness": (
        "{protected_attributes: [sex], metrics: ["
        "{attribute: sex, metric: demographic_parity_difference, value: 0.03},"
        "{attribute: sex, metric: demographic_parity_ratio, value: 0.92}]}"
    ),
    "policygate.spec.robustness": (
        "[{test: gaussian-noise-0.1, metric: auc, value: 0.86, baseline: 0.87}]"
    ),
    "policygate.spec.approvals": (
        "[{role: model-validation, approver: priya@example.com, decision: approved,"
        " granted_at: '2026-11-01T00:00:00Z', expires_at: '2027-11-01T00:00:00Z',"
        " scope: production, risk_assessment: RA-2026-044},"
        " {role: model-risk-officer, approver: bob@example.com, decision: approved,"
        " granted_at: '2026-11-02T00:00:00Z', expires_at: '2027-11-02T00:00:00Z',"
        " scope: production, risk_assessment: RA-2026-044}]"
    ),
    "policygate.spec.monitoring": (
        "{dashboard: https://monitoring.example.com/credit, checks: [{name: psi-income,"
        " value: 0.04, threshold: 0.2, checked_at: '2026-11-20T00:00:00Z'}]}"
    ),
}


@dataclass
class Store:
    uri: str
    root: Path
    model_id: str
    run_id: str
    version: str


def _frame(seed: int, rows: int = 400) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"income": rng.random(rows), "debt": rng.random(rows)})
    frame["default"] = ((frame.debt - frame.income + 0.05 * rng.random(rows)) > 0).astype(int)
    return frame


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("mlflow3")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        patch.chdir(root)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        client = MlflowClient(uri, uri)
        experiment = client.create_experiment("credit", artifact_location=str(root / "artifacts"))
        train, holdout, oot = _frame(0), _frame(1), _frame(2)
        features = ["income", "debt"]
        with mlflow.start_run(experiment_id=experiment) as run:
            mlflow.set_tags({"mlflow.source.git.repoURL": "https://git.example.com/ml/credit",
                             "mlflow.source.git.commit": "9f1c2ab47e0d"})  # fmt: skip
            training = mlflow.data.from_pandas(
                train, source="s3://lake/credit/applications-2025.parquet",
                name="applications-2025", targets="default",
            )  # fmt: skip
            mlflow.log_input(training, context="training",
                             tags={"datasheet": "docs/datasheets/applications.md",
                                   "license": "internal"})  # fmt: skip
            model = LogisticRegression().fit(train[features], train["default"])
            info = mlflow.sklearn.log_model(model, name="model", input_example=train[features][:2])
            held = mlflow.data.from_pandas(holdout, name="holdout-2026q2", targets="default")
            # what a training script logs by hand: on the logged model, per dataset
            mlflow.log_metric("roc_auc", 0.91, model_id=info.model_id, dataset=held)
            mlflow.log_metric("accuracy_score", 0.90, model_id=info.model_id, dataset=held)
            mlflow.log_metric("accuracy_score", 0.99, model_id=info.model_id, dataset=training)
            # what mlflow.models.evaluate logs on an out-of-time set
            out_of_time = mlflow.data.from_pandas(oot, name="out-of-time-2026q3", targets="default")
            mlflow.models.evaluate(info.model_uri, data=out_of_time, model_type="classifier")
        client.create_registered_model(
            "credit-default", tags={"owner": "credit-risk-ml", **GOVERNANCE_TAGS}
        )
        version = client.create_model_version(
            "credit-default", info.model_uri, run_id=run.info.run_id
        )
        mlflow.set_tracking_uri(None)  # from here on, MLFLOW_TRACKING_URI alone says where
        mlflow.set_registry_uri(None)
        yield Store(uri, root, info.model_id, run.info.run_id, str(version.version))


@pytest.fixture(scope="module")
def record(store: Store) -> dict[str, Any]:
    (found,) = import_records("mlflow", f"models:/credit-default/{store.version}")
    return found


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_the_version_source_is_an_mlflow_3_logged_model(store, record):
    assert record["spec"]["lineage"]["run"]["model_source"] == f"models:/{store.model_id}"
    assert record["spec"]["lineage"]["run"]["model_id"] == store.model_id


def test_the_mlmodel_is_read_through_the_logged_models_artifact_location(record):
    extra = record["spec"]["extra"]["mlflow"]
    assert "source_not_read" not in extra
    assert set(extra["mlmodel"]["flavors"]) == {"python_function", "sklearn"}
    assert record["metadata"]["labels"]["mlflow.flavors"] == "python_function, sklearn"


def test_dataset_linked_metrics_become_evaluations_with_canonical_names(store, record):
    evaluations = {e["dataset"]: e for e in record["spec"]["evaluations"]}
    assert set(evaluations) == {"holdout-2026q2", "out-of-time-2026q3"}  # not the training set
    holdout = evaluations["holdout-2026q2"]
    assert holdout["metrics"] == {"auc": 0.91, "accuracy": 0.90}
    assert holdout["context"] == "evaluation"
    assert len(holdout["digest"]) == 8
    oot = evaluations["out-of-time-2026q3"]["metrics"]
    # mlflow.models.evaluate's default evaluator: scikit-learn names, mapped
    assert {"auc", "accuracy", "f1", "precision", "recall", "log_loss", "pr_auc"} <= set(oot)
    assert not {"roc_auc", "accuracy_score", "f1_score"} & set(oot)
    assert 0.5 < oot["auc"] <= 1


def test_the_headline_is_an_evaluation_set_never_the_training_set(record):
    metrics = record["spec"]["metrics"]
    assert metrics["auc"] == 0.91 and metrics["accuracy"] == 0.90  # holdout, not 0.99
    assert "roc_auc" not in metrics and "accuracy_score" not in metrics


def test_evaluation_data_is_not_training_data_and_sources_are_parsed(record):
    assert record["spec"]["lineage"]["training_data"] == [
        {
            "name": "applications-2025",
            "version": record["spec"]["lineage"]["training_data"][0]["version"],
            "source_type": "s3",
            "source": {"uri": "s3://lake/credit/applications-2025.parquet"},
            "datasheet": "docs/datasheets/applications.md",
            "license": "internal",
        }
    ]


def test_the_owner_comes_from_a_tag_and_the_record_says_so(record):
    assert record["metadata"]["owner"] == "credit-risk-ml"
    assert record["metadata"]["labels"]["mlflow.owner_from"] == "registered_model tag owner"


def test_without_an_owner_tag_the_os_user_is_named_as_such(store):
    from mlflow import MlflowClient

    client = MlflowClient(store.uri, store.uri)
    client.create_registered_model("untagged")
    version = client.create_model_version(
        "untagged", f"models:/{store.model_id}", run_id=store.run_id
    )
    (found,) = import_records("mlflow", f"models:/untagged/{version.version}")
    assert found["metadata"]["owner"] == found["metadata"]["created_by"]
    assert found["metadata"]["labels"]["mlflow.owner_from"] == "run tag mlflow.user (the OS user)"


def test_a_high_risk_mlflow_3_version_passes_the_shipped_packs_given_the_set_it_needs(store):
    source = f"mlflow:models:/credit-default/{store.version}"
    env = {"MLFLOW_TRACKING_URI": store.uri}
    without = run("check", source, "-p", str(ROOT / "policies"), "--now", NOW, env=env)
    assert without.exit_code == 1, without.output
    given = run("check", source, "-p", str(ROOT / "policies"), "--now", NOW, *SET, env=env)
    assert given.exit_code == 0, given.output
    assert given.stdout.startswith("PASSED  credit-default@1  mlflow:models:/credit-default/1\n")
    assert " 0 fail, 0 error," in given.stdout


def test_audit_of_an_alias_passes_the_champion_that_promote_passed(store):
    from mlflow import MlflowClient

    env = {"MLFLOW_TRACKING_URI": store.uri}
    policies = str(ROOT / "policies")
    promoted = run("promote", f"mlflow:models:/credit-default/{store.version}", "--alias",
                   "champion", "-p", policies, "--now", NOW, "--no-tags",
                   "--set", "spec.risk_tier=high", env=env)  # fmt: skip
    assert promoted.exit_code == 0, promoted.output
    assert MlflowClient(store.uri, store.uri).get_model_version_by_alias(
        "credit-default", "champion"
    ).version == int(store.version)
    audited = run("audit", "mlflow:models:/credit-default", "--alias", "champion", "-p",
                  policies, "--now", NOW, *SET, env=env)  # fmt: skip
    assert audited.exit_code == 0, audited.output


# --------------------------------------------------------------------------- no store on a read


@pytest.mark.parametrize("command", ["check", "import"])
def test_a_mistyped_sqlite_uri_is_an_error_and_creates_nothing(store, tmp_path, command):
    typo = tmp_path / "mlfow.db"
    args = ["check", "mlflow:models:/credit-default/1", "-p", str(ROOT / "policies")]
    if command == "import":
        args = ["import", "mlflow:models:/credit-default/1"]
    result = run(*args, env={"MLFLOW_TRACKING_URI": f"sqlite:///{typo}"})
    assert result.exit_code == 2, result.output
    assert f"no MLflow database at '{typo}': a read never creates a store" in result.stderr
    assert not typo.exists()
    assert list(tmp_path.iterdir()) == []


def test_with_no_tracking_uri_mlflow_3s_default_database_is_not_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
    with pytest.raises(ImporterError, match="a read never creates a store"):
        import_records("mlflow", "models:/credit-default/1")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_that_is_no_mlflow_database_is_left_alone(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    before = other.read_bytes()
    for path in (empty, other):
        result = run(
            "import", "mlflow:models:/m/1", env={"MLFLOW_TRACKING_URI": f"sqlite:///{path}"}
        )
        assert result.exit_code == 2
        assert "is not an MLflow database (no MLflow tables in it)" in result.stderr
    assert empty.read_bytes() == b"" and other.read_bytes() == before


def test_a_local_directory_store_that_does_not_exist_is_not_created(tmp_path):
    missing = tmp_path / "mlruns"
    result = run("import", "mlflow:models:/m/1", env={"MLFLOW_TRACKING_URI": str(missing)})
    assert result.exit_code == 2
    assert "no MLflow store at" in result.stderr
    assert not missing.exists()


# --------------------------------------------------------------------------- pieces


def test_metric_aliases_are_extensible_by_argument_and_environment():
    assert metric_aliases()["roc_auc"] == "auc"
    assert metric_aliases({"ks_statistic": "ks"})["ks_statistic"] == "ks"
    environ = {"POLICYGATE_MLFLOW_METRIC_ALIASES": "gini = gini_coefficient, roc_auc=roc"}
    aliases = metric_aliases(environ=environ)
    assert aliases["gini"] == "gini_coefficient" and aliases["roc_auc"] == "roc"
    with pytest.raises(ImporterError, match="expected name=alias pairs"):
        metric_aliases(environ={"POLICYGATE_MLFLOW_METRIC_ALIASES": "roc_auc"})


def test_a_short_name_the_source_gives_keeps_its_value_and_aliases_apply_to_exports():
    metrics = {"auc": 0.8, "roc_auc": 0.9, "ks_statistic": 0.4}
    snap = {"run": {"info": {"run_id": "r1"}, "data": {"metrics": metrics}}}
    record = record_from_snapshot(snap, "mlflow:x", metric_aliases={"ks_statistic": "ks"})
    assert record["spec"]["metrics"] == {"auc": 0.8, "roc_auc": 0.9, "ks": 0.4}
    default = record_from_snapshot(snap, "mlflow:x")
    assert default["spec"]["metrics"] == {"auc": 0.8, "ks_statistic": 0.4}


def test_an_mlflow_2_evaluate_dataset_with_context_eval_is_no_training_data():
    snap = {"run": {"info": {"run_id": "r1"}, "inputs": {"dataset_inputs": [
        {"tags": {"mlflow.data.context": "eval"}, "dataset": {"name": "holdout", "digest": "a"}},
        {"tags": {"mlflow.data.context": "training"}, "dataset": {"name": "train", "digest": "b",
                                                                  "source": "not json"}},
    ]}}}  # fmt: skip
    record = record_from_snapshot(snap, "mlflow:x")
    assert record["spec"]["lineage"]["training_data"] == [
        {"name": "train", "version": "b", "source": "not json"}
    ]


@pytest.mark.parametrize(
    "raw, parsed",
    [
        ('{"uri": "s3://b/k"}', {"uri": "s3://b/k"}),
        ('{"path": "hf/ds", "config_name": null}', {"path": "hf/ds", "config_name": None}),
        ("s3://not-json", "s3://not-json"),
        ('"a json string"', '"a json string"'),
        ("", None),
        (None, None),
    ],
)
def test_dataset_sources_are_parsed_from_mlflows_json_string(raw, parsed):
    assert dataset_source(raw) == parsed


def test_a_logged_model_that_cannot_be_read_is_a_recorded_gap(store, tmp_path):
    from mlflow import MlflowClient

    client = MlflowClient(store.uri, store.uri)
    experiment = client.get_experiment_by_name("credit").experiment_id
    ghost = client.create_logged_model(experiment, name="ghost")
    client.create_registered_model("ghost")
    version = client.create_model_version("ghost", f"models:/{ghost.model_id}")
    client.delete_logged_model(ghost.model_id)  # gone from the store after registration
    (found,) = import_records("mlflow", f"models:/ghost/{version.version}")
    extra = found["spec"]["extra"]["mlflow"]
    assert extra["logged_model_not_read"].startswith(
        f"the logged model '{ghost.model_id}' is not read: "
    )
    assert "the MLmodel of source" in extra["source_not_read"]


def test_promote_refuses_a_set_that_would_forge_an_approval(store):
    result = run("promote", f"mlflow:models:/credit-default/{store.version}", "--alias", "forged",
                 "-p", str(ROOT / "policies"), "--now", NOW, "--no-tags",
                 "--set", "spec.approvals=[{role: model-risk-officer, decision: approved}]",
                 env={"MLFLOW_TRACKING_URI": store.uri})  # fmt: skip
    assert result.exit_code == 2
    assert "spec.approvals cannot be set" in result.stderr


def test_mlflow_2_evaluate_gives_an_evaluation_of_its_one_eval_dataset():
    """MLflow 2's mlflow.evaluate logs its metrics on the run and its dataset with
    context eval: that dataset is the evaluation, with the evaluator's metrics only."""
    inputs = [
        {"tags": {"mlflow.data.context": "training"}, "dataset": {"name": "train", "digest": "t"}},
        {"tags": {"mlflow.data.context": "eval"}, "dataset": {"name": "holdout", "digest": "h"}},
    ]
    metrics = {"roc_auc": 0.9, "accuracy_score": 0.88, "train_loss": 0.2, "example_count": 500}
    snap = {"run": {"info": {"run_id": "r1"}, "data": {"metrics": metrics},
                    "inputs": {"dataset_inputs": inputs}}}  # fmt: skip
    record = record_from_snapshot(snap, "mlflow:x")
    assert record["spec"]["evaluations"] == [
        {"dataset": "holdout", "digest": "h", "context": "eval",
         "metrics": {"auc": 0.9, "accuracy": 0.88, "example_count": 500}}
    ]  # fmt: skip
    assert [d["name"] for d in record["spec"]["lineage"]["training_data"]] == ["train"]
    inputs.append({"tags": {"mlflow.data.context": "test"}, "dataset": {"name": "oot"}})
    assert "evaluations" not in record_from_snapshot(snap, "mlflow:x")["spec"]  # which one?
