"""CEL's values over plain Python values, plus the few types Python lacks.

A document loaded from YAML or JSON is evaluated as it is: ``int``, ``float``
(CEL's double), ``bool``, ``str``, ``bytes``, ``None``, ``list`` and ``dict``
are CEL values already, so no record is converted before evaluation. Python
lacks four of CEL's types; they are small immutable classes here:
:class:`Uint` (an ``int`` subclass, so that a dispatch on ``type(x)`` tells it
from an ``int`` while equality and hashing stay numeric, as CEL's
heterogeneous equality wants), :class:`Timestamp` and :class:`Duration`
(integer nanoseconds, CEL's precision), :class:`Optional` and :class:`CelType`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from policygate.cel.lang.errors import EvalError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

NANOS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z in Unix seconds.
TIMESTAMP_MIN_SECONDS = -62135596800
TIMESTAMP_MAX_SECONDS = 253402300799
#: A duration is a signed 64-bit count of nanoseconds (about ±292 years), as in
#: cel-go: the conformance tests require ``timestamp('9999-12-31T23:59:59Z') -
#: timestamp('0001-01-01T00:00:00Z')`` to be a range error.
DURATION_MAX_NANOS = 2**63 - 1


class Uint(int):
    """CEL's ``uint``: an unsigned 64-bit integer (``1u``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{int(self)}u"


def make_uint(value: int) -> Uint:
    """A ``uint`` or CEL's overflow error when ``value`` leaves [0, 2^64)."""
    if value < 0 or value > UINT64_MAX:
        raise EvalError("unsigned integer overflow", "overflow")
    return Uint(value)


def check_int(value: int) -> int:
    """``value`` or CEL's overflow error when it leaves the signed 64-bit range."""
    if value < INT64_MIN or value > INT64_MAX:
        raise EvalError("integer overflow", "overflow")
    return value


class Timestamp:
    """A point in time: integer nanoseconds since the Unix epoch, in CEL's range."""

    __slots__ = ("nanos",)

    def __init__(self, nanos: int) -> None:
        seconds = nanos // NANOS
        if seconds < TIMESTAMP_MIN_SECONDS or seconds > TIMESTAMP_MAX_SECONDS:
            raise EvalError("timestamp out of range", "range")
        self.nanos = nanos

    @classmethod
    def from_datetime(cls, moment: datetime) -> Timestamp:
        """The timestamp of an aware ``datetime`` (a naive one has no instant: refused)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("a naive datetime is no point in time: give it a time zone")
        delta = moment - _EPOCH
        return cls((delta.days * 86_400 + delta.seconds) * NANOS + delta.microseconds * 1000)

    def to_datetime(self) -> datetime:
        """This instant as an aware UTC ``datetime`` (to the microsecond, truncated)."""
        return _EPOCH + timedelta(microseconds=self.nanos // 1000)

    def __eq__(self, other: object) -> bool:
        return type(other) is Timestamp and other.nanos == self.nanos

    def __hash__(self) -> int:
        return hash(("timestamp", self.nanos))

    def __lt__(self, other: Timestamp) -> bool:
        return self.nanos < other.nanos

    def __le__(self, other: Timestamp) -> bool:
        return self.nanos <= other.nanos

    def __gt__(self, other: Timestamp) -> bool:
        return self.nanos > other.nanos

    def __ge__(self, other: Timestamp) -> bool:
        return self.nanos >= other.nanos

    def __repr__(self) -> str:
        return f"timestamp({format_timestamp(self)!r})"


class Duration:
    """A signed span of time in integer nanoseconds, in CEL's range."""

    __slots__ = ("nanos",)

    def __init__(self, nanos: int) -> None:
        if nanos > DURATION_MAX_NANOS or nanos < -DURATION_MAX_NANOS:
            raise EvalError("duration out of range", "range")
        self.nanos = nanos

    @classmethod
    def from_timedelta(cls, span: timedelta) -> Duration:
        """The duration of a ``timedelta``."""
        return cls((span.days * 86_400 + span.seconds) * NANOS + span.microseconds * 1000)

    def to_timedelta(self) -> timedelta:
        """This duration as a ``timedelta`` (to the microsecond, rounded toward zero)."""
        micros = abs(self.nanos) // 1000
        return timedelta(microseconds=micros if self.nanos >= 0 else -micros)

    def __eq__(self, other: object) -> bool:
        return type(other) is Duration and other.nanos == self.nanos

    def __hash__(self) -> int:
        return hash(("duration", self.nanos))

    def __lt__(self, other: Duration) -> bool:
        return self.nanos < other.nanos

    def __le__(self, other: Duration) -> bool:
        return self.nanos <= other.nanos

    def __gt__(self, other: Duration) -> bool:
        return self.nanos > other.nanos

    def __ge__(self, other: Duration) -> bool:
        return self.nanos >= other.nanos

    def __repr__(self) -> str:
        return f"duration({format_duration(self)!r})"


