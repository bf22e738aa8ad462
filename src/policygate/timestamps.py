"""RFC 3339 timestamps: the one parser and the one formatter."""

from __future__ import annotations

import datetime as _dt
import re

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(text: str) -> _dt.datetime:
    """Parse an RFC 3339 timestamp with an explicit offset (``Z`` or ``±hh:mm``).

    A timestamp without an offset is refused: "2026-12-01T00:00:00" means a
    different instant in every office, and an expiry must not.
    """
    if not isinstance(text, str) or not _RFC3339.match(text.strip()):
        raise ValueError(
            f"not an RFC 3339 timestamp with offset: {text!r} (e.g. 2026-12-31T00:00:00Z)"
        )
    value = text.strip().replace("z", "Z").replace("Z", "+00:00")
    return _dt.datetime.fromisoformat(value).astimezone(_dt.timezone.utc)


def format_timestamp(value: _dt.datetime) -> str:
    value = value.astimezone(_dt.timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
