"""Google Model Card Toolkit JSON: every real sample, string metrics, slices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policygate.errors import LoadError
from policygate.importers import import_records

CARDS = Path(__file__).parent.parent / "data" / "realdata" / "model-card-toolkit"
SAMPLES = sorted(CARDS.glob("*.json"))


def one(path: Path | str) -> dict:
    (record,) = import_records("mct", str(path))
    return record


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_real_card_imports(path):
    record = one(path)
    assert record["metadata"]["owner"]
    assert record["metadata"]["created_at"].endswith("T00:00:00Z")
    assert record["spec"]["intended_use"]
    assert record["spec"]["extra"]["mct"]["schema_version"] == "0.0.2"


def test_string_metrics_become_numbers_and_slices_evaluations():
    record = one(CARDS / "cats-vs-dogs-v0.0.2.json")
    spec = record["spec"]
    assert record["metadata"]["version"] == "v1.0"
    assert record["metadata"]["created_at"] == "2020-08-28T00:00:00Z"  # from 08/28/2020
    assert record["metadata"]["labels"]["license"] == "Apache-2.0"  # from custom_text
    assert spec["metrics"] == {"accuracy": 0.9781249761581421}
    assert [e["dataset"] for e in spec["evaluations"]] == ["cat", "Dog"]
    cat = spec["evaluations"][0]
    assert cat["thresholds"] == {"accuracy": 0.5}
    assert cat["confidence_intervals"]["accuracy"] == {"lower": 0.9832885766, "upper": 1.0032885766}


def test_sensitive_data_are_protected_attributes():
    spec = one(CARDS / "full-v0.0.2.json")["spec"]
    assert spec["fairness"] == {"protected_attributes": ["age"]}
    assert spec["metrics"] == {"accuracy": 0.9}


def test_a_card_without_metrics():
    record = one(CARDS / "considerations-v0.0.2.json")
    assert record["metadata"]["version"] == "0.3"
    assert "metrics" not in record["spec"]
    assert record["metadata"]["labels"]["architecture"] == "knn"
    assert [d["name"] for d in record["spec"]["lineage"]["training_data"]] == [
        "train_split",
        "eval_split",
    ]


def test_not_a_card_and_overlay(tmp_path):
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"schema_version": "0.0.2"}))
    with pytest.raises(LoadError, match="no model_details"):
        one(path)
    path.write_text(
        json.dumps(
            {"model_details": {"name": "m"}, "policygate": {"spec": {"risk_tier": "minimal"}}}
        )
    )
    record = one(path)
    assert record["spec"]["risk_tier"] == "minimal"
    assert "policygate" not in record["spec"]["extra"]["mct"]