class Optional:
    """CEL's optional value (cel-go's ``optional_type``): a value, or none."""

    __slots__ = ("has", "value")

    def __init__(self, has: bool, value: Any = None) -> None:
        self.has = has
        self.value = value

    def __eq__(self, other: object) -> bool:
        """Python's equality of the contents; CEL's ``==`` is ``equality.cel_equal``."""
        if type(other) is not Optional:
            return False
        return self.has == other.has and (not self.has or bool(self.value == other.value))

    def __hash__(self) -> int:
        return hash(("optional", self.has))

    def __repr__(self) -> str:
        return f"optional.of({self.value!r})" if self.has else "optional.none()"


NONE = Optional(False)


class CelType:
    """A type as a value (``type(1) == int``); equal when the names are."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return type(other) is CelType and other.name == self.name

    def __hash__(self) -> int:
        return hash(("type", self.name))

    def __repr__(self) -> str:
        return self.name


INT = CelType("int")
UINT = CelType("uint")
DOUBLE = CelType("double")
BOOL = CelType("bool")
STRING = CelType("string")
BYTES = CelType("bytes")
LIST = CelType("list")
MAP = CelType("map")
NULL_TYPE = CelType("null_type")
TYPE = CelType("type")
TIMESTAMP = CelType("google.protobuf.Timestamp")
DURATION = CelType("google.protobuf.Duration")
OPTIONAL_TYPE = CelType("optional_type")

#: The type of each Python class that carries a CEL value.
TYPE_OF: dict[type, CelType] = {
    int: INT,
    Uint: UINT,
    float: DOUBLE,
    bool: BOOL,
    str: STRING,
    bytes: BYTES,
    list: LIST,
    tuple: LIST,
    dict: MAP,
    type(None): NULL_TYPE,
    CelType: TYPE,
    Timestamp: TIMESTAMP,
    Duration: DURATION,
    Optional: OPTIONAL_TYPE,
}

#: Type names an expression may write as identifiers (``int``, ``type(x) == map``...).
TYPE_IDENTS: dict[str, CelType] = {
    t.name: t for t in (INT, UINT, DOUBLE, BOOL, STRING, BYTES, LIST, MAP, NULL_TYPE, TYPE)
} | {TIMESTAMP.name: TIMESTAMP, DURATION.name: DURATION, OPTIONAL_TYPE.name: OPTIONAL_TYPE}


def type_of(value: Any) -> CelType:
    """The CEL type of ``value`` (an error for a Python value CEL has no type for)."""
    try:
        return TYPE_OF[type(value)]
    except KeyError:
        raise EvalError(f"no CEL type for a Python {type(value).__name__}", "unsupported") from None


def type_name(value: Any) -> str:
    """The CEL type name of ``value``, for error messages (never raises)."""
    found = TYPE_OF.get(type(value))
    return found.name if found is not None else type(value).__name__


def no_overload(function: str, *args: object) -> EvalError:
    """CEL's "no matching overload" for ``function`` over the CEL types of ``args``."""
    types = tuple(type_name(a) for a in args)
    return EvalError(
        f"no such overload: {function}({', '.join(types)})",
        "no_matching_overload",
        overload=(function, types),
    )


def format_timestamp(value: Timestamp) -> str:
    """RFC 3339 in UTC, with the fraction cel-go writes (none, or trailing zeros cut)."""
    seconds, nanos = divmod(value.nanos, NANOS)
    moment = _EPOCH + timedelta(seconds=seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if len(text) < 19:  # strftime may not pad years below 1000
        text = f"{moment.year:04d}" + text[text.index("-") :]
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def format_duration(value: Duration) -> str:
    """Seconds with the fraction needed: ``'1000000s'``, ``'1.5s'``, ``'-0.000000001s'``."""
    sign = "-" if value.nanos < 0 else ""
    seconds, nanos = divmod(abs(value.nanos), NANOS)
    if nanos:
        return f"{sign}{seconds}." + f"{nanos:09d}".rstrip("0") + "s"
    return f"{sign}{seconds}s"
