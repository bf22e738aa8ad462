"""Approvals you can trust: an approvers directory, signed approvals, verification.

- :mod:`.directory`: ``kind: Approvers``, who may approve in which role with which key;
- :mod:`.digest`: exactly what a signature covers;
- :mod:`.sign`: making a signed approval; :mod:`.signing`: Ed25519 via ``cryptography``;
- :mod:`.verify`: marking approvals ``verified`` before evaluation (no I/O);
- :mod:`.attestations`: signed approvals kept in files of their own;
- :mod:`.attestation_log`: every signed decision, hash-chained, so a deleted one is found
  (imported on use: it needs the decision log's chaining);
- :mod:`.record_text`: adding an approval to a record file, keeping its layout.

See docs/approvals.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .attestations import Attestation, attestation_document, load_attestations
    from .digest import record_digest, signed_payload
    from .directory import Approver, ApproverKey, Approvers, RoleGrant, Validity, load_approvers
    from .sign import parse_duration, sign_approval
    from .verify import NO_DIRECTORY, verify_approval, with_verified_approvals

# Each name and its module, imported on first use (PEP 562): a check of records
# without signatures loads only .verify, not the directory, signing or attestations.
_EXPORTS: dict[str, str] = {
    "Attestation": "attestations",
    "attestation_document": "attestations",
    "load_attestations": "attestations",
    "record_digest": "digest",
    "signed_payload": "digest",
    "Approver": "directory",
    "ApproverKey": "directory",
    "Approvers": "directory",
    "RoleGrant": "directory",
    "Validity": "directory",
    "load_approvers": "directory",
    "parse_duration": "sign",
    "sign_approval": "sign",
    "NO_DIRECTORY": "verify",
    "verify_approval": "verify",
    "with_verified_approvals": "verify",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "NO_DIRECTORY",
    "Approver",
    "ApproverKey",
    "Approvers",
    "Attestation",
    "RoleGrant",
    "Validity",
    "attestation_document",
    "load_approvers",
    "load_attestations",
    "parse_duration",
    "record_digest",
    "sign_approval",
    "signed_payload",
    "verify_approval",
    "with_verified_approvals",
]
