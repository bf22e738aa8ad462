"""The shipped high-risk policy with signed approvals required (issue 9, "done when").

An example model signed by the right people passes; it fails, with a message
naming the reason, after any field of the record changes, after the approval
expires, when the signer lacks the role, when the approver owns the model, and
for every other way an approval can be untrustworthy.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from approvals_support import ALICE, BOB, HIGH_RISK, MALLORY, NOW, PRIYA, ROOT
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import policygate
from policygate.approvals import (
    attestation_document,
    load_attestations,
    record_digest,
    with_verified_approvals,
)
from policygate.approvals.digest import normalise
from policygate.timestamps import parse_timestamp

SIGNED = {"require_signed_approvals": True}


@pytest.fixture(scope="module")
def high_risk():
    return policygate.load_policies([HIGH_RISK], params=SIGNED)


def flagged(report) -> dict[str, list[str]]:
    """``rule -> messages`` of the failed and errored results of the one model."""
    (model,) = report.models
    out: dict[str, list[str]] = {}
    for result in model.results:
        if result.status.value in ("fail", "error"):
            out.setdefault(result.rule, []).append(result.message or "")
    return out


def check(record, policies, approvers, **options: Any):
    options.setdefault("now", NOW)
    return policygate.evaluate(copy.deepcopy(record), policies, approvers=approvers, **options)


def test_signed_example_passes(signed, high_risk, approvers):
    report = check(signed, high_risk, approvers)
    assert flagged(report) == {}
    assert report.passed
    statuses = {r.rule: r.status.value for r in report.models[0].results if r.item in (0, None)}
    assert statuses["approval.signed"] == "pass"
    assert statuses["approval.signed-max-age"] == "pass"
    assert statuses["approval.distinct-approvers"] == "pass"


def test_the_gate_and_the_library_agree(signed, high_risk, approvers):
    assert policygate.gate(copy.deepcopy(signed), high_risk, now=NOW, approvers=approvers).passed
    with pytest.raises(policygate.GateFailed):
        policygate.gate(copy.deepcopy(signed), high_risk, now=NOW)


def test_without_an_approvers_directory_nothing_is_verified(signed, high_risk):
    failures = flagged(check(signed, high_risk, None))
    assert set(failures) == {"approval.signed"}
    assert all("no approvers directory given" in m for m in failures["approval.signed"])


def test_unsigned_example_fails_when_signatures_are_required(high_risk, approvers):
    report = policygate.evaluate(
        ROOT / "examples" / "models" / "credit-default-passes.yaml",
        high_risk,
        now=NOW,
        approvers=approvers,
    )
    failures = flagged(report)
    assert set(failures) == {"approval.signed"}
    assert failures["approval.signed"][0] == (
        "No verified approval by role model-risk-officer for production; on record for this "
        'role: ["approved by bob.lindqvist@example.com (not signed)"]'
    )


def test_shipped_policies_do_not_require_signatures_by_default(approvers):
    policies = policygate.load_policies([ROOT / "policies"])
    report = policygate.evaluate([ROOT / "examples" / "models"], policies, now=NOW)
    outcome = {m.name: m.passed for m in report.models}
    assert outcome == {
        "churn-predictor": True,
        "credit-default": True,
        "credit-limit": False,
        "skin-lesion-triage": False,
    }
    for model in report.models:
        signed_rules = [r for r in model.results if r.rule.startswith("approval.signed")]
        assert {r.status.value for r in signed_rules} <= {"skip"}


# --------------------------------------------------------------------------- any field changes

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(-2, 2, allow_nan=False),
    st.text(max_size=6),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=4), inner, max_size=2)
    ),
    max_leaves=4,
)
# These two decide whether production approvals are asked for at all; they are
# tested on their own below.
GATING = {("metadata", "target_stage"), ("spec", "risk_tier")}


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path in the record except the approvals themselves and their parents."""
    if prefix == ("spec", "approvals"):
        return []
    found = [prefix] if prefix not in ((), ("spec",)) else []
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths(item, (*prefix, index)))
    return found


