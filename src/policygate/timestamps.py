"""RFC 3339 timestamps: the one parser and the one formatter."""

from __future__ import annotations

import datetime as _dt
import re

# Parsed by hand rather than with datetime.fromisoformat, which takes forms RFC
# 3339 does not (a week date, a missing offset, "+0530") and, before Python 3.11,
# refused a lowercase "t", "Z" and fractions of other than 3 or 6 digits.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
FORMS = "YYYY-MM-DDThh:mm:ss[.fraction] with Z or an offset +hh:mm (RFC 3339)"
"""What :func:`parse_timestamp` reads, in words for messages and docs."""


def parse_timestamp(text: str) -> _dt.datetime:
    """Parse an RFC 3339 timestamp with an explicit offset (``Z`` or ``±hh:mm``), as UTC.

    The one grammar of every timestamp policygate reads: waiver and approval
    dates, ``--now``, and CEL's ``timestamp()`` (RFC 3339's ``date-time``: ASCII
    digits, ``T`` or ``t``, ``Z`` or ``z``, a fraction of any length cut to nine
    digits as Go's time.Parse (cel-go) cuts it, an offset of at most 23:59; no
    space, no date alone). A timestamp without an offset is refused:
    "2026-12-01T00:00:00" means a different instant in every office, and an
    expiry must not. Fractions finer than a microsecond
    are truncated.
    """
    match = _RFC3339.fullmatch(text) if isinstance(text, str) and len(text) <= 64 else None
    if match is None:
        shown = text if not isinstance(text, str) or len(text) <= 64 else text[:64] + "..."
        raise ValueError(
            f"not an RFC 3339 timestamp with offset: {shown!r} (e.g. 2026-12-31T00:00:00Z)"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, sign, offset_hours, offset_minutes = match.groups()[6:]
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    offset = _dt.timedelta(0)
    if sign:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            raise ValueError(f"offset out of range in {text!r} (at most +23:59)")
        offset = _dt.timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
        offset = -offset if sign == "-" else offset
    try:
        value = _dt.datetime(
            year, month, day, hour, minute, second, microsecond, _dt.timezone(offset)
        )
        return value.astimezone(_dt.UTC)
    except (ValueError, OverflowError) as error:  # 2026-02-30, 24:00, year 1 at +01:00
        raise ValueError(f"{error} in {text!r}") from None


def format_timestamp(value: _dt.datetime) -> str:
    """``2026-12-31T00:00:00Z``: UTC, seconds, a fraction only when there is one."""
    v = value.astimezone(_dt.UTC)
    text = f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    if v.microsecond:
        text += f".{v.microsecond:06d}".rstrip("0")
    return text + "Z"


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)
