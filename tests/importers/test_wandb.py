"""W&B artifacts: the public API's answer (tests/data/wandb/) and the SDK shim."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from policygate.errors import LoadError
from policygate.importers import import_records
from policygate.importers.wandb import artifact_fragment, is_artifact_path, record_from_artifact

DATA = Path(__file__).parent.parent / "data" / "wandb"


def one(path: Path | str) -> dict:
    (record,) = import_records("wandb", str(path))
    return record


def test_an_artifact_with_its_logging_run():
    record = one(DATA / "artifact-graphql.json")
    meta, spec = record["metadata"], record["spec"]
    assert (meta["name"], meta["version"]) == ("credit-default", "v12")
    assert meta["owner"] == "acme-risk"  # the entity, as metadata names no owner
    assert meta["created_by"] == "alice"
    assert meta["stage"] == "production"  # an alias
    assert meta["labels"]["aliases"] == "latest, production, v12"
    assert meta["labels"]["framework"] == "xgboost"
    assert spec["risk_tier"] == "high"  # metadata.policygate
    assert spec["task"] == "binary-classification"
    assert spec["metrics"] == {"val_auc": 0.874, "val_accuracy": 0.912, "train_loss": 0.231}
    assert spec["lineage"]["run"] == {
        "id": "3k9x2m7q",
        "name": "lively-sun-42",
    }
    assert spec["lineage"]["code"] == {"commit": "9f1c2ab"}
    assert spec["lineage"]["training_data"] == [
        {"name": "applications-2025", "version": "v7", "type": "dataset"}
    ]
    assert spec["lineage"]["parent"] == "credit-default-base:v3"
    assert spec["artifact"]["digest"] == "a3c9f1e2d4b5a6978877665544332211"
    extra = spec["extra"]["wandb"]
    assert extra["summary"]["_runtime"] == 812.4 and extra["summary"]["notes"] == "early stop"
    assert extra["config"]["max_depth"]["value"] == 6


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"versionIndex": 1}, "no artifactSequence.name"),
        ({"artifactSequence": {"name": "m"}}, "no versionIndex"),
        ({"artifactSequence": {"name": "m"}, "versionIndex": 1, "metadata": "{"},
         "metadata is not JSON"),
        ({"artifactSequence": {"name": "m"}, "versionIndex": 1, "metadata": "[1]"},
         "not a JSON object"),
        (
            {"artifactSequence": {"name": "m"}, "versionIndex": 1,
             "createdBy": {"summaryMetrics": '{"a": 1, "a": 2}'}},
            "duplicate",
        ),
    ],
)  # fmt: skip
def test_broken_artifacts_are_clear_errors(tmp_path, node, message):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(node))
    with pytest.raises(LoadError, match=message) as caught:
        import_records("wandb", str(path))
    assert caught.value.location.path == str(path)


def test_summary_text_of_a_billion_laughs_is_refused_without_expanding_it():
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    node = {
        "artifactSequence": {"name": "m"},
        "versionIndex": 1,
        "createdBy": {"summaryMetrics": laughs},
    }
    with pytest.raises(LoadError, match="summaryMetrics is not JSON"):
        record_from_artifact(node, "a.json")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("acme/credit/model:production", True), ("acme/credit/model:v3", True),
     ("credit/model:v3", False), ("a/b/c", False), ("a/b/c:", False), ("artifact.json", False)],
)  # fmt: skip
def test_is_artifact_path(text, expected):
    assert is_artifact_path(text) is expected


def test_the_live_shim_puts_sdk_objects_in_the_public_api_shape(monkeypatch):
    """The shim's input is the SDK's Artifact/Run attributes (here a stand-in with those names)."""
    run = SimpleNamespace(
        id="3k9x2m7q",
        name="lively-sun-42",
        url="https://wandb.ai/acme/credit/runs/3k9x2m7q",
        commit="9f1c2ab",
        user=SimpleNamespace(username="alice"),
        config={"lr": 0.05},
        summary=SimpleNamespace(_json_dict={"val/auc": 0.9, "_step": 3}),
        used_artifacts=lambda: [SimpleNamespace(name="apps:v7", version="v7", type="dataset")],
    )
    artifact = SimpleNamespace(
        id="QXJ0", entity="acme", project="credit", name="credit-default:v12", version="v12",
        type="model", description=None, metadata={"owner": "risk-team"},
        aliases=["latest", "staging"], tags=[], state="COMMITTED", digest="abc",
        commit_hash="4e5a", created_at="2026-09-14T10:00:00Z", logged_by=lambda: run,
    )  # fmt: skip
    fragment = artifact_fragment(artifact)
    monkeypatch.setattr("policygate.importers.wandb.fetch_live", lambda path: fragment)
    (record,) = import_records("wandb", "acme/credit/credit-default:staging")
    assert (record["metadata"]["name"], record["metadata"]["version"]) == ("credit-default", "v12")
    assert record["metadata"]["owner"] == "risk-team"
    assert record["metadata"]["stage"] == "staging"
    assert record["spec"]["metrics"] == {"val_auc": 0.9}
    assert record["spec"]["lineage"]["training_data"] == [
        {"name": "apps", "version": "v7", "type": "dataset"}
    ]


def test_without_the_sdk_the_live_path_says_which_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_wandb(name, *args, **kwargs):
        if name == "wandb":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wandb)
    from policygate.errors import UsageError

    with pytest.raises(UsageError, match=r"policygate\[wandb\]"):
        import_records("wandb", "acme/credit/credit-default:production")


def test_nested_summary_values_are_metrics_and_media_are_not():
    node = {
        "artifactSequence": {"name": "m"},
        "versionIndex": 0,
        "createdBy": {
            "summaryMetrics": {
                "val": {"auc": 0.9, "cm": {"_type": "table-file", "rows": 3}},
                "a": {"b": {"c": {"d": {"e": 1}}}},
                "_step": 7,
                "epoch": 12,
            }
        },
    }
    record = record_from_artifact(node, "a.json")
    assert record["spec"]["metrics"] == {"val_auc": 0.9, "epoch": 12}
