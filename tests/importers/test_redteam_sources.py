"""Hostile registry fields, BOM properties and card overlays against what an importer derives.

A team writes its own tags, custom properties and card keys; the registry writes
the approval status, the identity and the structured fields. What the team
writes in free-form places must not stand in for what the registry says.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.errors import LoadError
from policygate.importers import import_records
from policygate.importers.interface import keyed_metrics, metric_key, unique_metric_keys

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


# --------------------------------------------------------------------------- overlays


def test_a_custom_property_cannot_lift_the_registrys_rejection(tmp_path):
    approval = "[{role: model-risk-officer, approver: carol, decision: approved}]"
    path = sagemaker_package(
        tmp_path,
        ModelApprovalStatus="Rejected",
        customer={"policygate:spec.approvals": "[]"},
    )
    approvals = one("sagemaker", path)["spec"]["approvals"]
    assert [a["decision"] for a in approvals] == ["rejected"]
    path = sagemaker_package(
        tmp_path, ModelApprovalStatus="Rejected", customer={"policygate:spec.approvals": approval}
    )
    approvals = one("sagemaker", path)["spec"]["approvals"]
    assert [(a["role"], a["decision"]) for a in approvals] == [
        ("sagemaker-model-registry", "rejected"),
        ("model-risk-officer", "approved"),  # added beside the registry's, never instead
    ]


def test_an_overlay_approval_that_is_no_list_beside_a_registry_approval_is_an_error(tmp_path):
    path = sagemaker_package(
        tmp_path, ModelApprovalStatus="Rejected", customer={"policygate:spec.approvals": "null"}
    )
    with pytest.raises(LoadError, match="spec.approvals"):
        one("sagemaker", path)
    path = sagemaker_package(
        tmp_path, ModelApprovalStatus="Rejected", customer={"policygate:spec": "{}"}
    )
    with pytest.raises(LoadError, match="spec"):
        one("sagemaker", path)


def test_an_mlflow_tag_cannot_drop_a_rejected_transition_request(tmp_path):
    export = json.loads((DATA / "mlflow" / "model-version-export.json").read_text())
    version = export["model_version"]
    version["transition_requests"].append(
        {
            "creation_timestamp": 1767229150000,
            "user_id": "risk@example.com",
            "activity_type": "REJECTED_REQUEST",
            "to_stage": "Production",
        }
    )
    version["tags"]["policygate.spec.approvals"] = "[]"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    decisions = [a["decision"] for a in one("mlflow", path)["spec"]["approvals"]]
    assert "rejected" in decisions


@pytest.mark.parametrize(
    ("field", "value"), [("metadata.version", '"1"'), ("metadata.name", "other-model")]
)
def test_a_custom_property_cannot_retarget_the_packages_identity(tmp_path, field, value):
    path = sagemaker_package(tmp_path, customer={f"policygate:{field}": value})
    with pytest.raises(LoadError, match=field.replace(".", r"\.")):
        one("sagemaker", path)


def test_a_card_overlay_cannot_rename_the_repo_its_path_names(tmp_path):
    card = tmp_path / "models" / "acme" / "scorer" / "README.md"
    card.parent.mkdir(parents=True)
    card.write_text(
        "---\nlicense: mit\n"
        "policygate: {metadata: {name: trusted/scorer}, spec: {risk_tier: limited}}\n---\n"
    )
    with pytest.raises(LoadError, match=r"metadata\.name"):
        one("hf", card)
    card.write_text("---\nlicense: mit\npolicygate: {spec: {risk_tier: limited}}\n---\n")
    record = one("hf", card)
    assert record["metadata"]["name"] == "acme/scorer" and record["spec"]["risk_tier"] == "limited"


def test_a_bom_property_cannot_set_the_version_the_bom_gives(tmp_path):
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [
            {
                "type": "machine-learning-model",
                "name": "scorer",
                "version": "2",
                "properties": [{"name": "policygate:metadata.version", "value": "\"1\""}],
            }
        ],
    }
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(bom))
    with pytest.raises(LoadError, match=r"metadata\.version"):
        one("cyclonedx", path)


def test_import_set_may_still_name_the_record(tmp_path):
    """``import --set`` is the operator's, not the source's: it may set the identity."""
    path = sagemaker_package(tmp_path)
    (record,) = import_records(
        "sagemaker", str(path), {"metadata": {"version": "3-rc"}, "spec": {"risk_tier": "high"}}
    )
    assert record["metadata"]["version"] == "3-rc"


# --------------------------------------------------------------------------- metric names


def test_azure_properties_whose_names_collide_are_no_headline_metric(tmp_path):
    resource = json.loads((DATA / "azureml" / "model-version-rest.json").read_text())
    # the job logged auc 0.874; a property AUC written beside it must not be judged instead
    resource["properties"]["properties"].update({"AUC": "0.99", "Accuracy": "0.912"})
    path = tmp_path / "model.json"
    path.write_text(json.dumps(resource))
    spec = one("azureml", path)["spec"]
    assert "auc" not in spec["metrics"]
    assert sorted(v for k, v in spec["metrics"].items() if k.startswith("auc_")) == [0.874, 0.99]
    assert spec["metrics"]["accuracy"] == 0.912  # the same value under two names is one metric
    resource["properties"]["properties"] = {"AUC": "0.99", "auc": "0.874"}  # the other order
    path.write_text(json.dumps(resource))
    assert "auc" not in one("azureml", path)["spec"]["metrics"]


def test_wandb_summary_keys_that_collide_are_no_headline_metric(tmp_path):
    answer = json.loads((DATA / "wandb" / "artifact-graphql.json").read_text())
    run = answer["data"]["project"]["artifact"]["createdBy"]
    summary = {"val": {"auc": 0.62}, "val/auc": 0.97, "val_auc": 0.62, "loss": 0.3}
    for order in (summary, dict(reversed(summary.items()))):
        run["summaryMetrics"] = json.dumps(order)
        path = tmp_path / "artifact.json"
        path.write_text(json.dumps(answer))
        metrics = one("wandb", path)["spec"]["metrics"]
        assert "val_auc" not in metrics and metrics["loss"] == 0.3
        numbered = sorted(v for k, v in metrics.items() if k.startswith("val_auc_"))
        assert numbered == [0.62, 0.62, 0.97]


def test_a_numbered_card_metric_never_overwrites_another(tmp_path):
    card = tmp_path / "README.md"
    card.write_text(
        "---\nmodel-index:\n- name: org/m\n  results:\n  - metrics:\n"
        "    - {type: auc, value: 0.61}\n    - {type: auc, value: 0.62}\n"
        "    - {type: auc_1, value: 0.95}\n---\n"
    )
    metrics = one("hf", card)["spec"]["metrics"]
    assert sorted(metrics.values()) == [0.61, 0.62, 0.95] and "auc" not in metrics
    assert metrics["auc_1"] == 0.95


NAMES = ["auc", "AUC", "auc_1", "Auc-1", "acc", "auc_2", "auc_3"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(NAMES), st.sampled_from([None, "a", "A", "auc", "auc_1"])),
        max_size=8,
    )
)
def test_metric_keys_are_unique_so_no_metric_overwrites_another(pairs):
    keys = unique_metric_keys(pairs)
    assert len(keys) == len(pairs) == len(set(keys))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from([0.5, 0.9, 1])), max_size=8))
def test_keyed_metrics_keep_every_disagreeing_value_and_never_pick_one(named):
    metrics = keyed_metrics(named)
    expected: list[float] = []
    for key in dict.fromkeys(metric_key(n) for n, _ in named):
        given = [v for n, v in named if metric_key(n) == key]
        if len(set(given)) == 1:
            assert metrics[key] == given[0]
            expected.append(given[0])
        else:
            assert key not in metrics
            expected += given
    assert sorted(metrics.values()) == sorted(expected)


def test_metric_keys_of_a_huge_result_take_linear_time():
    """20,000 metrics fit a card's node limit; counting each key in the list was quadratic
    (5 s for 19,000). 200,000 take well under a second now and hours quadratically."""
    import time

    pairs = [(f"m{i}", None) for i in range(200_000)] + [("m1", None)]
    start = time.process_time()
    keys = unique_metric_keys(pairs)
    assert time.process_time() - start < 5
    assert keys[1] == "m1_1" and keys[-1] == "m1_2" and len(set(keys)) == len(keys)


# --------------------------------------------------------------------------- shapes


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "stamp",
    [10**30, 1e308, 10**400, 253_402_300_800_000],
    ids=["past-time_t", "float-max", "past-float", "year-10000"],
)
def test_a_timestamp_past_year_9999_is_no_date_and_no_internal_error(tmp_path, stamp):
    sagemaker = sagemaker_package(tmp_path, CreationTime=stamp)
    assert "created_at" not in one("sagemaker", sagemaker)["metadata"]
    export = json.loads((DATA / "mlflow" / "model-version-export.json").read_text())
    export["model_version"]["creation_timestamp"] = stamp
    export["run"]["run"]["info"]["start_time"] = stamp
    assert "created_at" not in one("mlflow", _write(tmp_path, "e.json", export))["metadata"]
    bom = {
        "bomFormat": "CycloneDX",
        "metadata": {"timestamp": stamp},
        "components": [{"type": "machine-learning-model", "name": "m", "version": "1"}],
    }
    assert "created_at" not in one("cyclonedx", _write(tmp_path, "b.json", bom))["metadata"]
    card = {"model_details": {"name": "m", "version": {"name": "1", "date": stamp}}}
    assert "created_at" not in one("mct", _write(tmp_path, "c.json", card))["metadata"]
    resource = json.loads((DATA / "azureml" / "model-version-rest.json").read_text())
    resource["systemData"]["createdAt"] = stamp
    assert "created_at" not in one("azureml", _write(tmp_path, "a.json", resource))["metadata"]
    answer = json.loads((DATA / "wandb" / "artifact-graphql.json").read_text())
    answer["data"]["project"]["artifact"]["createdAt"] = stamp
    assert "created_at" not in one("wandb", _write(tmp_path, "w.json", answer))["metadata"]


def test_mlflow_export_fields_of_another_shape_are_ignored_not_an_internal_error(tmp_path):
    export = json.loads((DATA / "mlflow" / "model-version-export.json").read_text())
    version, run = export["model_version"], export["run"]["run"]
    version["transition_requests"].append({"activity_type": {"REJECTED_REQUEST": 1}})
    version["metrics"] = 3
    export["logged_model"] = {"metrics": 7}
    run["inputs"] = {"dataset_inputs": [{"dataset": "holdout"}, {"dataset": 1.5, "tags": []}]}
    record = one("mlflow", _write(tmp_path, "e.json", export))
    assert [a["decision"] for a in record["spec"]["approvals"]] == ["approved"]
    run["inputs"] = {"dataset_inputs": 4}
    assert one("mlflow", _write(tmp_path, "e.json", export))["metadata"]["name"] == "churn-scorer"
    registered = {"registered_model": {"name": "churn-scorer", "latest_versions": 5}}
    with pytest.raises(LoadError, match="lists no versions"):
        one("mlflow", _write(tmp_path, "r.json", registered))


def test_wandb_tags_and_mct_sensitive_data_of_another_shape_are_ignored(tmp_path):
    answer = json.loads((DATA / "wandb" / "artifact-graphql.json").read_text())
    answer["data"]["project"]["artifact"]["tags"] = [{"id": 1}, {"name": "gbm"}]
    assert one("wandb", _write(tmp_path, "w.json", answer))["metadata"]["labels"]["tags"] == "gbm"
    card = {
        "model_details": {"name": "m", "version": {"name": "1"}},
        "model_parameters": {"data": [{"name": "d", "sensitive": {"sensitive_data": 0.5}}]},
    }
    assert "fairness" not in one("mct", _write(tmp_path, "c.json", card))["spec"]


# --------------------------------------------------------------------------- overlay values


def _broken_overlays(tmp_path: Path) -> list[tuple[str, Path, str]]:
    """One source per format whose overlay value is broken YAML, and where it is."""
    broken = "[unclosed"
    sources = [
        (
            "sagemaker",
            sagemaker_package(tmp_path, customer={"policygate:spec.risk_tier": broken}),
            "$.CustomerMetadataProperties['policygate:spec.risk_tier']",
        )
    ]
    bom = {
        "bomFormat": "CycloneDX",
        "components": [
            {
                "type": "machine-learning-model",
                "bom-ref": "scorer-ref",
                "name": "scorer",
                "version": "1",
                "properties": [{"name": "policygate:spec.risk_tier", "value": broken}],
            }
        ],
    }
    sources.append(
        ("cyclonedx", _write(tmp_path, "bom.json", bom), "property policygate:spec.risk_tier")
    )
    resource = json.loads((DATA / "azureml" / "model-version-rest.json").read_text())
    resource["properties"]["tags"]["policygate.spec.risk_tier"] = broken
    sources.append(
        ("azureml", _write(tmp_path, "az.json", resource), "tag policygate.spec.risk_tier")
    )
    export = json.loads((DATA / "mlflow" / "model-version-export.json").read_text())
    export["model_version"]["tags"]["policygate.spec.risk_tier"] = broken
    sources.append(("mlflow", _write(tmp_path, "e.json", export), "tag policygate.spec.risk_tier"))
    return sources


def test_a_broken_overlay_value_is_a_load_error_naming_the_file_and_the_field(tmp_path):
    for fmt, path, where in _broken_overlays(tmp_path):
        with pytest.raises(LoadError) as raised:
            import_records(fmt, str(path))
        error = raised.value
        assert error.location is not None and error.location.path.endswith(path.name), fmt
        assert where in error.message and "does not parse" in error.message, fmt


def test_the_import_command_names_the_file_of_a_broken_overlay_value(tmp_path):
    from click.testing import CliRunner

    from policygate.cli import main

    for fmt, path, where in _broken_overlays(tmp_path):
        result = CliRunner().invoke(main, ["import", fmt, str(path)])
        assert result.exit_code == 2, (fmt, result.output)
        assert str(path) in result.output and where in result.output, (fmt, result.output)


# --------------------------------------------------------------------------- model cards


def _model_card(record: dict[str, Any]) -> Any:
    return record["spec"].get("documentation", {}).get("model_card")


def test_a_registry_response_is_no_model_card(tmp_path):
    """A DescribeModelPackage response, an Azure model version or a W&B artifact is not a
    published model card: the baseline's documentation.model-card rule must not pass on it."""
    assert _model_card(one("sagemaker", sagemaker_package(tmp_path))) is None
    assert _model_card(one("azureml", DATA / "azureml" / "model-version-rest.json")) is None
    assert _model_card(one("wandb", DATA / "wandb" / "artifact-graphql.json")) is None


