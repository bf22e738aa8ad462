"""Ed25519 keys and signatures, through the ``cryptography`` package only.

``cryptography`` is the ``signing`` extra (``pip install 'policygate[signing]'``):
only signed approvals need it, so it is imported here, lazily, and its absence
is one clear :class:`~policygate.errors.UsageError` instead of an ImportError
somewhere inside a gate run.

Formats, chosen to fit in a YAML file and to be compared by eye:

- a public key is written ``ed25519:<base64 of the 32 raw bytes>``;
- its fingerprint is ``SHA256:<unpadded base64 of sha256(raw bytes)>`` (the
  form ``ssh-keygen -l`` prints), and names the key in a signature;
- a private key is a PKCS#8 PEM file, optionally encrypted with a passphrase;
- a signature is the base64 of the 64-byte Ed25519 signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

ALGORITHM = "ed25519"
PUBLIC_KEY_PREFIX = "ed25519:"
EXTRA_HINT = "pip install 'policygate[signing]'"


def _crypto() -> Any:
    """The ``cryptography`` Ed25519 module, or a clear error naming the extra."""
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise UsageError(
            f"signed approvals need the 'cryptography' package: {EXTRA_HINT}"
        ) from None
    return ed25519


def require_crypto() -> None:
    """Fail early, before any work, when the signing extra is not installed."""
    _crypto()


@dataclass(frozen=True)
class PublicKey:
    """A raw Ed25519 public key and its fingerprint."""

    raw: bytes = field(repr=False)

    @property
    def text(self) -> str:
        return PUBLIC_KEY_PREFIX + base64.b64encode(self.raw).decode("ascii")

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)


def fingerprint(raw: bytes) -> str:
    digest = hashlib.sha256(raw).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def parse_public_key(text: str) -> PublicKey:
    """``ed25519:<base64>`` into a key; ``ValueError`` saying what is wrong otherwise."""
    if not isinstance(text, str) or not text.startswith(PUBLIC_KEY_PREFIX):
        raise ValueError(f"a public key is written '{PUBLIC_KEY_PREFIX}<base64>', got {text!r}")
    try:
        raw = base64.b64decode(text[len(PUBLIC_KEY_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"public key is not valid base64: {text!r}") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, this one has {len(raw)}")
    return PublicKey(raw)


@dataclass(frozen=True)
class PrivateKey:
    """An Ed25519 private key held in memory for one signing."""

    key: Any = field(repr=False)  # cryptography's Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        from cryptography.hazmat.primitives import serialization

        raw = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return PublicKey(raw)

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self.key.sign(payload)).decode("ascii")

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        from cryptography.hazmat.primitives import serialization

        encryption: Any = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        pem: bytes = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        return pem


def generate_key() -> PrivateKey:
    return PrivateKey(_crypto().Ed25519PrivateKey.generate())


def load_private_key(pem: bytes, source: str, passphrase: bytes | None = None) -> PrivateKey:
    """A PEM private key; anything but an Ed25519 key is a :class:`UsageError`."""
    ed25519 = _crypto()
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError as error:  # encrypted without a passphrase, or the reverse
        if passphrase is None:
            raise UsageError(
                f"{source}: the key is encrypted; give its passphrase with --passphrase-env NAME"
            ) from None
        raise UsageError(f"{source}: {error}", code="signature-invalid") from None
    except ValueError as error:
        raise UsageError(
            f"{source}: not a readable PEM private key (or a wrong passphrase): {error}",
            code="signature-invalid",
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise UsageError(f"{source}: not an Ed25519 key ({type(key).__name__})",
                         code="signature-invalid")  # fmt: skip
    return PrivateKey(key)


def signature_is_valid(public: PublicKey, signature: str, payload: bytes) -> bool:
    """Whether ``signature`` (base64) is ``public``'s signature of ``payload``. Never raises."""
    ed25519 = _crypto()
    from cryptography.exceptions import InvalidSignature

    try:
        raw = base64.b64decode(signature, validate=True)
        ed25519.Ed25519PublicKey.from_public_bytes(public.raw).verify(raw, payload)
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True
