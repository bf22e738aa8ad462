"""Fixtures of the approvals tests: keys, an approvers directory, a signer, records."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from approvals_support import BOB, CREDIT_DEFAULT, GRANTED, PRIYA, Signer, directory_document

from policygate.approvals import Approvers, load_approvers, parse_duration, sign_approval
from policygate.approvals.signing import PrivateKey, generate_key
from policygate.documents import load_file, to_yaml
from policygate.timestamps import parse_timestamp


@pytest.fixture(scope="session")
def keys() -> dict[str, PrivateKey]:
    return {name: generate_key() for name in ("bob", "priya", "alice", "mallory", "old")}


@pytest.fixture(scope="session")
def directory_file(keys, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("approvers") / "approvers.yaml"
    path.write_text(to_yaml(directory_document(keys)), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def approvers(directory_file) -> Approvers:
    return load_approvers([directory_file])


@pytest.fixture
def record() -> dict[str, Any]:
    """The credit-default example with no approvals yet."""
    data = copy.deepcopy(load_file(CREDIT_DEFAULT)[0].data)
    data["spec"]["approvals"] = []
    return data


@pytest.fixture(scope="session")
def signer(keys) -> Signer:
    def sign(
        record: dict[str, Any],
        key: str,
        role: str,
        approver: str,
        *,
        granted_at: str = GRANTED,
        expires_in: str = "90d",
        **fields: Any,
    ) -> dict[str, Any]:
        granted = parse_timestamp(granted_at)
        fields.setdefault("scope", "production")
        fields.setdefault("risk_assessment", "RA-2026-044")
        return sign_approval(
            record,
            keys[key],
            role=role,
            approver=approver,
            granted_at=granted,
            expires_at=granted + parse_duration(expires_in),
            **fields,
        )

    return sign


@pytest.fixture
def signed(record, signer) -> dict[str, Any]:
    """The example, approved by Bob (model-risk-officer) and Priya (model-validation)."""
    record["spec"]["approvals"] = [
        signer(record, "bob", "model-risk-officer", BOB),
        signer(record, "priya", "model-validation", PRIYA),
    ]
    return record
