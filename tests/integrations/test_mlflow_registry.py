"""MLflow as a real registry, end to end: a SQLite-backed tracking store with real runs,
artifacts, versions, tags and aliases (tests/conftest.py), never a mock."""

from __future__ import annotations

import hashlib
import json
import socket

import pytest

import policygate
from policygate.errors import GateFailed, LoadError, UsageError
from policygate.importers import import_records
from policygate.integrations.mlflow import OUTCOME_TAGS, outcome_tags, promote

NOW = "2026-11-26T00:00:00Z"


@pytest.fixture(scope="module")
def gate_policies(mlflow_registry):
    return policygate.load_policies([str(mlflow_registry.policy)])


def test_a_model_version_is_read_with_its_run_and_artifacts(mlflow_registry):
    (record,) = import_records("mlflow", "models:/credit-default/1")
    meta, spec = record["metadata"], record["spec"]
    assert (meta["name"], meta["version"]) == ("credit-default", "1")
    assert meta["owner"] == "credit-risk-ml"  # registered-model tag
    assert meta["created_by"] == "alice@example.com"
    assert meta["labels"]["Model materiality"] == "HIGH"
    assert meta["labels"]["mlflow.flavors"] == "python_function, sklearn"  # from the MLmodel
    assert spec["risk_tier"] == "high"  # a policygate.spec.risk_tier version tag
    assert spec["metrics"] == {"accuracy": 0.9, "auc": 0.91}
    assert spec["hyperparameters"] == {"class_weight": None, "max_depth": 6}
    assert spec["lineage"]["code"]["commit"] == "9f1c2ab4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0"
    assert "model/MLmodel" in spec["lineage"]["artifacts"]
    assert spec["lineage"]["run"]["model_source"].startswith("runs:/")
    assert spec["documentation"]["model_card"].endswith("/model_card.md")
    registered = spec["extra"]["mlflow"]["registered_model"]
    assert registered["description"] == "Probability of default for consumer credit"


def test_aliases_stages_and_whole_models(mlflow_registry):
    (champion,) = import_records("mlflow", "models:/churn@champion")
    assert champion["metadata"]["version"] == "1"
    assert champion["spec"]["extra"]["mlflow"]["model_version"]["aliases"] == ["champion"]
    versions = import_records("mlflow", "models:/credit-default")
    assert [r["metadata"]["version"] for r in versions] == ["1", "2", "3"]
    assert "metrics" not in versions[2]["spec"]  # a version registered without a run
    everything = import_records("mlflow", "models:/")
    assert [(r["metadata"]["name"], r["metadata"]["version"]) for r in everything] == [
        ("churn", "1"),
        ("churn", "2"),
        ("credit-default", "1"),
        ("credit-default", "2"),
        ("credit-default", "3"),
    ]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/credit-default/99", "not found in the MLflow registry"),
        ("models:/no-such-model", "not found in the MLflow registry"),
        ("models:/churn@nobody", "not found in the MLflow registry|alias"),
        ("models:/credit-default/latest-ish", "neither a version number nor a stage"),
    ],
)
def test_an_uri_that_does_not_resolve_is_one_clear_error(mlflow_registry, uri, message):
    with pytest.raises(LoadError, match=message) as caught:
        policygate.load_models([f"mlflow:{uri}"])
    assert str(caught.value).startswith(f"mlflow:{uri}")


def test_a_server_that_does_not_answer_is_one_clear_error(mlflow_registry, monkeypatch):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(LoadError) as caught:
        policygate.load_models(["mlflow:models:/credit-default/1"])
    text = str(caught.value)
    assert text.startswith("mlflow:models:/credit-default/1: ")
    assert f"127.0.0.1:{port}" in text or "does not answer" in text
    assert len(text.splitlines()) == 1


def test_promote_sets_the_alias_only_when_the_gate_passes(mlflow_registry, gate_policies):
    client = mlflow_registry.client
    with pytest.raises(GateFailed) as failed:
        promote("mlflow:models:/credit-default/2", gate_policies, alias="prod", now=NOW)
    assert "prod" not in client.get_registered_model("credit-default").aliases
    tags = client.get_model_version("credit-default", "2").tags
    assert tags["policygate.passed"] == "false"
    assert tags["policygate.failed_rules"] == "registry-gate/performance.auc"
    assert tags == {**tags, **outcome_tags(failed.value.report)}

    report = promote("models:/credit-default/1", gate_policies, alias="prod", now=NOW)
    assert report.passed
    assert str(client.get_registered_model("credit-default").aliases["prod"]) == "1"
    tags = client.get_model_version("credit-default", "1").tags
    assert set(OUTCOME_TAGS) <= set(tags)
    assert tags["policygate.passed"] == "true"
    assert tags["policygate.checked_at"] == NOW
    assert tags["policygate.report_digest"] == (
        "sha256:" + hashlib.sha256(report.to_json().encode()).hexdigest()
    )
    assert tags["policygate.policies"] == "registry-gate@1.0.0"
    assert report.models[0].source == "mlflow:models:/credit-default/1"


def test_a_second_gate_reads_the_same_record_despite_its_own_tags(mlflow_registry, gate_policies):
    first = promote("models:/credit-default/1", gate_policies, now=NOW)
    second = promote("models:/credit-default/1", gate_policies, now=NOW)
    assert first.to_json() == second.to_json()


def test_promote_by_alias_and_target_stage(mlflow_registry, gate_policies):
    report = promote(
        "models:/churn@champion",
        gate_policies,
        alias="stable",
        now=NOW,
        write_tags=False,
        target_stage="staging",
    )
    assert report.models[0].version == "1"
    assert str(mlflow_registry.client.get_registered_model("churn").aliases["stable"]) == "1"
    assert "policygate.passed" not in mlflow_registry.client.get_model_version("churn", "1").tags


def test_promote_needs_exactly_one_version(mlflow_registry, gate_policies):
    with pytest.raises(UsageError, match="names 2 model versions"):
        promote("models:/churn", gate_policies, now=NOW)


def test_check_reads_registry_sources(mlflow_registry, gate_policies):
    report = policygate.evaluate(
        ["mlflow:models:/credit-default/1", "mlflow:models:/credit-default/2"],
        gate_policies,
        now=NOW,
    )
    assert [m.passed for m in report.models] == [True, False]
    assert json.loads(report.to_json())["models"][1]["source"] == "mlflow:models:/credit-default/2"


def test_promote_is_part_of_the_library():
    assert policygate.promote is promote
