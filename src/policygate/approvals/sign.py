"""Making a signed approval: the one place that builds what an approver signs."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from ..errors import UsageError
from ..timestamps import format_timestamp
from .digest import record_digest, signed_payload
from .signing import ALGORITHM, PrivateKey

DECISIONS = ("approved", "rejected")
_DURATION = re.compile(r"(\d+)\s*([smhdw])", re.ASCII)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> _dt.timedelta:
    """``90d``, ``12h``, ``2w``, ``30m``, ``45s``: a positive whole number and a unit."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise UsageError(
            f"duration {text!r}: expected a positive whole number and a unit s, m, h, d or w "
            "(e.g. 90d)"
        )
    try:
        return _dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise UsageError(f"duration {text!r}: too long") from None


def expires_after(granted_at: _dt.datetime, text: str) -> _dt.datetime:
    """``granted_at`` plus the duration ``text``; a usage error past what a date holds."""
    duration = parse_duration(text)
    try:
        return granted_at + duration
    except OverflowError:
        raise UsageError(f"duration {text!r}: too long (past the year 9999)") from None


def sign_approval(
    record: Any,
    key: PrivateKey,
    *,
    role: str,
    approver: str,
    scope: str,
    granted_at: _dt.datetime,
    expires_at: _dt.datetime,
    decision: str = "approved",
    risk_assessment: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """An approval of ``record`` (the model data) signed with ``key``.

    The signature covers the record's digest and every field of the approval
    (see :mod:`policygate.approvals.digest`); the approval is returned in the
    order a person reads it, signature last.
    """
    if decision not in DECISIONS:
        raise UsageError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    if expires_at <= granted_at:
        raise UsageError("the approval must expire after it is granted")
    approval: dict[str, Any] = {
        "role": role,
        "approver": approver,
        "decision": decision,
        "granted_at": format_timestamp(granted_at),
        "expires_at": format_timestamp(expires_at),
        "scope": scope,
    }
    if risk_assessment is not None:
        approval["risk_assessment"] = risk_assessment
    if note is not None:
        approval["note"] = note
    digest = record_digest(record)
    approval["signature"] = {
        "algorithm": ALGORITHM,
        "key": key.public.fingerprint,
        "record_digest": digest,
        "value": key.sign(signed_payload(approval, digest)),
    }
    return approval
