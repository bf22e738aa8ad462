"""CycloneDX ML-BOMs: every real sample (1.6 and 1.7), string metrics, dataset refs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policygate.errors import LoadError
from policygate.importers import import_records

BOMS = Path(__file__).parent.parent / "data" / "realdata" / "cyclonedx"
SAMPLES = sorted(BOMS.glob("*.json"))


def records(path: Path | str) -> list[dict]:
    return import_records("cyclonedx", str(path))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_real_bom_imports(path):
    (record,) = records(path)
    assert record["metadata"]["labels"]["policygate/source"] == "cyclonedx"
    assert record["metadata"]["owner"]
    assert record["spec"]["documentation"]["model_card"].startswith(str(path) + "#")
    assert record["spec"]["extra"]["cyclonedx"]["component"]["type"] == "machine-learning-model"


def test_string_metric_values_become_numbers_and_dataset_refs_resolve():
    (record,) = records(BOMS / "bom-examples-model-card-with-dataset-1.7.json")
    spec = record["spec"]
    assert record["metadata"]["name"] == "support-ticket-classifier"
    assert record["metadata"]["version"] == "1.0.0"
    assert record["metadata"]["owner"] == "Example ML Team"
    assert record["metadata"]["created_at"] == "2026-04-28T12:00:00Z"
    assert spec["metrics"] == {"macro_f1": 0.91}
    assert spec["evaluations"] == [
        {
            "dataset": "held-out-evaluation",
            "slice": "held-out-evaluation",
            "metrics": {"macro_f1": 0.91},
        }
    ]
    assert spec["task"] == "text-classification"
    assert spec["intended_use"].startswith("Suggest an initial support queue")
    assert [d["name"] for d in spec["lineage"]["training_data"]] == [
        "support-ticket-training-data",
        "support-ticket-evaluation-data",
    ]
    assert spec["lineage"]["training_data"][0]["version"] == "2026.04"
    assert spec["fairness"]["assessments"][0]["group_at_risk"].startswith("Customers using")


def test_placeholder_metric_text_is_not_a_number():
    (record,) = records(BOMS / "spec-valid-machine-learning-1.6.json")
    assert "metrics" not in record["spec"]
    card = record["spec"]["extra"]["cyclonedx"]["component"]["modelCard"]
    assert card["quantitativeAnalysis"]["performanceMetrics"][0]["value"].startswith("The value")


def test_a_bom_with_trailing_commas_is_read():
    (record,) = records(BOMS / "bom-examples-pr50-bert-base-cased.json")
    assert record["metadata"]["version"] == "cd5ef92a9fb2f889e972770a36d4ed042daf221e"
    assert record["metadata"]["labels"]["license"] == "Apache-2.0"
    assert record["metadata"]["labels"]["region"] == "us"  # a component property


def test_a_component_without_version_gets_a_content_version():
    (record,) = records(BOMS / "spec-valid-ml-considerations-env-1.6.json")
    assert record["metadata"]["name"] == "Llama-2-7b"
    assert len(record["metadata"]["version"]) == 12
    assert record["metadata"]["owner"] == "meta"


def write(tmp_path, bom) -> Path:
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(bom))
    return path


def test_a_model_without_a_model_card_imports_and_a_bom_without_a_model_is_an_error(tmp_path):
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [{"type": "machine-learning-model", "name": "m"}],
    }
    (record,) = records(write(tmp_path, bom))
    assert record["metadata"]["name"] == "m"
    bom["components"] = [{"type": "library", "name": "numpy"}]
    with pytest.raises(LoadError, match="none of type machine-learning-model") as caught:
        records(write(tmp_path, bom))
    assert str(tmp_path / "bom.json") in str(caught.value)


def test_not_a_bom(tmp_path):
    with pytest.raises(LoadError, match="not a CycloneDX BOM"):
        records(write(tmp_path, {"hello": "world"}))


def test_nested_components_and_overlay_properties(tmp_path):
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [
            {
                "type": "application",
                "name": "app",
                "components": [
                    {
                        "type": "machine-learning-model",
                        "name": "inner",
                        "version": "2",
                        "modelCard": {
                            "quantitativeAnalysis": {
                                "performanceMetrics": [
                                    {"type": "auc", "value": " 0.88 "},
                                    {"type": "accuracy", "value": "91"},
                                ]
                            }
                        },
                        "properties": [
                            {"name": "policygate:spec.risk_tier", "value": "high"},
                            {"name": "policygate:metadata.target_stage", "value": "production"},
                            {"name": "team", "value": "risk"},
                        ],
                    },
                ],
            },
        ],
    }
    (record,) = records(write(tmp_path, bom))
    assert record["spec"]["metrics"] == {"auc": 0.88, "accuracy": 91}
    assert record["spec"]["risk_tier"] == "high"
    assert record["metadata"]["target_stage"] == "production"
    assert record["metadata"]["labels"]["team"] == "risk"
