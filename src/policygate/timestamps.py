"""RFC 3339 timestamps: the one parser and the one formatter."""

from __future__ import annotations

import datetime as _dt
import re

# Parsed by hand rather than with datetime.fromisoformat, which before Python
# 3.11 refuses a lowercase "t", "Z" and fractions of other than 3 or 6 digits.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def parse_timestamp(text: str) -> _dt.datetime:
    """Parse an RFC 3339 timestamp with an explicit offset (``Z`` or ``±hh:mm``), as UTC.

    A timestamp without an offset is refused: "2026-12-01T00:00:00" means a
    different instant in every office, and an expiry must not. Fractions finer
    than a microsecond are truncated.
    """
    match = _RFC3339.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"not an RFC 3339 timestamp with offset: {text!r} (e.g. 2026-12-31T00:00:00Z)"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, sign, offset_hours, offset_minutes = match.groups()[6:]
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    offset = _dt.timedelta(0)
    if sign:
        offset = _dt.timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
        if offset >= _dt.timedelta(days=1):
            raise ValueError(f"offset out of range in {text!r}")
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
