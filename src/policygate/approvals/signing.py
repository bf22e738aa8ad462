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
import functools
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

    @functools.cached_property
    def fingerprint(self) -> str:  # hashed once per key, not per approval naming it
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
    problem = key_problem(raw)
    if problem is not None:
        raise ValueError(f"not a usable Ed25519 public key: {problem}")
    return PublicKey(raw)


# Curve25519 in Edwards form (RFC 8032, 5.1): -x^2 + y^2 = 1 + d x^2 y^2 over GF(p).
_P = 2**255 - 19
_D = -121665 * pow(121666, -1, _P) % _P
_SQRT_MINUS_ONE = pow(2, (_P - 1) // 4, _P)
# The y of every point of small order: order 4 (y = 0), 1 (the identity), 2 (y = -1),
# and the four points of order 8 (two values of y, as libsodium lists them).
_ORDER_8_Y = 2707385501144840649318225287225658788936804267575313519463743609750303402022
_SMALL_ORDER_Y = frozenset({0, 1, _P - 1, _ORDER_8_Y, _P - _ORDER_8_Y})


def key_problem(raw: bytes) -> str | None:
    """Why the 32 bytes ``raw`` are no public key a signature can be trusted with; ``None``
    for a key that is (every key ``keygen`` makes).

    A point of small order (the all-zero bytes of a placeholder, the identity...)
    is refused first: with it as the public key, a signature of *any* message can
    be made without a private key (``R = -[k]A``, ``S = 0``), and ``cryptography``
    (OpenSSL) verifies it. Then an encoding that is not canonical (``y >= p``) or
    no point of the curve.
    """
    number = int.from_bytes(raw, "little")
    y, sign = number & ((1 << 255) - 1), number >> 255
    if y % _P in _SMALL_ORDER_Y:
        return (
            "a point of small order, with which anyone can make a signature that "
            "verifies (a placeholder?); make a key pair with `policygate keygen`"
        )
    if y >= _P:
        return "not the canonical encoding of a point (y is not below 2^255 - 19)"
    if not _is_point(y, sign):
        return "not the encoding of a point of the curve"
    return None


def _is_point(y: int, sign: int) -> bool:
    """Whether some ``x`` of parity ``sign`` puts ``(x, y)`` on the curve (RFC 8032, 5.1.3)."""
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    v3 = v * v * v % _P
    x = u * v3 * pow(u * v3 * v3 * v, (_P - 5) // 8, _P) % _P  # one exponentiation
    check = v * x * x % _P
    if check == (-u) % _P:
        x = x * _SQRT_MINUS_ONE % _P
    elif check != u:
        return False
    return not (x == 0 and sign)


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


@functools.lru_cache(maxsize=4096)
def _refused(raw: bytes) -> bool:
    return len(raw) != 32 or key_problem(raw) is not None


def signature_is_valid(public: PublicKey, signature: str, payload: bytes) -> bool:
    """Whether ``signature`` (base64) is ``public``'s signature of ``payload``. Never raises."""
    ed25519 = _crypto()
    from cryptography.exceptions import InvalidSignature

    if _refused(public.raw):  # made otherwise than by parse_public_key
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        ed25519.Ed25519PublicKey.from_public_bytes(public.raw).verify(raw, payload)
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True
