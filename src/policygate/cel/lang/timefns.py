"""Timestamps and durations: RFC 3339 and Go-style duration text, getters, zones.

A timestamp's getters take an optional time zone, an IANA name
(``'Australia/Sydney'``) or a fixed offset (``'+11:00'``, ``'-02:30'``), read
with :mod:`zoneinfo`. Text forms are cel-go's: RFC 3339 with as many fraction
digits as needed, and durations as seconds (``'1.5s'``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from policygate.cel.lang.errors import EvalError, quoted
from policygate.cel.lang.values import (
    NANOS,
    Duration,
    Timestamp,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z",
    re.ASCII,  # a digit is 0-9 (Python's \d also takes "٢٠٢٦")
)
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)", re.ASCII)
_UNIT_NANOS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": NANOS,
    "m": 60 * NANOS,
    "h": 3600 * NANOS,
}
#: Digits of a duration part's whole number past which it is out of range in any unit,
#: and of its fraction past which the rest cannot change a nanosecond but on a boundary
#: no text of a rule comes near (int() refuses texts of more than 4,300 digits).
_WHOLE_DIGITS = 20
_FRACTION_DIGITS = 400
_OFFSET = re.compile(r"([+-]?)(\d{1,4}):(\d{1,2})\Z", re.ASCII)


@lru_cache(maxsize=4096)
def parse_timestamp(text: str) -> Timestamp:
    """An RFC 3339 timestamp (``2009-02-13T23:31:30.5Z``, ``...+01:00``).

    Cached: a record's dates are read by many rules, and a Timestamp is immutable.
    """
    found = _RFC3339.match(text)
    if found is None:
        raise EvalError(f"timestamp {quoted(text)} is not RFC 3339", "conversion")
    year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    fraction = found.group(7) or ""
    try:  # second 60 and above refused too (Go's time.Parse: no leap seconds)
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise EvalError(f"timestamp {quoted(text)}: {exc}", "conversion") from None
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    if found.group(9):
        hours, minutes = int(found.group(10)), int(found.group(11))
        if hours > 23 or minutes > 59:  # RFC 3339's time-numoffset: at most 23:59
            raise EvalError(f"timestamp {quoted(text)}: offset out of range", "conversion")
        offset = hours * 3600 + minutes * 60
        seconds -= offset if found.group(9) == "+" else -offset
    # Past nine digits the fraction is cut, as Go's time.Parse (cel-go) and cel-cpp do.
    nanos = int(fraction[:9].ljust(9, "0")) if fraction else 0
    return Timestamp(seconds * NANOS + nanos)


@lru_cache(maxsize=1024)
def parse_duration(text: str) -> Duration:
    """A Go duration (``'1h30m'``, ``'-1.5s'``, ``'100ns'``)."""
    body = text
    sign = 1
    if body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if body == "0":
        return Duration(0)
    if not body:
        raise EvalError(f"invalid duration {quoted(text)}", "conversion")
    total = 0
    pos = 0
    while pos < len(body):
        part = _DURATION_PART.match(body, pos)
        if part is None:
            raise EvalError(f"invalid duration {quoted(text)}", "conversion")
        number, unit = part.group(1), part.group(2)
        whole, _, fraction = number.partition(".")
        scale = _UNIT_NANOS[unit]
        whole = whole.lstrip("0")
        if len(whole) > _WHOLE_DIGITS:  # out of range whatever the unit (and past int()'s limit)
            raise EvalError("duration out of range", "range")
        total += int(whole or "0") * scale
        if fraction:
            fraction = fraction[:_FRACTION_DIGITS].rstrip("0")
            if fraction:
                total += int(fraction) * scale // 10 ** len(fraction)
        pos = part.end()
    return Duration(sign * total)


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo | timedelta:
    """The time zone named ``name``, as cel-go reads it: with no ``:``, an IANA name
    (``''`` is UTC, as Go's ``time.LoadLocation`` has it), else an offset
    ``[+-]H:M`` of any hours and minutes 0-59 (``'+05:30'``, ``'-8:00'``), given
    as a ``timedelta`` (a ``timezone`` holds less than a day)."""
    if ":" in name:
        offset = _OFFSET.match(name)
        if offset is None or int(offset.group(3)) > 59:
            raise EvalError(f"unknown time zone {quoted(name)}", "invalid_argument")
        minutes = int(offset.group(2)) * 60 + int(offset.group(3))
        return timedelta(minutes=-minutes if offset.group(1) == "-" else minutes)
    if name in ("", "UTC"):
        return UTC
    from zoneinfo import ZoneInfo  # on first use: a rule naming a zone is rare

    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise EvalError(f"unknown time zone {quoted(name)}", "invalid_argument") from None


_CYCLE = timedelta(days=146_097)
"""400 Gregorian years: the calendar and the days of the week repeat after it."""


def local(value: Timestamp, zone_name: str | None) -> tuple[datetime, int]:
    """The wall-clock reading of ``value`` in ``zone_name`` (UTC when None), and the
    years to add to its year. Near the ends of CEL's range a zone's reading may fall
    in year 0 or 10,000, which a ``datetime`` cannot hold (cel-go and cel-cpp give
    them): the instant is read 400 years nearer, where every field but the year is
    the same."""
    moment = _EPOCH + timedelta(microseconds=value.nanos // 1000)
    if zone_name is None:
        return moment, 0
    where = zone(zone_name)
    for shift in (0, 400, -400):
        try:
            shifted = moment + _CYCLE * (shift // 400)
            if isinstance(where, timedelta):
                return shifted + where, -shift
            return shifted.astimezone(where), -shift
        except OverflowError:
            continue
    raise EvalError("timestamp out of range in that time zone", "range")


def timestamp_getter(name: str, value: Timestamp, zone_name: str | None) -> int:
    """``getFullYear``, ``getMonth``... (cel-go's 0- or 1-based fields)."""
    moment, years = local(value, zone_name)
    if name == "getFullYear":
        return moment.year + years
    if name == "getMonth":
        return moment.month - 1
    if name == "getDate":
        return moment.day
    if name == "getDayOfMonth":
        return moment.day - 1
    if name == "getDayOfYear":
        return moment.timetuple().tm_yday - 1
    if name == "getDayOfWeek":
        return (moment.weekday() + 1) % 7
    if name == "getHours":
        return moment.hour
    if name == "getMinutes":
        return moment.minute
    if name == "getSeconds":
        return moment.second
    if name == "getMilliseconds":
        return (value.nanos % NANOS) // 1_000_000
    raise EvalError(f"no such overload: {name}", "no_matching_overload")


def duration_getter(name: str, value: Duration) -> int:
    """A duration's ``getHours`` (whole hours), ..., ``getMilliseconds`` (the ms part)."""
    nanos = value.nanos
    if name == "getHours":
        return _trunc(nanos, 3600 * NANOS)
    if name == "getMinutes":
        return _trunc(nanos, 60 * NANOS)
    if name == "getSeconds":
        return _trunc(nanos, NANOS)
    if name == "getMilliseconds":
        return _trunc(nanos, 1_000_000) - _trunc(nanos, NANOS) * 1000
    raise EvalError(f"no such overload: {name}", "no_matching_overload")


def _trunc(a: int, b: int) -> int:
    """Integer division rounding toward zero (Go's and CEL's)."""
    q = abs(a) // b
    return q if a >= 0 else -q
