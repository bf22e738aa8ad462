"""Ed25519 keys and signatures, and the clear error without the signing extra."""

from __future__ import annotations

import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from policygate.approvals import parse_duration
from policygate.approvals.sign import expires_after
from policygate.approvals.signing import (
    generate_key,
    load_private_key,
    parse_public_key,
    require_crypto,
    signature_is_valid,
)
from policygate.errors import UsageError
from policygate.timestamps import parse_timestamp


def test_sign_and_verify_round_trip():
    key = generate_key()
    signature = key.sign(b"payload")
    assert signature_is_valid(key.public, signature, b"payload")
    assert not signature_is_valid(key.public, signature, b"payload!")
    assert not signature_is_valid(generate_key().public, signature, b"payload")
    assert not signature_is_valid(key.public, "not base64!", b"payload")
    assert not signature_is_valid(key.public, "AAAA", b"payload")


def test_public_key_text_and_fingerprint():
    key = generate_key()
    text = key.public.text
    assert text.startswith("ed25519:") and len(text) == len("ed25519:") + 44
    assert parse_public_key(text) == key.public
    assert key.public.fingerprint.startswith("SHA256:") and "=" not in key.public.fingerprint
    for bad, message in [
        ("ssh-ed25519 AAAA", "a public key is written 'ed25519:<base64>'"),
        ("ed25519:@@", "public key is not valid base64"),
        ("ed25519:AAAA", "an Ed25519 public key has 32 bytes, this one has 3"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_public_key(bad)


def test_pem_round_trip_with_and_without_passphrase():
    key = generate_key()
    assert load_private_key(key.to_pem(), "k.pem").public == key.public
    encrypted = key.to_pem(b"secret")
    assert b"ENCRYPTED" in encrypted
    assert load_private_key(encrypted, "k.pem", b"secret").public == key.public
    with pytest.raises(UsageError, match="k.pem: the key is encrypted; give its passphrase"):
        load_private_key(encrypted, "k.pem")
    with pytest.raises(UsageError, match="k.pem: not a readable PEM private key"):
        load_private_key(encrypted, "k.pem", b"wrong")
    with pytest.raises(UsageError, match="k.pem: not a readable PEM private key"):
        load_private_key(b"hello", "k.pem")


def test_other_key_types_are_refused():
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(UsageError, match="k.pem: not an Ed25519 key"):
        load_private_key(pem, "k.pem")


def test_without_cryptography_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric", None)
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.ed25519", None)
    with pytest.raises(UsageError) as caught:
        require_crypto()
    assert str(caught.value) == (
        "signed approvals need the 'cryptography' package: pip install 'policygate[signing]'"
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90d", 90 * 86400), ("2w", 14 * 86400), ("36h", 36 * 3600), ("5m", 300), ("1s", 1)],
)
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["0d", "90", "d", "1.5d", "-3d", "3y", ""])
def test_bad_durations(text):
    with pytest.raises(UsageError, match="expected a positive whole number and a unit"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["9999999999d", "99999999999999999999s", "2000000000w"])
def test_a_duration_too_long_for_a_date_is_a_usage_error(text):
    with pytest.raises(UsageError, match="too long"):
        expires_after(parse_timestamp("2026-11-20T00:00:00Z"), text)


def test_an_expiry_past_year_9999_is_a_usage_error():
    granted = parse_timestamp("2026-11-20T00:00:00Z")
    assert expires_after(granted, "90d") == parse_timestamp("2027-02-18T00:00:00Z")
    with pytest.raises(UsageError, match="too long"):
        expires_after(granted, "3000000d")
