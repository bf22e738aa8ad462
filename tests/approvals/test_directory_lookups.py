"""Looking approvers and keys up in a large directory costs what the directory costs once.

Every approval names an identity and a key fingerprint. Whoever writes the
record can write thousands of approvals naming a real approver with a key
that is nobody's: each one looked through every key of every approver,
hashing each public key again (2,000 identities and 1,000 such approvals:
1.4 s, per record file).
"""

from __future__ import annotations

import datetime as _dt

import pytest

from policygate.approvals import (
    Approver,
    ApproverKey,
    Approvers,
    RoleGrant,
    signing,
    with_verified_approvals,
)
from policygate.approvals.signing import generate_key

NOW = _dt.datetime(2026, 6, 1, tzinfo=_dt.UTC)


@pytest.fixture(scope="module")
def large() -> Approvers:
    return Approvers(
        tuple(
            Approver(id=f"u{i}@example.com", roles=(RoleGrant("r"),),
                     keys=(ApproverKey(generate_key().public),))  # fmt: skip
            for i in range(300)
        )
    )


def approval(approver: str, key: str) -> dict:
    return {
        "role": "r", "approver": approver, "decision": "approved", "scope": "production",
        "granted_at": "2026-01-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z",
        "signature": {"algorithm": "ed25519", "key": key, "record_digest": "sha256:00",
                      "value": "AA=="},
    }  # fmt: skip


def test_lookups_do_not_hash_every_key_per_approval(large, monkeypatch):
    calls = []
    real = signing.fingerprint

    def counting(raw: bytes) -> str:
        calls.append(raw)
        return real(raw)

    monkeypatch.setattr(signing, "fingerprint", counting)
    last = large.approvers[-1].id
    other = large.approvers[0].keys[0].fingerprint
    approvals = [approval(last, "SHA256:nobody")] * 200 + [approval(last, other)] * 200
    record = {"metadata": {"name": "m", "version": "1"}, "spec": {"approvals": approvals}}
    calls.clear()
    marked = with_verified_approvals(record, name="m", version="1", now=NOW, approvers=large)
    reasons = {a["verification"] for a in marked["spec"]["approvals"]}
    assert reasons == {
        f"unknown key SHA256:nobody: not a key of {last}",
        f"signed with the key of {large.approvers[0].id}, not of {last}",
    }
    assert len(calls) <= 2 * len(large.approvers)  # each key hashed at most once or so


def test_lookups_find_the_first_of_each_as_before(large):
    twice = Approvers((*large.approvers, Approver(id=large.approvers[0].id, roles=(), keys=())))
    assert twice.get(large.approvers[0].id) is large.approvers[0]
    key = large.approvers[5].keys[0].fingerprint
    assert twice.owner_of(key) is large.approvers[5]
    assert twice.get("nobody") is None and twice.owner_of("SHA256:nobody") is None
    assert large.approvers[5].key(key) is large.approvers[5].keys[0]
    assert large.approvers[5].key("SHA256:nobody") is None
