"""A signed rejection stands, with signed approvals required (issue 14, item 8b).

Only an approval that counts now can lift a rejection: verified (signed by the
role holder, for exactly this record), for the promotion asked for, unexpired,
and granted after the rejection. An unsigned claim, an approval replayed from
another version of the record, one for another stage or one that has lapsed
lifts nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from approvals_support import BOB, HIGH_RISK, NOW, PRIYA

import policygate

SIGNED = {"require_signed_approvals": True}
REJECTED_AT = "2026-11-21T00:00:00Z"
LATER = "2026-11-22T00:00:00Z"


@pytest.fixture(scope="module")
def high_risk():
    return policygate.load_policies([HIGH_RISK], params=SIGNED)


@pytest.fixture
def rejected(signed, signer) -> dict[str, Any]:
    """Both roles approved, then Bob (model-risk-officer) rejected the promotion, signed."""
    rejection = signer(
        signed, "bob", "model-risk-officer", BOB, granted_at=REJECTED_AT, decision="rejected"
    )
    signed["spec"]["approvals"].append(rejection)
    return signed


def outcome(record, policies, approvers) -> tuple[bool, dict[str, str]]:
    report = policygate.evaluate(copy.deepcopy(record), policies, approvers=approvers, now=NOW)
    (model,) = report.models
    statuses = {
        f"{r.rule}[{r.item}]": r.status.value
        for r in model.results
        if r.rule == "approval.no-outstanding-rejection"
    }
    return report.passed, statuses


def test_a_signed_rejection_fails_the_gate(rejected, high_risk, approvers):
    passed, statuses = outcome(rejected, high_risk, approvers)
    assert not passed
    assert statuses["approval.no-outstanding-rejection[2]"] == "fail"


def test_an_unsigned_approval_after_a_signed_rejection_does_not_lift_it(
    rejected, high_risk, approvers
):
    claim = {k: v for k, v in rejected["spec"]["approvals"][0].items() if k != "signature"}
    claim.update(granted_at=LATER, note="approved after all")
    rejected["spec"]["approvals"].append(claim)
    passed, statuses = outcome(rejected, high_risk, approvers)
    assert not passed
    assert statuses["approval.no-outstanding-rejection[2]"] == "fail"


def test_an_approval_claiming_to_be_verified_does_not_lift_it(rejected, high_risk, approvers):
    claim = {k: v for k, v in rejected["spec"]["approvals"][0].items() if k != "signature"}
    claim.update(granted_at=LATER, verified=True, verification="signed by bob")
    rejected["spec"]["approvals"].append(claim)
    assert not outcome(rejected, high_risk, approvers)[0]


def test_a_later_signed_approval_lifts_it(rejected, signer, high_risk, approvers):
    rejected["spec"]["approvals"].append(
        signer(rejected, "bob", "model-risk-officer", BOB, granted_at=LATER)
    )
    passed, statuses = outcome(rejected, high_risk, approvers)
    assert passed, statuses
    assert statuses["approval.no-outstanding-rejection[2]"] == "pass"


def test_an_approval_replayed_from_another_version_does_not_lift_it(
    rejected, signer, high_risk, approvers
):
    other = copy.deepcopy(rejected)
    other["metadata"]["version"] = "3.0.2"
    replayed = signer(other, "bob", "model-risk-officer", BOB, granted_at=LATER)
    rejected["spec"]["approvals"].append(replayed)
    assert not outcome(rejected, high_risk, approvers)[0]


def test_an_approval_for_another_stage_does_not_lift_a_production_rejection(
    rejected, signer, high_risk, approvers
):
    rejected["spec"]["approvals"].append(
        signer(rejected, "bob", "model-risk-officer", BOB, granted_at=LATER, scope="staging")
    )
    assert not outcome(rejected, high_risk, approvers)[0]


def test_a_lapsed_approval_does_not_lift_it(rejected, signer, high_risk, approvers):
    # Granted after the rejection, expired before now; the approval from before the
    # rejection is still in force, but the role's last word that counts is the rejection.
    rejected["spec"]["approvals"].append(
        signer(rejected, "bob", "model-risk-officer", BOB, granted_at=LATER, expires_in="1d")
    )
    assert not outcome(rejected, high_risk, approvers)[0]


def test_an_approval_by_another_role_does_not_lift_it(rejected, signer, high_risk, approvers):
    rejected["spec"]["approvals"].append(
        signer(rejected, "priya", "model-validation", PRIYA, granted_at=LATER)
    )
    assert not outcome(rejected, high_risk, approvers)[0]


def test_an_unsigned_rejection_still_blocks(signed, high_risk, approvers):
    # Fail closed: whoever can edit the record can already stop it, so an
    # unverified rejection is not ignored.
    signed["spec"]["approvals"].append(
        {
            "role": "legal",
            "approver": "dana.wu@example.com",
            "decision": "rejected",
            "granted_at": REJECTED_AT,
            "expires_at": "2027-10-01T00:00:00Z",
        }
    )
    assert not outcome(signed, high_risk, approvers)[0]


def test_without_required_signatures_any_later_approval_lifts_it(rejected, approvers):
    policies = policygate.load_policies([HIGH_RISK])
    claim = {k: v for k, v in rejected["spec"]["approvals"][0].items() if k != "signature"}
    claim.update(granted_at=LATER)
    rejected["spec"]["approvals"].append(claim)
    _, statuses = outcome(rejected, policies, approvers)
    assert statuses["approval.no-outstanding-rejection[2]"] == "pass"
