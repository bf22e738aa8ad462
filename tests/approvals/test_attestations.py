"""Attestation files: written by approve, read by check --attestations."""

from __future__ import annotations

import pytest
from approvals_support import BOB

from policygate.approvals import attestation_document, load_attestations
from policygate.documents import load_text
from policygate.errors import PolicygateError


def test_an_attestation_reads_back(record, signer, tmp_path):
    approval = signer(record, "bob", "model-risk-officer", BOB)
    text = attestation_document("credit-default", "3.1.0", approval)
    assert text.startswith(
        "apiVersion: policygate/v1\nkind: Attestation\n"
        "metadata:\n  name: credit-default-3.1.0-model-risk-officer\n"
    )
    path = tmp_path / "a.yaml"
    path.write_text(text + "---\n" + text)
    first, second = load_attestations([path])
    assert first.approval == approval == load_text(text, "x")[0].data["spec"]["approval"]
    assert first.concerns("credit-default", "3.1.0")
    assert not first.concerns("credit-default", "3.1.1")
    assert second.location is not None and second.location.line == text.count("\n") + 2


def test_load_errors(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Attestation\nmetadata: {name: a}\n"
        "spec:\n  model: {name: m}\n  approval: {role: r, approver: b, signature: {}}\n"
    )
    with pytest.raises(PolicygateError) as caught:
        load_attestations([path])
    assert str(caught.value) == f"{path}:5:10: 'version' is required (at $.spec.model)"
    path.write_text("apiVersion: policygate/v1\nkind: Approvers\nmetadata: {name: a}\n")
    with pytest.raises(PolicygateError, match="expected an Attestation document, found Approvers"):
        load_attestations([path])
