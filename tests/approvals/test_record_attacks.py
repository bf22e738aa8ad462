"""Attacks on a signed record that must not pass the gate (issue 14).

Reordering the approvals changes nothing; a signature taken from another
record, another approval or another version counts for nothing.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from approvals_support import BOB, HIGH_RISK, NOW, PRIYA, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policygate
from policygate.documents import load_file

SIGNED = {"require_signed_approvals": True}


@pytest.fixture(scope="module")
def high_risk():
    return policygate.load_policies([HIGH_RISK], params=SIGNED)


def verdict(record, policies, approvers) -> tuple[bool, Counter]:
    """Passed, and the results regardless of the position of the approval they concern."""
    report = policygate.evaluate(copy.deepcopy(record), policies, approvers=approvers, now=NOW)
    (model,) = report.models
    return report.passed, Counter((r.rule, r.status.value, r.message) for r in model.results)


@pytest.fixture
def contested(signed, signer) -> dict[str, Any]:
    """Signed approvals, a signed rejection, an unsigned claim and a later signed approval."""
    approvals = signed["spec"]["approvals"]
    approvals.append(signer(signed, "bob", "model-risk-officer", BOB,
                            granted_at="2026-11-21T00:00:00Z", decision="rejected"))  # fmt: skip
    claim = {k: v for k, v in approvals[0].items() if k != "signature"}
    approvals.append(dict(claim, granted_at="2026-11-22T00:00:00Z"))
    approvals.append(signer(signed, "priya", "model-validation", PRIYA,
                            granted_at="2026-11-23T00:00:00Z"))  # fmt: skip
    return signed


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(order=st.permutations(range(5)))
def test_reordering_the_approvals_changes_no_result(contested, high_risk, approvers, order):
    expected = verdict(contested, high_risk, approvers)
    assert expected[0] is False
    shuffled = copy.deepcopy(contested)
    shuffled["spec"]["approvals"] = [contested["spec"]["approvals"][i] for i in order]
    assert verdict(shuffled, high_risk, approvers) == expected


def test_a_signature_of_another_record_counts_for_nothing(signed, signer, high_risk, approvers):
    path = ROOT / "examples" / "models" / "credit-limit-fails-fairness-and-expired-approval.yaml"
    other = copy.deepcopy(load_file(path)[0].data)
    foreign = signer(other, "bob", "model-risk-officer", BOB)
    signed["spec"]["approvals"][0] = foreign  # same role, approver, fields: another record
    passed, results = verdict(signed, high_risk, approvers)
    assert not passed
    (message,) = [
        m for (rule, status, m) in results if rule == "approval.signed" and status == "fail"
    ]
    assert "the model record changed since it was signed" in message


def test_a_signature_moved_onto_another_approval_counts_for_nothing(signed, high_risk, approvers):
    bob, priya = signed["spec"]["approvals"]
    priya["signature"] = copy.deepcopy(bob["signature"])  # Bob's signature on Priya's approval
    passed, results = verdict(signed, high_risk, approvers)
    assert not passed
    (message,) = [
        m for (rule, status, m) in results if rule == "approval.signed" and status == "fail"
    ]
    assert f"signed with the key of {BOB}, not of {PRIYA}" in message


def test_an_approval_of_another_version_counts_for_nothing(signed, signer, high_risk, approvers):
    previous = copy.deepcopy(signed)
    previous["metadata"]["version"] = "3.0.2"
    signed["spec"]["approvals"][0] = signer(previous, "bob", "model-risk-officer", BOB)
    assert not verdict(signed, high_risk, approvers)[0]