def test_a_registry_names_its_model_card_where_it_can(tmp_path):
    url = "https://docs.example.com/credit-risk/model-card.md"
    assert _model_card(one("sagemaker", sagemaker_package(tmp_path, customer={"model_card": url})))
    card = {"ModelCardContent": '{"model_overview": {"model_name": "credit-risk"}}',
            "ModelCardStatus": "Approved"}  # fmt: skip
    path = sagemaker_package(tmp_path, ModelCard=card)
    assert _model_card(one("sagemaker", path)) == f"{path}#ModelCard"
    resource = json.loads((DATA / "azureml" / "model-version-rest.json").read_text())
    resource["properties"]["tags"]["model_card"] = url
    assert _model_card(one("azureml", _write(tmp_path, "az.json", resource))) == url
    answer = json.loads((DATA / "wandb" / "artifact-graphql.json").read_text())
    artifact = answer["data"]["project"]["artifact"]
    artifact["metadata"] = json.dumps({**json.loads(artifact["metadata"]), "model_card": url})
    assert _model_card(one("wandb", _write(tmp_path, "w.json", answer))) == url


def test_a_bom_component_without_a_model_card_has_none(tmp_path):
    component = {"type": "machine-learning-model", "bom-ref": "m-1", "name": "m", "version": "1"}
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [component]}
    assert _model_card(one("cyclonedx", _write(tmp_path, "bom.json", bom))) is None
    component["modelCard"] = {"considerations": {"useCases": ["Scoring"]}}
    path = _write(tmp_path, "bom.json", bom)
    assert _model_card(one("cyclonedx", path)) == f"{path}#m-1"


