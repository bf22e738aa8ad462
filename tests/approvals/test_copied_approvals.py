"""A signed approval copied within one record (or into an attestation too) counts once.

Whoever edits a record can paste a verified approval a second time, or add an
attestation file holding the same approval: every copy is signed, by a holder
of the role, for exactly this record. A rule that counts verified approvals
(``filter(a, a.verified).size() >= 2``) would then count one person's one
decision twice.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from approvals_support import BOB, NOW, PRIYA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policygate
from policygate.approvals import Attestation, with_verified_approvals
from policygate.timestamps import parse_timestamp

TWO_VERIFIED = """
apiVersion: policygate/v1
kind: Policy
metadata: {name: two-person}
spec:
  rules:
    - id: two-verified
      check: 'model.spec.approvals.filter(a, a.verified && a.decision == "approved").size() >= 2'
"""


def marked(record: dict[str, Any], approvers, attestations=()) -> list[dict[str, Any]]:
    data = with_verified_approvals(
        record,
        name=record["metadata"]["name"],
        version=record["metadata"]["version"],
        now=parse_timestamp(NOW),
        approvers=approvers,
        attestations=attestations,
    )
    approvals: list[dict[str, Any]] = data["spec"]["approvals"]
    return approvals


@pytest.fixture(scope="module")
def two_person(tmp_path_factory):
    path = tmp_path_factory.mktemp("policies") / "two-person.yaml"
    path.write_text(TWO_VERIFIED, encoding="utf-8")
    return policygate.load_policies([path])


def passes(record, policies, approvers, attestations=()) -> bool:
    report = policygate.evaluate(
        copy.deepcopy(record), policies, approvers=approvers, attestations=attestations, now=NOW
    )
    return report.passed


def test_a_pasted_copy_of_a_verified_approval_counts_once(record, signer, approvers, two_person):
    bob = signer(record, "bob", "model-risk-officer", BOB)
    record["spec"]["approvals"] = [bob, copy.deepcopy(bob)]
    first, second = marked(record, approvers)
    assert first["verified"] is True
    assert second["verified"] is False
    assert second["verification"] == (
        "a copy of the signed approval approvals[0]: one signed approval counts once"
    )
    assert not passes(record, two_person, approvers)


def test_two_signed_approvals_still_count_twice(record, signer, approvers, two_person):
    record["spec"]["approvals"] = [
        signer(record, "bob", "model-risk-officer", BOB),
        signer(record, "priya", "model-validation", PRIYA),
    ]
    assert [a["verified"] for a in marked(record, approvers)] == [True, True]
    assert passes(record, two_person, approvers)


def test_an_attestation_of_an_approval_already_in_the_record_counts_once(
    record, signer, approvers, two_person
):
    bob = signer(record, "bob", "model-risk-officer", BOB)
    record["spec"]["approvals"] = [bob]
    attestation = Attestation("a", "credit-default", "3.1.0", copy.deepcopy(bob))
    first, second = marked(record, approvers, [attestation])
    assert (first["verified"], second["verified"]) == (True, False)
    assert "approvals[0]" in second["verification"]
    assert not passes(record, two_person, approvers, [attestation])


def test_a_copy_with_another_spelling_of_the_signature_counts_once(
    record, signer, approvers, two_person
):
    """Base64 has several spellings of one signature (the unused low bits of its last
    character): a copy spelled otherwise is still the same signed approval."""
    bob = signer(record, "bob", "model-risk-officer", BOB)
    value = bob["signature"]["value"]
    assert value.endswith("==")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(value[-3])
    respelled = value[:-3] + alphabet[last ^ 0b1111] + "=="
    assert respelled != value
    assert base64.b64decode(respelled, validate=True) == base64.b64decode(value)
    copied = copy.deepcopy(bob)
    copied["signature"]["value"] = respelled
    record["spec"]["approvals"] = [bob, copied]
    assert [a["verified"] for a in marked(record, approvers)] == [True, False]
    assert not passes(record, two_person, approvers)


def test_a_copy_of_an_unverified_approval_takes_nothing_from_a_later_verified_one(
    record, signer, approvers
):
    bob = signer(record, "bob", "model-risk-officer", BOB)
    forged = copy.deepcopy(bob)
    forged["signature"]["value"] = base64.b64encode(bytes(64)).decode("ascii")
    record["spec"]["approvals"] = [forged, bob]
    assert [a["verified"] for a in marked(record, approvers)] == [False, True]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(picks=st.lists(st.integers(0, 3), max_size=8))
def test_verified_approvals_are_the_distinct_signed_ones(record, signer, approvers, picks):
    """Law: however often each approval is repeated, in whatever order, the verified ones
    are the first copy of each approval that verifies, and nothing else."""
    pool = [
        signer(record, "bob", "model-risk-officer", BOB),
        signer(record, "priya", "model-validation", PRIYA),
        signer(record, "bob", "model-risk-officer", BOB, granted_at="2026-11-21T00:00:00Z"),
        signer(record, "mallory", "model-risk-officer", BOB),  # not Bob's key
    ]
    record["spec"]["approvals"] = [copy.deepcopy(pool[i]) for i in picks]
    verified = [a["verified"] for a in marked(record, approvers)]
    seen: set[int] = set()
    expected = []
    for i in picks:
        expected.append(i != 3 and i not in seen)
        seen.add(i)
    assert verified == expected
