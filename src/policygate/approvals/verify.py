"""Verification of approvals on data passed in: no I/O, no exceptions for bad input.

:func:`with_verified_approvals` is what the evaluator calls before any rule
runs. Every approval (a mapping under ``spec.approvals``, plus the matching
attestations) comes out with two fields that only the engine writes:

- ``verified``: ``true`` only if the approval is signed, the signer is in the
  approvers directory with that key, held the role when the approval was
  granted, the signature covers exactly this record (its digest) and the
  approval as written, and the approval is in force now (granted, not expired);
- ``verification``: on a verified approval, who signed with which key; on any
  other, the reason it does not count.

A signed approval counts once: a second copy of one (pasted again into the
record, or also given as an attestation) is not verified, its
``verification`` naming the first.

Whatever a record writes in ``verified`` or ``verification`` is overwritten,
so a record cannot vouch for itself. Without an approvers directory nothing is
verified (fail closed): ``verification`` is ``"no approvers directory given"``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:  # both are loaded by whoever made them; signing and digests on use
    from .attestations import Attestation
    from .directory import Approvers

NO_DIRECTORY = "no approvers directory given"
REQUIRED_FIELDS = ("role", "approver", "decision", "scope", "granted_at", "expires_at")
SIGNATURE_FIELDS = ("algorithm", "key", "record_digest", "value")


def with_verified_approvals(
    data: Any,
    *,
    name: str,
    version: str,
    now: _dt.datetime,
    approvers: Approvers | None = None,
    attestations: Sequence[Attestation] = (),
) -> Any:
    """``data`` with its approvals (and matching attestations) marked verified or not.

    Returns a new value sharing every untouched part with ``data``; ``data``
    itself is never changed. A record without a ``spec`` mapping, or whose
    ``spec.approvals`` is not a list, is returned as it is (rules reading it
    then error, which fails closed).
    """
    if approvers is None and not attestations and type(data) is dict:
        # Nothing can verify and nothing to add: each approval is unverified, as
        # verify_approval says without a directory (the common case, per record).
        spec = data.get("spec")
        if type(spec) is dict:
            approvals = spec.get("approvals")
            if type(approvals) is list:
                unverified = [
                    {**a, "verified": False, "verification": NO_DIRECTORY}
                    if type(a) is dict
                    else (_mark(a, None, None, now) if isinstance(a, Mapping) else a)
                    for a in approvals
                ]
                return {**data, "spec": {**spec, "approvals": unverified}}
    extra = [dict(a.approval) for a in concerning(attestations, name, version)]
    if not isinstance(data, Mapping):
        return data
    spec = data.get("spec", {} if extra else None)
    if not isinstance(spec, Mapping):
        return data
    approvals = spec.get("approvals", [] if extra else None)
    if not isinstance(approvals, list):
        return data
    digest = _digest(data) if approvers is not None else None
    checked: list[Any] = []
    first_of: dict[tuple[str, bytes], int] = {}
    for index, approval in enumerate([*approvals, *extra]):
        if not isinstance(approval, Mapping):
            checked.append(approval)
            continue
        marked = _mark(approval, digest, approvers, now)
        if marked["verified"]:
            # One signed approval counts once: a copy pasted into the record (or
            # given again as an attestation) is the same decision, not a second one.
            first = first_of.setdefault(_signed_statement(approval), index)
            if first != index:
                marked["verified"] = False
                marked["verification"] = (
                    f"a copy of the signed approval approvals[{first}]: "
                    "one signed approval counts once"
                )
        checked.append(marked)
    return {**data, "spec": {**spec, "approvals": checked}}


def _signed_statement(approval: Mapping[str, Any]) -> tuple[str, bytes]:
    """What a verified approval's signature vouches for: the key and the signed bytes
    (not the signature's text, which base64 lets a copy spell in several ways)."""
    from .digest import signed_payload

    signature = approval["signature"]
    return signature["key"], signed_payload(approval, signature["record_digest"])


# The last tuple of attestations indexed by model, and its index: the evaluator
# passes one tuple for every record of a run, and looking each record's
# attestations up in all of them made records times attestations comparisons.
_indexed: tuple[tuple[Attestation, ...], dict[tuple[str, str], list[Attestation]]] | None = None


def concerning(attestations: Sequence[Attestation], name: str, version: str) -> list[Attestation]:
    """The attestations naming ``name@version``, in their order (``Attestation.concerns``)."""
    global _indexed
    if not attestations:
        return []
    last = _indexed
    if last is not None and last[0] is attestations:
        index = last[1]
    else:
        index = {}
        for attestation in attestations:
            model = (attestation.model_name, attestation.model_version)
            index.setdefault(model, []).append(attestation)
        if type(attestations) is tuple:  # a list could change before the next call
            _indexed = (attestations, index)
    return list(index.get((name, version), ()))  # a copy: the index is shared


def _digest(data: Any) -> str | None:
    from .digest import record_digest

    try:
        return record_digest(data)
    except (TypeError, ValueError):  # a library caller's dict holding non-JSON values
        return None


def _mark(
    approval: Mapping[str, Any], digest: str | None, approvers: Approvers | None, now: _dt.datetime
) -> dict[str, Any]:
    verified, reason = verify_approval(approval, digest, approvers, now)
    return {**approval, "verified": verified, "verification": reason}


def verify_approval(
    approval: Mapping[str, Any],
    digest: str | None,
    approvers: Approvers | None,
    now: _dt.datetime,
) -> tuple[bool, str]:
    """``(verified, reason)`` for one approval of the record with ``digest``. Never raises."""
    if approvers is None:
        return False, NO_DIRECTORY
    from .digest import signed_payload
    from .signing import ALGORITHM, signature_is_valid

    signature = approval.get("signature")
    if signature is None:
        return False, "not signed"
    if not isinstance(signature, Mapping):
        return False, "malformed signature: expected a mapping"
    missing = [f for f in SIGNATURE_FIELDS if not isinstance(signature.get(f), str)]
    if missing:
        return False, f"malformed signature: missing or not a string: {', '.join(missing)}"
    if signature["algorithm"] != ALGORITHM:
        return False, f"unsupported signature algorithm {signature['algorithm']!r}"
    missing = [f for f in REQUIRED_FIELDS if not isinstance(approval.get(f), str)]
    if missing:
        return False, f"malformed approval: missing or not a string: {', '.join(missing)}"
    try:
        granted_at = parse_timestamp(approval["granted_at"])
        expires_at = parse_timestamp(approval["expires_at"])
    except ValueError as error:
        return False, f"malformed approval: {error}"

    identity = approval["approver"]
    approver = approvers.get(identity)
    if approver is None:
        return False, f"unknown signer: {identity} is not in the approvers directory"
    key = approver.key(signature["key"])
    if key is None:
        holder = approvers.owner_of(signature["key"])
        if holder is not None:
            return False, f"signed with the key of {holder.id}, not of {identity}"
        return False, f"unknown key {signature['key']}: not a key of {identity}"
    try:
        payload = signed_payload(approval, signature["record_digest"])
    except (TypeError, ValueError):
        return False, "malformed approval: it holds values that are not JSON"
    if not signature_is_valid(key.public, signature["value"], payload):
        return False, (
            f"bad signature: the approval is not what {identity} signed "
            "(altered after signing, or forged)"
        )
    if digest is None:
        return False, "the model record cannot be digested (it holds non-JSON values)"
    if signature["record_digest"] != digest:
        return False, (
            f"the model record changed since it was signed: signed "
            f"{_short(signature['record_digest'])}, now {_short(digest)}"
        )

    when = format_timestamp(granted_at)
    if not approver.validity.holds_at(granted_at):
        return False, f"{identity} was not an approver at {when} (granted_at)"
    if not key.validity.holds_at(granted_at):
        return False, f"key {key.fingerprint} of {identity} was not valid at {when} (granted_at)"
    role = approval["role"]
    if not approver.holds(role, granted_at):
        held = sorted({g.role for g in approver.roles if g.validity.holds_at(granted_at)})
        return False, (
            f"{identity} did not hold the role {role} at {when} "
            f"(held: {', '.join(held) or 'no role'})"
        )
    if expires_at <= granted_at:
        return False, "malformed approval: expires_at is not after granted_at"
    if now < granted_at:
        return False, f"granted in the future ({when})"
    if now >= expires_at:
        return False, f"expired {format_timestamp(expires_at)}"
    return True, f"signed by {identity} with key {key.fingerprint}"


def _short(digest: str) -> str:
    """``sha256:`` and 12 hex digits: enough to tell two digests apart in a message."""
    return digest[: len("sha256:") + 12] + "…" if len(digest) > len("sha256:") + 12 else digest