def test_the_baseline_model_card_rule_fails_on_a_package_without_one(tmp_path):
    import policygate
    from policygate.models import model_from_data

    root = Path(__file__).parent.parent.parent
    policies = policygate.load_policies([str(root / "policies" / "production-high-risk.yaml")])
    path = str(sagemaker_package(tmp_path))
    records = [model_from_data(r, f"sagemaker:{path}") for r in import_records("sagemaker", path)]
    report = policygate.evaluate(records, policies, now="2026-11-26T00:00:00Z")
    found = {
        r.status.value for r in report.models[0].results if r.rule == "documentation.model-card"
    }
    assert "fail" in found and "pass" not in found


# --------------------------------------------------------------------------- sizes


def _many_models_bom(models: int, dependencies: int) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "components": [
            {"type": "machine-learning-model", "bom-ref": f"m{i}", "name": f"m{i}"}
            for i in range(models)
        ],
        "dependencies": [{"ref": "m0", "dependsOn": ["d0"]}]
        + [{"ref": f"r{i}"} for i in range(dependencies)],
    }


def _nodes(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_nodes(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_nodes(v) for v in value)
    return 1


def test_a_bom_header_is_not_copied_into_thousands_of_records(tmp_path):
    """5,000 models and 20,000 dependencies (660 KB): every record carried the whole header,
    so `import` wrote 5,000 copies (over 5 minutes) and `check` hashed them (19 s)."""
    bom = _many_models_bom(5_000, 20_000)
    path = _write(tmp_path, "bom.json", bom)
    records = import_records("cyclonedx", str(path))
    assert len(records) == 5_000
    total = sum(_nodes(r["spec"]["extra"]["cyclonedx"]["bom"]) for r in records)
    assert total <= 10 * _nodes(bom)  # bounded by the file, not by models x header
    header = records[0]["spec"]["extra"]["cyclonedx"]["bom"]
    assert header["serialNumber"] == bom["serialNumber"]
    assert header["dependencies"] == [{"ref": "m0", "dependsOn": ["d0"]}]  # its own entry
    assert "dependencies" in header["left_out"]


def test_a_small_bom_header_is_kept_whole_in_each_record(tmp_path):
    bom = _many_models_bom(3, 5)
    bom["vulnerabilities"] = [{"id": "CVE-2026-0001"}]
    records = import_records("cyclonedx", str(_write(tmp_path, "bom.json", bom)))
    for record in records:
        header = record["spec"]["extra"]["cyclonedx"]["bom"]
        assert header == {k: v for k, v in bom.items() if k != "components"}


def test_an_mlflow_export_of_thousands_of_versions_sharing_its_tags_is_refused(tmp_path):
    """3,000 versions of one model with 15,000 tags and a shared run of 5,000 params (a 430 KB
    file): each version's record carried them all (85 s and 7 GB)."""
    export = {
        "registered_model": {
            "name": "m",
            "tags": {f"t{i}": "v" for i in range(15_000)},
            "latest_versions": [
                {"name": "m", "version": str(i), "run_id": "r1"} for i in range(3_000)
            ],
        },
        "run": {"info": {"run_id": "r1"}, "data": {"params": {f"p{i}": "1" for i in range(5_000)}}},
    }
    path = _write(tmp_path, "export.json", export)
    with pytest.raises(LoadError, match="3000 versions") as raised:
        import_records("mlflow", str(path))
    assert raised.value.location is not None and raised.value.location.path == str(path)
    registered = export["registered_model"]
    registered["latest_versions"] = registered["latest_versions"][:4]
    assert len(import_records("mlflow", str(_write(tmp_path, "export.json", export)))) == 4


# --------------------------------------------------------------------------- overlays fill


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("spec.metrics.auc", "0.99"),  # over the digest-checked statistics file's 0.9112
        ("metadata.created_by", "carol"),  # over CreatedBy: the approver-independence rule
        ("metadata.labels.approval_status", "Approved"),  # over ModelApprovalStatus
        ("metadata.stage", "production"),  # over ModelLifeCycle.Stage
        ("spec.evaluations", "[]"),  # would drop the statistics file's evaluation
    ],
)
def test_a_custom_property_cannot_change_what_the_package_says(tmp_path, field, value):
    path = sagemaker_package(
        tmp_path, ModelApprovalStatus="Rejected", customer={f"policygate:{field}": value}
    )
    with pytest.raises(LoadError, match=re.escape(field)) as raised:
        one("sagemaker", path)
    assert "fills" in raised.value.message


