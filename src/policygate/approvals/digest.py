"""What a signed approval covers, defined once.

**The record digest** is ``sha256:`` and the hex SHA-256 of the canonical JSON
of the model record *without* its ``spec.approvals`` list:

- the record as loaded (YAML or JSON mean the same), with the key
  ``approvals`` removed from ``spec`` (and nothing else: a record whose
  ``spec`` held only approvals keeps an empty ``spec``), so that adding an
  approval, or the engine marking approvals verified, never invalidates the
  approvals already given;
- numbers are normalised as the engine compares them: a float with an integral
  value is written as an integer (``1.0`` and ``1`` are the same number), so
  re-serialising the record with another tool does not change its digest;
- canonical JSON: keys sorted by code point, no insignificant whitespace,
  UTF-8, no ASCII escaping (:func:`policygate.policy.canonical_json`).

Any other change to the record (a metric, the owner, the version, a comment in
a string, a new key) changes the digest.

**The signed payload** of one approval is the canonical JSON of::

    {"type": "policygate.dev/approval/v1",
     "record_digest": "sha256:...",
     "approval": {every field of the approval except signature, verified, verification}}

so the signature covers the record, and the approval's role, approver,
decision, scope, granted_at, expires_at, note, risk assessment and any other
field written in it. ``verified`` and ``verification`` belong to the engine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ..policy import canonical_json

PAYLOAD_TYPE = "policygate.dev/approval/v1"
DIGEST_PREFIX = "sha256:"
# Fields of an approval that are not part of what the approver signed.
UNSIGNED_FIELDS = frozenset({"signature", "verified", "verification"})


def normalise(value: Any) -> Any:
    """Integral floats as ints, recursively: the number the engine would compare.

    A mapping key that is not a string is a ``TypeError``: JSON would write the
    key ``1`` (or ``True``, ``None``) as the text ``"1"``, so two values a rule
    tells apart would have one digest. (Records read from files have string keys
    only; this is for values a library caller builds.)
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"a mapping key is not a string: {key!r}")
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(item) for item in value]
    return value


def without_approvals(data: Any) -> Any:
    """The record as digested: ``spec.approvals`` left out, everything else kept."""
    if not isinstance(data, Mapping):
        return data
    spec = data.get("spec")
    if not isinstance(spec, Mapping) or "approvals" not in spec:
        return data
    stripped = dict(data)
    stripped["spec"] = {key: value for key, value in spec.items() if key != "approvals"}
    return stripped


def record_digest(data: Any) -> str:
    """``sha256:<hex>`` of the record without its approvals (see the module docstring)."""
    canonical = canonical_json(normalise(without_approvals(data)))
    return DIGEST_PREFIX + hashlib.sha256(canonical).hexdigest()


def signed_fields(approval: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in approval.items() if key not in UNSIGNED_FIELDS}


def signed_payload(approval: Mapping[str, Any], digest: str) -> bytes:
    """The exact bytes an approver signs for ``approval`` of the record with ``digest``."""
    return canonical_json(
        normalise(
            {"type": PAYLOAD_TYPE, "record_digest": digest, "approval": signed_fields(approval)}
        )
    )