def get(value: Any, path: tuple) -> Any:
    for part in path:
        value = value[part]
    return value


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_change_to_the_record_fails_the_gate_and_says_why(signed, high_risk, approvers, data):
    record = copy.deepcopy(signed)
    path = data.draw(st.sampled_from([p for p in paths(record) if p not in GATING]), label="path")
    parent, last = get(record, path[:-1]), path[-1]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
    if action == "replace":
        new = data.draw(JSON_VALUES, label="new value")
        assume(normalise(new) != normalise(parent[last]))
        parent[last] = new
    elif action == "delete" and isinstance(parent, dict):
        del parent[last]
    else:
        target = parent[last]
        assume(isinstance(target, (dict, list)))
        if isinstance(target, dict):
            key = data.draw(st.text(max_size=4).filter(lambda k: k not in target), label="key")
            target[key] = data.draw(JSON_VALUES, label="added")
        else:
            target.append(data.draw(JSON_VALUES, label="appended"))
    assert record_digest(record) != record_digest(signed)

    report = check(record, high_risk, approvers)
    assert not report.passed
    signed_results = [r for r in report.models[0].results if r.rule == "approval.signed"]
    event(f"approval.signed: {sorted({r.status.value for r in signed_results})}")
    for result in signed_results:
        # error: the change broke what the rule reads (fail closed), else it names the reason
        assert result.status.value in ("fail", "error", "skip")
        if result.status.value == "fail":
            assert "the model record changed since it was signed" in (result.message or "")


def test_changing_the_target_stage_or_risk_tier_invalidates_the_approvals(
    signed, high_risk, approvers
):
    signed["metadata"]["target_stage"] = "staging"
    data = with_verified_approvals(
        signed,
        name="credit-default",
        version="3.1.0",
        now=parse_timestamp(NOW),
        approvers=approvers,
    )
    assert [a["verified"] for a in data["spec"]["approvals"]] == [False, False]
    signed["metadata"]["target_stage"] = "production"
    signed["spec"]["risk_tier"] = "limited"
    report = check(signed, high_risk, approvers)
    assert not report.passed  # the high-risk pack no longer applies: nothing evaluated
    assert flagged(report) == {
        "applicability": [
            "no rule of the loaded policies applies to this model; a model that nothing "
            "was evaluated for does not pass"
        ]
    }


# --------------------------------------------------------------------------- other reasons


def test_expired_approval_fails_with_its_expiry(signed, high_risk, approvers):
    report = check(signed, high_risk, approvers, now="2027-02-18T00:00:00Z")
    (message, _) = flagged(report)["approval.signed"]
    assert "(expired 2027-02-18T00:00:00Z)" in message


def test_signer_without_the_role_fails(record, signer, high_risk, approvers):
    record["spec"]["approvals"] = [
        signer(record, "priya", "model-risk-officer", PRIYA),
        signer(record, "priya", "model-validation", PRIYA),
    ]
    failures = flagged(check(record, high_risk, approvers))
    assert "approval.signed" in failures
    assert (
        "priya.natarajan@example.com did not hold the role model-risk-officer at "
        "2026-11-20T00:00:00Z (held: model-validation)"
    ) in failures["approval.signed"][0]


def test_approver_who_owns_the_model_fails(record, signer, high_risk, approvers):
    record["metadata"]["owner"] = BOB
    record["spec"]["approvals"] = [
        signer(record, "bob", "model-risk-officer", BOB),
        signer(record, "priya", "model-validation", PRIYA),
    ]
    failures = flagged(check(record, high_risk, approvers))
    assert set(failures) == {"approval.separation-of-duties"}
    assert failures["approval.separation-of-duties"] == [
        "model-risk-officer approval is by bob.lindqvist@example.com, who owns or created the "
        "model (owner bob.lindqvist@example.com, created_by alice.moreau@example.com)"
    ]