def test_a_custom_property_fills_what_the_package_cannot_say(tmp_path):
    path = sagemaker_package(
        tmp_path,
        customer={
            "policygate:spec.risk_tier": "high",
            "policygate:metadata.target_stage": "production",
            "policygate:spec.metrics.auc": "0.9112",  # the same value is no change
            "policygate:spec.fairness.protected_attributes": "[age, sex]",
        },
    )
    record = one("sagemaker", path)
    assert record["spec"]["risk_tier"] == "high"
    assert record["metadata"]["target_stage"] == "production"
    assert record["spec"]["metrics"]["auc"] == 0.9112
    assert record["spec"]["fairness"]["protected_attributes"] == ["age", "sex"]


def test_overlays_of_azure_wandb_and_cards_fill_and_never_change(tmp_path):
    resource = json.loads((DATA / "azureml" / "model-version-rest.json").read_text())
    resource["properties"]["tags"]["policygate.metadata.created_by"] = "carol@example.com"
    with pytest.raises(LoadError, match=r"metadata\.created_by"):
        one("azureml", _write(tmp_path, "az.json", resource))
    answer = json.loads((DATA / "wandb" / "artifact-graphql.json").read_text())
    artifact = answer["data"]["project"]["artifact"]
    metadata = json.loads(artifact["metadata"])
    metadata["policygate"]["metadata"] = {"created_by": "carol"}
    artifact["metadata"] = json.dumps(metadata)
    with pytest.raises(LoadError, match=r"metadata\.created_by"):
        one("wandb", _write(tmp_path, "w.json", answer))
    card = tmp_path / "README.md"
    card.write_text(
        "---\npipeline_tag: text-classification\nmodel-index:\n- name: org/m\n  results:\n"
        "  - metrics:\n    - {type: accuracy, value: 0.61}\n"
        "policygate: {spec: {metrics: {accuracy: 0.95}}}\n---\n"
    )
    with pytest.raises(LoadError, match=r"spec\.metrics\.accuracy"):
        one("hf", card)


