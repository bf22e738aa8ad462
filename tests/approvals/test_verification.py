"""verify_approval and with_verified_approvals: every reason, and never an exception."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from approvals_support import ALICE, BOB, MALLORY, NOW, PRIYA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate.approvals import (
    NO_DIRECTORY,
    Approvers,
    record_digest,
    verify_approval,
    with_verified_approvals,
)
from policygate.timestamps import parse_timestamp

MOMENT = parse_timestamp(NOW)


def reason(approval, record, approvers, now=MOMENT):
    return verify_approval(approval, record_digest(record), approvers, now)


def test_a_good_approval_is_verified_and_says_by_whom(record, signer, approvers, keys):
    approval = signer(record, "bob", "model-risk-officer", BOB)
    fingerprint = keys["bob"].public.fingerprint
    assert reason(approval, record, approvers) == (
        True,
        f"signed by {BOB} with key {fingerprint}",
    )


def _edit(approval, **changes):
    changed = copy.deepcopy(approval)
    for dotted, value in changes.items():
        target = changed
        *parents, last = dotted.split("__")
        for part in parents:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return changed


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"signature": None}, "not signed"),
        ({"signature": "abc"}, "malformed signature: expected a mapping"),
        ({"signature__value": None}, "malformed signature: missing or not a string: value"),
        ({"signature__algorithm": "rsa"}, "unsupported signature algorithm 'rsa'"),
        ({"scope": None}, "malformed approval: missing or not a string: scope"),
        ({"granted_at": "yesterday"}, "malformed approval: not an RFC 3339 timestamp"),
        ({"approver": MALLORY}, f"unknown signer: {MALLORY} is not in the approvers directory"),
        ({"approver": PRIYA}, f"signed with the key of {BOB}, not of {PRIYA}"),
        ({"signature__key": "SHA256:nope"}, f"unknown key SHA256:nope: not a key of {BOB}"),
        ({"signature__value": "!!!"}, "bad signature"),
        ({"decision": "rejected"}, "bad signature"),
        ({"note": "added later"}, "bad signature"),
        ({"signature__record_digest": "sha256:00"}, "bad signature"),
    ],
)
def test_reasons(record, signer, approvers, changes, expected):
    approval = _edit(signer(record, "bob", "model-risk-officer", BOB), **changes)
    verified, why = reason(approval, record, approvers)
    assert not verified
    assert why.startswith(expected)


def test_a_changed_record_is_reported_as_such(record, signer, approvers):
    approval = signer(record, "bob", "model-risk-officer", BOB)
    record["spec"]["metrics"]["auc"] = 0.9
    verified, why = reason(approval, record, approvers)
    assert not verified
    assert why.startswith("the model record changed since it was signed: signed sha256:")


def test_validity_windows_are_checked_at_granted_at(record, signer, approvers):
    # Bob's old key was retired on 2026-01-01; Priya became a validator in 2025;
    # Alice leaves on 2027-06-01.
    old_key = signer(record, "old", "model-risk-officer", BOB, granted_at="2026-03-01T00:00:00Z")
    assert reason(old_key, record, approvers)[1].startswith("key SHA256:")
    assert "was not valid at 2026-03-01T00:00:00Z" in reason(old_key, record, approvers)[1]
    before = signer(record, "old", "model-risk-officer", BOB, granted_at="2025-12-01T00:00:00Z",
                    expires_in="400d")  # fmt: skip
    assert reason(before, record, approvers)[0]

    early = signer(record, "priya", "model-validation", PRIYA, granted_at="2024-06-01T00:00:00Z",
                   expires_in="1000d")  # fmt: skip
    assert reason(early, record, approvers) == (
        False,
        f"{PRIYA} did not hold the role model-validation at 2024-06-01T00:00:00Z (held: no role)",
    )
    gone = signer(record, "alice", "model-risk-officer", ALICE, granted_at="2027-07-01T00:00:00Z")
    later = parse_timestamp("2027-07-02T00:00:00Z")
    assert reason(gone, record, approvers, later) == (
        False,
        f"{ALICE} was not an approver at 2027-07-01T00:00:00Z (granted_at)",
    )
    # Given while Alice was an approver: still counts after she left.
    given_before = signer(record, "alice", "model-risk-officer", ALICE,
                          granted_at="2027-05-01T00:00:00Z")  # fmt: skip
    assert reason(given_before, record, approvers, later)[0]


def test_time(record, signer, approvers):
    approval = signer(record, "bob", "model-risk-officer", BOB, expires_in="10d")
    assert reason(approval, record, approvers, parse_timestamp("2026-11-19T00:00:00Z")) == (
        False,
        "granted in the future (2026-11-20T00:00:00Z)",
    )
    assert reason(approval, record, approvers, parse_timestamp("2026-11-30T00:00:00Z")) == (
        False,
        "expired 2026-11-30T00:00:00Z",
    )
    assert reason(approval, record, approvers, parse_timestamp("2026-11-29T23:59:59Z"))[0]


def test_no_directory_fails_closed(record, signer):
    approval = signer(record, "bob", "model-risk-officer", BOB)
    assert reason(approval, record, None) == (False, NO_DIRECTORY)
    assert reason(approval, record, Approvers())[1].startswith("unknown signer")


def test_the_engine_overwrites_what_a_record_says(signed, approvers):
    signed["spec"]["approvals"][0]["verified"] = False
    signed["spec"]["approvals"][0]["verification"] = "made up"
    signed["spec"]["approvals"].append({"role": "x", "verified": True, "verification": "trust me"})
    original = copy.deepcopy(signed)
    data = with_verified_approvals(signed, name="credit-default", version="3.1.0", now=MOMENT,
                                   approvers=approvers)  # fmt: skip
    marks = [(a["verified"], a["verification"]) for a in data["spec"]["approvals"]]
    assert marks[0][0] is True and marks[0][1].startswith("signed by")
    assert marks[1][0] is True
    assert marks[2] == (False, "not signed")
    assert signed == original  # the record passed in is not changed


def test_records_without_approvals_are_left_alone(approvers):
    for data in [{"name": "m"}, {"spec": "x"}, {"spec": {"approvals": "x"}}, [1, 2], None]:
        assert with_verified_approvals(data, name="m", version="", now=MOMENT,
                                       approvers=approvers) is data  # fmt: skip
    data = {"spec": {"approvals": ["not a mapping", {"role": "r"}]}}
    marked = with_verified_approvals(data, name="m", version="", now=MOMENT, approvers=None)
    assert marked["spec"]["approvals"] == [
        "not a mapping",
        {"role": "r", "verified": False, "verification": NO_DIRECTORY},
    ]


def test_a_record_that_cannot_be_digested_is_not_verified(record, signer, approvers):
    approval = signer(record, "bob", "model-risk-officer", BOB)
    record["spec"]["approvals"] = [approval]
    record["spec"]["odd"] = dt.datetime(2026, 1, 1)  # not JSON: only a library caller can do this
    data = with_verified_approvals(record, name="credit-default", version="3.1.0", now=MOMENT,
                                   approvers=approvers)  # fmt: skip
    assert data["spec"]["approvals"][0]["verification"] == (
        "the model record cannot be digested (it holds non-JSON values)"
    )


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = ["role", "approver", "decision", "scope", "granted_at", "expires_at", "signature"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    approval=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=3), JSON, max_size=8),
    signature=st.dictionaries(
        st.sampled_from(["algorithm", "key", "record_digest", "value"]),
        st.one_of(st.just("ed25519"), st.text(max_size=12), JSON),
    ),
)
def test_garbage_is_never_verified_and_never_raises(approvers, approval, signature):
    if "signature" in approval and approval["signature"] is not None:
        approval["signature"] = signature
    verified, why = verify_approval(approval, "sha256:00", approvers, MOMENT)
    assert verified is False
    assert isinstance(why, str) and why
