"""Hostile registry fields, BOM properties and card overlays against what an importer derives.

A team writes its own tags, custom properties and card keys; the registry writes
the approval status, the identity and the structured fields. What the team
writes in free-form places must not stand in for what the registry says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from policygate.importers import import_records

DATA = Path(__file__).parent.parent / "data"
SAGEMAKER = DATA / "sagemaker" / "credit-risk"


def one(fmt: str, path: Path) -> dict[str, Any]:
    (record,) = import_records(fmt, str(path))
    return record


def sagemaker_package(tmp_path: Path, **changes: Any) -> Path:
    for name in ("evaluation.json",):
        (tmp_path / name).write_bytes((SAGEMAKER / name).read_bytes())
    package = json.loads((SAGEMAKER / "package.json").read_text())
    customer = package["CustomerMetadataProperties"]
    customer.update(changes.pop("customer", {}))
    package.update(changes)
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package))
    return path


# --------------------------------------------------------------------------- labels


def test_a_custom_property_does_not_overwrite_the_approval_status_label(tmp_path):
    path = sagemaker_package(
        tmp_path,
        ModelApprovalStatus="Rejected",
        customer={
            "approval_status": "Approved",
            "arn": "arn:aws:sagemaker:eu-west-1:111122223333:model-package/other/1",
            "policygate/source": "hf",
            "cost-center": "lending",
        },
    )
    record = one("sagemaker", path)
    labels = record["metadata"]["labels"]
    assert labels["approval_status"] == "Rejected"
    assert labels["arn"].endswith("model-package/credit-risk/3")
    assert labels["policygate/source"] == "sagemaker"
    assert labels["cost-center"] == "lending"  # a property of its own name is still a label
    customer = record["spec"]["extra"]["sagemaker"]["package"]["CustomerMetadataProperties"]
    assert customer["approval_status"] == "Approved"  # kept as written, in extra


def test_a_bom_property_does_not_overwrite_the_licence_the_bom_declares(tmp_path):
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [
            {
                "type": "machine-learning-model",
                "name": "scorer",
                "version": "1",
                "licenses": [{"license": {"id": "GPL-3.0-only"}}],
                "purl": "pkg:huggingface/acme/scorer@1",
                "properties": [
                    {"name": "license", "value": "MIT"},
                    {"name": "purl", "value": "pkg:huggingface/trusted/scorer@1"},
                    {"name": "policygate/source", "value": "mct"},
                    {"name": "team", "value": "risk"},
                ],
            }
        ],
    }
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(bom))
    labels = one("cyclonedx", path)["metadata"]["labels"]
    assert labels["license"] == "GPL-3.0-only"
    assert labels["purl"] == "pkg:huggingface/acme/scorer@1"
    assert labels["policygate/source"] == "cyclonedx"
    assert labels["team"] == "risk"


def test_an_azure_tag_does_not_overwrite_the_stage_or_model_type_label(tmp_path):
    resource = json.loads((DATA / "azureml" / "model-version-rest.json").read_text())
    resource["properties"]["tags"].update(
        {"stage": "Archived", "model_type": "custom_model", "policygate/source": "hf"}
    )
    path = tmp_path / "model.json"
    path.write_text(json.dumps(resource))
    labels = one("azureml", path)["metadata"]["labels"]
    assert labels["stage"] == "Production"
    assert labels["model_type"] == "mlflow_model"
    assert labels["policygate/source"] == "azureml"
    assert labels["business_unit"] == "lending"


def test_wandb_metadata_does_not_overwrite_the_aliases_or_state_label(tmp_path):
    answer = json.loads((DATA / "wandb" / "artifact-graphql.json").read_text())
    artifact = answer["data"]["project"]["artifact"]
    metadata = json.loads(artifact["metadata"])
    metadata.update({"aliases": "champion, production", "state": "COMMITTED", "entity": "x"})
    artifact["state"] = "PENDING"
    artifact["metadata"] = json.dumps(metadata)
    path = tmp_path / "artifact.json"
    path.write_text(json.dumps(answer))
    labels = one("wandb", path)["metadata"]["labels"]
    assert labels["aliases"] == "latest, production, v12"
    assert labels["state"] == "PENDING"
    assert labels["entity"] == "acme-risk"
    assert labels["framework"] == "xgboost"


def test_an_mlflow_tag_does_not_overwrite_the_source_label(tmp_path):
    export = json.loads((DATA / "mlflow" / "model-version-export.json").read_text())
    export["model_version"]["tags"]["policygate/source"] = "hf"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    labels = one("mlflow", path)["metadata"]["labels"]
    assert labels["policygate/source"] == "mlflow"
    assert labels["owner"] == "retention-ml"
