"""A statistics file S3 says is absent is skipped; any other S3 error stops the
import (fail closed). Which one it is comes from the error's code as botocore
gives it, never from its text: an AccessDenied whose message happens to say
"NoSuchKey" is still a refusal (issue 18: no code matches error text)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from policygate.importers.interface import ImporterError
from policygate.importers.sagemaker import read_with_clients

PACKAGE = Path(__file__).parent.parent / "data" / "sagemaker" / "credit-risk" / "package.json"
ARN = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/credit-risk/3"


def _clients() -> tuple[object, object, Stubber, Stubber]:
    keys = {"region_name": "eu-west-1", "aws_access_key_id": "x", "aws_secret_access_key": "y"}
    sagemaker, s3 = boto3.client("sagemaker", **keys), boto3.client("s3", **keys)
    return sagemaker, s3, Stubber(sagemaker), Stubber(s3)


def _package() -> dict[str, object]:
    package = json.loads(PACKAGE.read_text())
    for key in ("CreationTime", "LastModifiedTime"):
        package[key] = dt.datetime.fromisoformat(package[key])
    return package


def test_an_access_denied_that_mentions_nosuchkey_is_still_refused():
    sagemaker, s3, sm_stub, s3_stub = _clients()
    sm_stub.add_response("describe_model_package", _package(), {"ModelPackageName": ARN})
    s3_stub.add_client_error(
        "get_object",
        service_error_code="AccessDenied",
        service_message="Access Denied to NoSuchKey/evaluation.json",
        http_status_code=403,
    )
    s3_stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    with sm_stub, s3_stub, pytest.raises(ImporterError, match="cannot fetch") as raised:
        read_with_clients(ARN, sagemaker, s3)
    assert raised.value.code == "import-failed"


def test_a_missing_statistics_file_is_skipped_by_its_code():
    sagemaker, s3, sm_stub, s3_stub = _clients()
    sm_stub.add_response("describe_model_package", _package(), {"ModelPackageName": ARN})
    for _ in range(2):
        s3_stub.add_client_error(
            "get_object", service_error_code="NoSuchKey", service_message="gone",
            http_status_code=404,
        )  # fmt: skip
    with sm_stub, s3_stub:
        record = read_with_clients(ARN, sagemaker, s3)
    assert record["metadata"]["name"]
