"""A public key of small order in the approvers directory: anyone can sign for it.

Ed25519 verification checks ``[S]B == R + [k]A``. For a public key ``A`` of
small order (the all-zero text someone writes as a placeholder, the identity
point, ...), the signature ``R = -[k]A, S = 0`` verifies for any message, and
for the identity point simply ``R = identity, S = 0``: whoever writes the
record could sign the approval of that approver themselves. Such a key is a
load error at its place, as a key that is not 32 bytes is.
"""

from __future__ import annotations

import base64
import copy

import pytest
from approvals_support import BOB, NOW, directory_document
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.approvals import load_approvers, signed_payload, with_verified_approvals
from policygate.approvals.digest import record_digest
from policygate.approvals.signing import (
    ALGORITHM,
    PublicKey,
    fingerprint,
    generate_key,
    parse_public_key,
    signature_is_valid,
)
from policygate.documents import to_yaml
from policygate.errors import PolicygateError
from policygate.timestamps import parse_timestamp

P = 2**255 - 19
IDENTITY = (1).to_bytes(32, "little")


def encoding(y: int, sign: int = 0) -> bytes:
    return (y | sign << 255).to_bytes(32, "little")


# The points of order 1, 2, 4 and 8, as libsodium lists them, and the
# non-canonical encodings (y >= p) of 0 and 1.
ORDER_8_Y = 2707385501144840649318225287225658788936804267575313519463743609750303402022
SMALL_ORDER = [
    encoding(0),
    encoding(0, 1),
    IDENTITY,
    encoding(P - 1),
    encoding(ORDER_8_Y),
    encoding(ORDER_8_Y, 1),
    encoding(P - ORDER_8_Y),
    encoding(P - ORDER_8_Y, 1),
    encoding(P),
    encoding(P + 1),
]


def text(raw: bytes) -> str:
    return "ed25519:" + base64.b64encode(raw).decode("ascii")


@pytest.mark.parametrize("raw", SMALL_ORDER, ids=lambda raw: raw.hex()[:8] + raw.hex()[-4:])
def test_a_key_of_small_order_is_refused(raw):
    with pytest.raises(ValueError, match="anyone can make a signature"):
        parse_public_key(text(raw))


def test_the_placeholder_key_in_a_directory_is_a_load_error_at_its_place(keys, tmp_path):
    document = directory_document(keys)
    document["spec"]["approvers"][0]["keys"][0]["public_key"] = text(bytes(32))
    path = tmp_path / "approvers.yaml"
    path.write_text(to_yaml(document), encoding="utf-8")
    with pytest.raises(PolicygateError) as caught:
        load_approvers([path])
    message = str(caught.value)
    assert message.startswith(
        f"{path}:12:19: not a usable Ed25519 public key: a point of small order"
    )
    assert "anyone can make a signature" in message


def test_with_the_identity_key_a_forged_approval_would_verify(record, keys, tmp_path):
    """What the refusal prevents: Bob's key replaced by the identity point, a forged
    signature (R the identity, S zero) is valid for any approval of any record."""
    forged_value = base64.b64encode(IDENTITY + bytes(32)).decode("ascii")
    approval = {
        "role": "model-risk-officer",
        "approver": BOB,
        "decision": "approved",
        "granted_at": "2026-11-20T00:00:00Z",
        "expires_at": "2027-02-18T00:00:00Z",
        "scope": "production",
        "risk_assessment": "RA-2026-044",
    }
    digest = record_digest(record)
    # The library the signatures are checked with accepts it (cofactorless, no
    # small-order check): only refusing the key keeps it out.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(IDENTITY).verify(
        base64.b64decode(forged_value), signed_payload(approval, digest)
    )
    assert not signature_is_valid(
        PublicKey(IDENTITY), forged_value, signed_payload(approval, digest)
    )

    document = directory_document(keys)
    document["spec"]["approvers"][0]["keys"] = [{"public_key": text(IDENTITY)}]
    path = tmp_path / "approvers.yaml"
    path.write_text(to_yaml(document), encoding="utf-8")
    with pytest.raises(PolicygateError, match="anyone can make a signature"):
        load_approvers([path])

    approval["signature"] = {
        "algorithm": ALGORITHM,
        "key": fingerprint(IDENTITY),
        "record_digest": digest,
        "value": forged_value,
    }
    record["spec"]["approvals"] = [copy.deepcopy(approval)]
    approvers = load_approvers([_directory_with_real_keys(keys, tmp_path)])
    data = with_verified_approvals(
        record, name="credit-default", version="3.1.0", now=parse_timestamp(NOW),
        approvers=approvers,
    )  # fmt: skip
    assert data["spec"]["approvals"][0]["verified"] is False


def _directory_with_real_keys(keys, tmp_path):
    path = tmp_path / "real.yaml"
    path.write_text(to_yaml(directory_document(keys)), encoding="utf-8")
    return path


def test_every_generated_key_is_accepted():
    for _ in range(200):
        key = generate_key()
        assert parse_public_key(key.public.text) == key.public


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_any_32_bytes_are_a_key_or_a_clear_refusal(raw):
    try:
        key = parse_public_key(text(raw))
    except ValueError as error:
        assert "Ed25519 public key" in str(error)
    else:
        assert key.raw == raw


def _times_eight_is_identity(raw: bytes) -> bool:
    """[8]A == identity, by the Edwards addition law (complete for Ed25519), on the
    point ``raw`` encodes (its y taken modulo p): the definition of small order."""
    d = -121665 * pow(121666, -1, P) % P
    number = int.from_bytes(raw, "little")
    y, sign = (number & ((1 << 255) - 1)) % P, number >> 255
    x2 = (y * y - 1) * pow(d * y * y + 1, -1, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    assert (x * x - x2) % P == 0
    if x & 1 != sign:
        x = P - x
    for _ in range(3):
        t = d * x * x * y * y % P
        x, y = 2 * x * y * pow(1 + t, -1, P) % P, (y * y + x * x) * pow(1 - t, -1, P) % P
    return (x, y) == (0, 1)


@pytest.mark.parametrize("raw", SMALL_ORDER, ids=lambda raw: raw.hex()[:8] + raw.hex()[-4:])
def test_the_refused_keys_are_of_small_order_indeed(raw):
    assert _times_eight_is_identity(raw)


def test_a_generated_key_is_not_of_small_order():
    assert not _times_eight_is_identity(generate_key().public.raw)
