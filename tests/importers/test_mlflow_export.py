"""MLflow export files (the REST API's shapes) and MLmodel files, read without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from policygate.errors import LoadError
from policygate.importers import import_records
from policygate.importers.mlflow import param_value, parse_model_uri

DATA = Path(__file__).parent.parent / "data" / "mlflow"


def records(path: Path | str) -> list[dict]:
    return import_records("mlflow", str(path))


def test_a_model_version_with_its_run():
    (record,) = records(DATA / "model-version-export.json")
    meta, spec = record["metadata"], record["spec"]
    assert (meta["name"], meta["version"], meta["stage"]) == ("churn-scorer", "4", "staging")
    assert meta["owner"] == "retention-ml"  # the owner tag
    assert meta["created_by"] == "maria@example.com"
    assert meta["created_at"] == "2026-01-01T00:00:00Z"
    assert spec["risk_tier"] == "limited"  # the risk_tier tag, case folded
    assert spec["intended_use"].startswith("Ranks subscribers")  # a policygate.spec.* tag
    assert spec["metrics"] == {"auc": 0.83, "accuracy": 0.88}
    assert spec["hyperparameters"] == {"max_depth": 5, "subsample": None}
    assert spec["lineage"]["code"] == {
        "repository": "https://git.example.com/ml/churn",
        "commit": "5d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    }
    assert [d["name"] for d in spec["lineage"]["training_data"]] == ["subscribers-2025"]
    assert spec["lineage"]["training_data"][0]["version"] == "7a1b2c3d"
    assert spec["lineage"]["run"]["experiment_id"] == "42"
    assert spec["approvals"] == [
        {
            "role": "stage-transition",
            "approver": "omar@example.com",
            "decision": "approved",
            "granted_at": "2026-01-01T00:58:20Z",
            "scope": "production",
        }
    ]
    extra = spec["extra"]["mlflow"]
    assert extra["run"]["data"]["tags"]["mlflow.log-model.history"][0]["artifact_path"] == "model"
    assert "_creation_timestamp" not in extra["model_version"]


def test_a_registered_model_gives_each_latest_version():
    first, second = records(DATA / "registered-model-export.json")
    assert [first["metadata"]["version"], second["metadata"]["version"]] == ["6", "7"]
    assert second["metadata"]["stage"] == "production"
    assert second["metadata"]["owner"] == "lending-ml@example.com"
    assert second["metadata"]["labels"]["Model materiality"] == "HIGH"
    assert second["spec"]["risk_tier"] == "high"  # registered-model overlay tag
    # policygate's own outcome tags are not metadata
    assert "policygate.passed" not in second["metadata"]["labels"]
    assert "policygate.passed" not in second["spec"]["extra"]["mlflow"]["model_version"]["tags"]


def test_a_run_export_and_its_string_params():
    (record,) = records(DATA / "run-export.json")
    assert record["metadata"]["name"] == "fraud gbm"
    assert record["metadata"]["version"] == "c0ffee00c0ffee00c0ffee00c0ffee00"
    assert record["spec"]["hyperparameters"] == {
        "n_estimators": 100,
        "learning_rate": 0.05,
        "booster": None,
        "enable_categorical": False,
        "missing": "nan",
        "objective": "binary:logistic",
    }
    assert record["spec"]["lineage"]["code"]["commit"] == "0123456789abcdef0123456789abcdef01234567"


def test_an_mlmodel_file():
    (record,) = records(DATA / "fraud-scorer" / "MLmodel")
    assert record["metadata"]["name"] == "fraud-scorer"
    assert record["metadata"]["version"] == "6a1f0c2e9b8d4e7fa3c5b1d9e2f40a17"
    assert record["metadata"]["created_at"] == "2026-01-01T00:01:00.123456Z"
    assert record["metadata"]["labels"]["mlflow.flavors"] == "python_function, sklearn"
    signature = record["spec"]["extra"]["mlflow"]["mlmodel"]["signature"]["inputs"]
    assert "AGE" in signature  # kept as MLflow wrote it: a JSON string


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100", 100),
        ("0.1", 0.1),
        ("None", None),
        ("True", True),
        ("False", False),
        ("nan", "nan"),
        ("logloss", "logloss"),
        (5, 5),
    ],
)
def test_param_value(value, expected):
    assert param_value(value) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/credit/3", ("credit", "3", None)),
        ("models:/credit@champion", ("credit", None, "champion")),
        ("models:/credit/Production", ("credit", "Production", None)),
        ("models:/credit", ("credit", None, None)),
        ("models:/", ("", None, None)),
    ],
)
def test_parse_model_uri(uri, expected):
    assert parse_model_uri(uri) == expected


def test_a_file_that_is_no_export(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(LoadError, match="not an MLflow export"):
        records(path)
    path.write_text("[1, 2]")
    with pytest.raises(LoadError, match="expected an MLflow export"):
        records(path)