def test_mlflow_tags_under_policygate_still_replace_as_the_gate_writes_them(tmp_path):
    """The gate writes policygate.metadata.created_by over the run's claimed user, and nobody
    else may write policygate.* tags (docs/registry-gate.md)."""
    export = json.loads((DATA / "mlflow" / "model-version-export.json").read_text())
    export["model_version"]["tags"]["policygate.metadata.created_by"] = "gate-verified-user"
    record = one("mlflow", _write(tmp_path, "e.json", export))
    assert record["metadata"]["created_by"] == "gate-verified-user"


_leaf = st.one_of(st.none(), st.sampled_from(["", "a", "b"]), st.sampled_from([0, 1, 0.5]))
_tree = st.recursive(
    _leaf,
    lambda inner: st.lists(inner, max_size=2)
    | st.dictionaries(st.sampled_from(["x", "y", "w"]), inner, max_size=3),
    max_leaves=8,
)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    if isinstance(value, dict) and value:
        found: dict[tuple[Any, ...], Any] = {}
        for key, item in value.items():
            found.update(_leaves(item, (*path, key)))
        return found
    return {path: value}


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["x", "y", "z"]), _tree, max_size=3),
    st.dictionaries(st.sampled_from(["x", "y", "z"]), _tree, max_size=3),
)
def test_a_source_overlay_fills_and_never_changes_a_value(spec, patch):
    from policygate.importers.interface import ImporterError, merge_source_overlay, new_record

    record = new_record("m", "1")
    record["spec"] = json.loads(json.dumps(spec))
    before = _leaves(json.loads(json.dumps(spec)))
    try:
        merge_source_overlay(record, {"spec": patch}, "src.json")
    except ImporterError as error:
        assert "never changes what it says" in error.message
        return
    after = _leaves(record["spec"])
    for path, value in before.items():
        if value not in (None, "", [], {}):
            assert after.get(path) == value, path