def test_approver_who_created_the_model_fails(record, signer, high_risk, approvers):
    record["spec"]["approvals"] = [
        signer(record, "alice", "model-risk-officer", ALICE),
        signer(record, "priya", "model-validation", PRIYA),
    ]
    failures = flagged(check(record, high_risk, approvers))
    assert set(failures) == {"approval.separation-of-duties"}


def test_one_person_in_two_required_roles_fails(record, signer, high_risk, approvers):
    record["metadata"]["created_by"] = "someone.else@example.com"
    record["spec"]["approvals"] = [
        signer(record, "alice", "model-risk-officer", ALICE),
        signer(record, "alice", "model-validation", ALICE),
    ]
    failures = flagged(check(record, high_risk, approvers))
    assert set(failures) == {"approval.distinct-approvers"}
    assert failures["approval.distinct-approvers"][0] == (
        'alice.moreau@example.com approved both as model-risk-officer and as ["model-validation"]:'
        " each required role needs a different person"
    )


def test_approval_older_than_the_maximum_age_fails(signed, high_risk, approvers):
    policies = policygate.load_policies([HIGH_RISK], params={**SIGNED, "max_approval_age_days": 3})
    failures = flagged(check(signed, policies, approvers))
    assert set(failures) == {"approval.signed-max-age"}
    assert failures["approval.signed-max-age"][0] == (
        'The verified approval by role model-risk-officer was granted ["2026-11-20T00:00:00Z"], '
        "more than 3 days ago"
    )


def test_a_record_cannot_claim_verified_itself(record, high_risk, approvers):
    forged = {
        "decision": "approved",
        "granted_at": "2026-11-20T00:00:00Z",
        "expires_at": "2027-11-20T00:00:00Z",
        "scope": "production",
        "risk_assessment": "RA-2026-044",
        "verified": True,
        "verification": "trust me",
    }
    record["spec"]["approvals"] = [
        dict(forged, role="model-risk-officer", approver=BOB),
        dict(forged, role="model-validation", approver=PRIYA),
    ]
    failures = flagged(check(record, high_risk, approvers))
    assert set(failures) == {"approval.signed"}
    assert "(not signed)" in failures["approval.signed"][0]


def test_tampered_approval_fails_as_a_bad_signature(signed, high_risk, approvers):
    signed["spec"]["approvals"][0]["expires_at"] = "2030-01-01T00:00:00Z"
    failures = flagged(check(signed, high_risk, approvers))
    assert (
        "bad signature: the approval is not what bob.lindqvist@example.com signed"
        in (failures["approval.signed"][0])
    )


def test_unknown_signer_fails(record, signer, high_risk, approvers):
    record["spec"]["approvals"] = [
        signer(record, "mallory", "model-risk-officer", MALLORY),
        signer(record, "priya", "model-validation", PRIYA),
    ]
    failures = flagged(check(record, high_risk, approvers))
    assert (
        "unknown signer: mallory@example.com is not in the approvers directory"
        in (failures["approval.signed"][0])
    )


def test_attestations_count_like_approvals_in_the_record(signed, high_risk, approvers, tmp_path):
    approvals = signed["spec"].pop("approvals")
    signed["spec"]["approvals"] = []
    path = tmp_path / "attestations.yaml"
    path.write_text(
        "---\n".join(attestation_document("credit-default", "3.1.0", a) for a in approvals)
    )
    attestations = load_attestations([path])
    report = check(signed, high_risk, approvers, attestations=attestations)
    assert report.passed
    assert not check(signed, high_risk, approvers).passed
    other = load_attestations([path])
    signed["metadata"]["version"] = "3.1.1"  # attestations name another version now
    assert not check(signed, high_risk, approvers, attestations=other).passed
