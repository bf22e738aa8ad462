"""SageMaker model packages: recorded DescribeModelPackage responses and the live path.

The responses in tests/data/sagemaker/ are built from botocore's service model
(see SOURCES.md there). The live path runs boto3 against botocore's Stubber:
the same client code, with answers checked against the same service model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from policygate.errors import LoadError
from policygate.importers import import_records
from policygate.importers.sagemaker import read_with_clients

DATA = Path(__file__).parent.parent / "data" / "sagemaker" / "credit-risk"
PACKAGE = DATA / "package.json"
ARN = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/credit-risk/3"


def one(path: Path | str) -> dict:
    (record,) = import_records("sagemaker", str(path))
    return record


def test_an_approved_package_with_its_statistics_beside_it():
    record = one(PACKAGE)
    meta, spec = record["metadata"], record["spec"]
    assert (meta["name"], meta["version"]) == ("credit-risk", "3")
    assert meta["owner"] == "credit-risk-ml"  # CustomerMetadataProperties
    assert meta["created_by"] == "alice"
    assert meta["created_at"] == "2026-09-14T10:00:00.512Z"
    assert meta["stage"] == "staging"  # ModelLifeCycle.Stage
    assert meta["labels"]["approval_status"] == "Approved"
    assert meta["labels"]["cost-center"] == "lending"
    assert spec["risk_tier"] == "high"  # the policygate:spec.risk_tier property
    assert spec["task"] == "CLASSIFICATION"
    assert spec["approvals"] == [
        {
            "role": "sagemaker-model-registry",
            "approver": "bob",
            "decision": "approved",
            "granted_at": "2026-09-20T09:00:00Z",
            "note": "Approved by model risk (RA-2026-044)",
        }
    ]
    assert spec["metrics"] == {
        "accuracy": 0.8825, "auc": 0.9112, "f1": 0.7614, "precision": 0.7931, "recall": 0.7321
    }  # fmt: skip
    (evaluation,) = spec["evaluations"]
    assert evaluation["spreads"]["auc"] == 0.0037 and "precision" not in evaluation["spreads"]
    assert spec["lineage"]["code"] == {
        "repository": "https://git.example.com/ml/credit-risk",
        "commit": "9f1c2ab",
    }
    assert spec["lineage"]["generated_by"].endswith("execution/9x2k7b1qzz0e")
    assert spec["artifact"]["uri"].endswith("model.tar.gz")
    assert spec["artifact"]["image_digest"].startswith("sha256:")
    reports = spec["extra"]["sagemaker"]["metrics_reports"]
    assert reports[0] == {
        "report": "ModelQuality.Statistics",
        "s3_uri": "s3://acme-ml-artifacts/credit-risk/pipelines-9x2k/evaluate/output/evaluation/"
        "evaluation.json",
        "read": True,
        "digest_verified": True,
    }
    assert reports[1]["report"] == "Bias.Report" and reports[1]["read"] is False


def test_a_pending_package_has_no_approval_and_no_metrics():
    record = one(DATA / "package-pending.json")
    assert record["metadata"]["version"] == "4"
    assert "approvals" not in record["spec"] and "metrics" not in record["spec"]
    assert record["metadata"]["labels"]["approval_status"] == "PendingManualApproval"


def test_a_rejected_package_is_a_rejection(tmp_path):
    package = json.loads(PACKAGE.read_text())
    package.update(ModelApprovalStatus="Rejected", ModelMetrics={})
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package))
    assert one(path)["spec"]["approvals"][0]["decision"] == "rejected"


def copy_package(tmp_path: Path, uri: str, digest: str | None = None) -> Path:
    package = json.loads(PACKAGE.read_text())
    statistics = package["ModelMetrics"]["ModelQuality"]["Statistics"]
    statistics["S3Uri"] = uri
    if digest is None:
        statistics.pop("ContentDigest")
    else:
        statistics["ContentDigest"] = digest
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package))
    return path


def test_a_statistics_file_that_does_not_match_its_digest_fails_closed(tmp_path):
    path = copy_package(tmp_path, "s3://b/run/evaluation.json", "sha256:" + "0" * 64)
    (tmp_path / "evaluation.json").write_text('{"binary_classification_metrics": {}}')
    with pytest.raises(LoadError, match="does not match its ContentDigest"):
        import_records("sagemaker", str(path))


@pytest.mark.parametrize(
    "uri",
    ["s3://bucket/..", "s3://bucket/run/.", "s3://bucket", "s3://bucket/a\\..\\x"],
)
def test_a_statistics_name_that_could_leave_the_directory_is_refused(tmp_path, uri):
    path = copy_package(tmp_path, uri)
    with pytest.raises(LoadError, match="names no file that can be read"):
        import_records("sagemaker", str(path))


def test_dot_dot_in_the_key_reads_only_the_file_name_beside_the_response(tmp_path):
    outside = tmp_path / "secret.json"
    outside.write_text('{"regression_metrics": {"mse": {"value": 1}}}')
    inner = tmp_path / "inner"
    inner.mkdir()
    path = copy_package(inner, "s3://bucket/run/../../secret.json")
    record = one(path)  # secret.json is not beside the response: nothing is read
    assert "metrics" not in record["spec"]
    assert record["spec"]["extra"]["sagemaker"]["metrics_reports"][0]["read"] is False


def test_a_symlink_out_of_the_directory_is_refused(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('{"regression_metrics": {"mse": {"value": 1}}}')
    inner = tmp_path / "inner"
    inner.mkdir()
    os.symlink(outside, inner / "evaluation.json")
    path = copy_package(inner, "s3://bucket/run/evaluation.json")
    with pytest.raises(LoadError, match="leads outside its directory"):
        import_records("sagemaker", str(path))


@pytest.mark.parametrize("uri", ["file:///etc/passwd", "/etc/passwd", "http://x/evaluation.json"])
def test_a_statistics_uri_of_another_scheme_is_never_read(tmp_path, uri):
    path = copy_package(tmp_path, uri)
    with pytest.raises(LoadError, match="is not an s3:// or https:// URI"):
        import_records("sagemaker", str(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "is not a JSON object"),
        ('{"a": 1, "a": 2}', "duplicate"),
        ("{", "ModelQuality statistics evaluation.json"),
        ("a: &a [x]\nb: [*a, *a, *a]\n" + "c: " + "[*a]" * 1 + "\n", None),
    ],
)
def test_broken_statistics_are_a_clear_error(tmp_path, content, message):
    path = copy_package(tmp_path, "s3://b/run/evaluation.json")
    (tmp_path / "evaluation.json").write_text(content)
    if message is None:
        record = one(path)  # YAML aliases of no metrics: harmless, nothing imported
        assert "metrics" not in record["spec"]
        return
    with pytest.raises(LoadError, match=message):
        import_records("sagemaker", str(path))


def test_a_response_without_a_name_is_an_error(tmp_path):
    path = tmp_path / "package.json"
    path.write_text('{"ModelPackageStatus": "Completed"}')
    with pytest.raises(LoadError, match="not a DescribeModelPackage response"):
        import_records("sagemaker", str(path))


# --------------------------------------------------------------------------- live


def live_response() -> dict:
    """The recorded response as boto3 returns it: timestamps as datetimes."""
    import datetime as dt

    package = json.loads(PACKAGE.read_text())
    for key in ("CreationTime", "LastModifiedTime"):
        package[key] = dt.datetime.fromisoformat(package[key])
    return package


def stubbed_clients():
    sagemaker = boto3.client(
        "sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    s3 = boto3.client(
        "s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    return sagemaker, s3, Stubber(sagemaker), Stubber(s3)


def test_the_live_path_through_botocore_stubs():
    sagemaker, s3, sm_stub, s3_stub = stubbed_clients()
    sm_stub.add_response("describe_model_package", live_response(), {"ModelPackageName": ARN})
    data = (DATA / "evaluation.json").read_bytes()
    s3_stub.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentLength": len(data)},
        {
            "Bucket": "acme-ml-artifacts",
            "Key": "credit-risk/pipelines-9x2k/evaluate/output/evaluation/evaluation.json",
        },
    )
    s3_stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    with sm_stub, s3_stub:
        record = read_with_clients(ARN, sagemaker, s3)
    sm_stub.assert_no_pending_responses()
    s3_stub.assert_no_pending_responses()
    assert record["metadata"]["created_at"] == "2026-09-14T10:00:00.512Z"
    assert record["spec"]["metrics"]["auc"] == 0.9112
    assert record["spec"]["approvals"][0]["decision"] == "approved"
    assert hashlib.sha256(data).hexdigest() in json.dumps(record["spec"]["extra"])


def test_the_live_path_refuses_a_statistics_file_whose_digest_differs():
    sagemaker, s3, sm_stub, s3_stub = stubbed_clients()
    sm_stub.add_response("describe_model_package", live_response(), {"ModelPackageName": ARN})
    data = b'{"binary_classification_metrics": {"auc": {"value": 0.99}}}'
    s3_stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(data), len(data))})
    with sm_stub, s3_stub, pytest.raises(LoadError, match="does not match its ContentDigest"):
        read_with_clients(ARN, sagemaker, s3)


def test_the_live_path_names_the_service_error():
    sagemaker, s3, sm_stub, _ = stubbed_clients()
    sm_stub.add_client_error(
        "describe_model_package",
        service_error_code="ValidationException",
        service_message="Model package does not exist",
    )
    with sm_stub, pytest.raises(LoadError, match="Model package does not exist") as caught:
        read_with_clients(ARN, sagemaker, s3)
    assert caught.value.location.path == f"sagemaker:{ARN}"


def test_sagemaker_arn_is_read_live(monkeypatch):
    calls = []

    def fake(arn):
        calls.append(arn)
        return json.loads(json.dumps(one(PACKAGE)))

    monkeypatch.setattr("policygate.importers.sagemaker.read_live", fake)
    (record,) = import_records("sagemaker", ARN)
    assert calls == [ARN] and record["metadata"]["name"] == "credit-risk"


@pytest.mark.parametrize("name", ["package.json", "package-pending.json"])
def test_the_recorded_responses_fit_botocores_service_model(name):
    """The Stubber validates a response against DescribeModelPackageOutput."""
    import datetime as dt

    response = json.loads((DATA / name).read_text())
    for key in ("CreationTime", "LastModifiedTime"):
        response[key] = dt.datetime.fromisoformat(response[key])
    sagemaker, _, stub, _ = stubbed_clients()
    stub.add_response("describe_model_package", response, {"ModelPackageName": ARN})
    with stub:
        assert sagemaker.describe_model_package(ModelPackageName=ARN)["ModelPackageName"]