def test_one_metric_name_in_two_statistics_families_is_no_headline_value(tmp_path):
    statistics = json.loads((SAGEMAKER / "evaluation.json").read_text())
    family = next(k for k in statistics if k.endswith("_metrics"))
    auc = statistics[family]["auc"]["value"]
    statistics["custom_metrics"] = {"auc": {"value": 0.99}, "recall": statistics[family]["recall"]}
    path = sagemaker_package(tmp_path)
    (tmp_path / "evaluation.json").write_text(json.dumps(statistics))
    package = json.loads(path.read_text())
    package["ModelMetrics"]["ModelQuality"]["Statistics"].pop("ContentDigest", None)
    path.write_text(json.dumps(package))
    metrics = one("sagemaker", path)["spec"]["metrics"]
    assert "auc" not in metrics
    assert sorted(v for k, v in metrics.items() if k.startswith("auc_")) == sorted([auc, 0.99])
    assert metrics["recall"] == statistics[family]["recall"]["value"]  # the same value, once


# --------------------------------------------------------------------------- live or file


def test_a_planted_file_does_not_stand_in_for_the_live_wandb_artifact(tmp_path, monkeypatch):
    """`check wandb:acme/credit/credit-default:production` in CI asks W&B; a file at that path
    in the checkout (a pull request can add one) was read instead, with the same source name."""
    asked: list[str] = []
    answer = json.loads((DATA / "wandb" / "artifact-graphql.json").read_text())
    real = answer["data"]["project"]["artifact"]

    def live(path: str) -> dict[str, Any]:
        asked.append(path)
        return real

    monkeypatch.setattr("policygate.importers.wandb.fetch_live", live)
    monkeypatch.chdir(tmp_path)
    planted = tmp_path / "acme" / "credit" / "credit-default:production"
    planted.parent.mkdir(parents=True)
    forged = copy.deepcopy(answer)
    forged["data"]["project"]["artifact"]["createdBy"]["summaryMetrics"] = '{"auc": 0.99}'
    planted.write_text(json.dumps(forged))
    (record,) = import_records("wandb", "acme/credit/credit-default:production")
    assert asked == ["acme/credit/credit-default:production"]
    assert record["spec"]["metrics"].get("auc") != 0.99
    # the file is still reachable, as a path that is no artifact path
    (record,) = import_records("wandb", "./acme/credit/credit-default:production")
    assert record["spec"]["metrics"]["auc"] == 0.99


@pytest.mark.parametrize(
    ("hashes", "digest"),
    [
        ([{"alg": "MD5", "content": "d41d8cd98f00b204e9800998ecf8427e"}], None),
        ([{"alg": "SHA-1", "content": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}], None),
        ([{"alg": "SHA-256", "content": "not-a-digest"}], None),
        ([{"alg": "SHA-512", "content": "ab" * 32}], None),  # a SHA-256 length under SHA-512
        (
            [{"alg": "SHA-512", "content": "zz" * 64}, {"alg": "SHA-256", "content": "AB" * 32}],
            "sha256:" + "ab" * 32,
        ),
        ([{"alg": "BLAKE2b-256", "content": "01" * 32}], "blake2b256:" + "01" * 32),
    ],
)
def test_a_bom_digest_is_a_strong_hash_of_the_right_length(tmp_path, hashes, digest):
    component = {"type": "machine-learning-model", "name": "m", "version": "1", "hashes": hashes}
    bom = {"bomFormat": "CycloneDX", "components": [component]}
    artifact = one("cyclonedx", _write(tmp_path, "bom.json", bom))["spec"]["artifact"]
    assert artifact.get("digest") == digest
    assert len(artifact["hashes"]) == len(hashes)  # every hash is kept as written
