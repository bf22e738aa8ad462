"""Azure ML model versions: the REST API's shape and `az ml model show`'s (tests/data/azureml/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policygate.errors import LoadError
from policygate.importers import import_records

DATA = Path(__file__).parent.parent / "data" / "azureml"


def one(path: Path | str) -> dict:
    (record,) = import_records("azureml", str(path))
    return record


def test_a_rest_api_model_version():
    record = one(DATA / "model-version-rest.json")
    meta, spec = record["metadata"], record["spec"]
    assert (meta["name"], meta["version"]) == ("credit-default", "7")  # from the ARM id
    assert meta["owner"] == "credit-risk-ml"
    assert meta["created_by"] == "alice@example.com"
    assert meta["created_at"] == "2026-09-14T10:00:00.123Z"
    assert meta["stage"] == "production"
    assert spec["risk_tier"] == "high"  # the policygate.spec.risk_tier tag
    assert spec["intended_use"].startswith("Pre-screening")
    # numeric strings are numbers; system properties and text are labels
    assert spec["metrics"] == {"auc": 0.874, "accuracy": 0.912, "threshold": 0.35}
    assert meta["labels"]["calibrated"] == "true"
    assert meta["labels"]["business_unit"] == "lending"
    assert meta["labels"]["flavors"] == "python_function, sklearn"
    assert meta["labels"]["model_type"] == "mlflow_model"
    assert spec["lineage"]["job"] == {
        "name": "quiet_lemon_5kd2x9h1vq",
        "uri": "azureml://jobs/quiet_lemon_5kd2x9h1vq",
    }
    assert spec["lineage"]["code"] == {
        "repository": "https://git.example.com/ml/credit",
        "commit": "9f1c2ab",
    }
    assert spec["artifact"]["uri"].startswith("azureml://subscriptions/")
    assert spec["extra"]["azureml"]["properties"]["properties"]["auc"] == "0.874"  # as written


def test_an_az_ml_model_show_output():
    record = one(DATA / "model-version-cli.json")
    meta, spec = record["metadata"], record["spec"]
    assert (meta["name"], meta["version"]) == ("churn-scorer", "2")
    assert meta["owner"] == "retention"
    assert meta["created_by"] == "Carol Example"
    assert meta["stage"] == "development"
    assert spec["metrics"] == {"recall": 0.79}  # "0,81" is not a number for Azure: a label
    assert meta["labels"]["f1_score"] == "0,81"
    assert spec["lineage"]["job"]["name"] == "brave_pear_q8w7e6r5t4"


def test_an_archived_version_is_archived(tmp_path):
    resource = json.loads((DATA / "model-version-rest.json").read_text())
    resource["properties"]["isArchived"] = True
    path = tmp_path / "v.json"
    path.write_text(json.dumps(resource))
    assert one(path)["metadata"]["stage"] == "archived"


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"properties": {"tags": {}}, "systemData": {}}, "no model name"),
        ({"name": "m", "version": "1", "tags": ["a"]}, "tags is not a mapping"),
        (
            {"name": "m", "version": "1", "tags": {"policygate.risk_tier": "high"}},
            "expected policygate",
        ),
    ],
)
def test_broken_versions_are_clear_errors(tmp_path, resource, message):
    path = tmp_path / "v.json"
    path.write_text(json.dumps(resource))
    with pytest.raises(LoadError, match=message) as caught:
        import_records("azureml", str(path))
    assert caught.value.location.path == str(path)


def test_the_job_comes_from_the_model_uri_when_no_job_name_is_given(tmp_path):
    resource = {
        "name": "m",
        "version": "1",
        "path": "azureml://jobs/calm_garden_gzd94mfzcr/outputs/artifacts/paths/model",
    }
    path = tmp_path / "v.yaml"
    path.write_text(json.dumps(resource))
    assert one(path)["spec"]["lineage"]["job"]["name"] == "calm_garden_gzd94mfzcr"


def test_a_cli_output_without_creation_context_is_still_the_cli_shape(tmp_path):
    resource = json.loads((DATA / "model-version-cli.json").read_text())
    del resource["creation_context"]
    path = tmp_path / "v.json"
    path.write_text(json.dumps(resource))
    record = one(path)
    meta = record["metadata"]
    assert (meta["name"], meta["owner"]) == ("churn-scorer", "retention")
    assert record["spec"]["metrics"] == {"recall": 0.79}
