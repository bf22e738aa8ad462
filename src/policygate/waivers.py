"""Waivers: a time-boxed, justified exception to one rule for some models.

A waiver without an expiry is a load error. An expired waiver waives nothing;
the result it would have covered says that it expired and when. A waiver with a
``granted_at`` waives nothing before it either.

Patterns take two globs, ``*`` (any characters) and ``?`` (one character); every
other character, ``[`` and ``]`` included, is itself (fnmatch's ``[seq]`` classes
would let ``fraud[eu]`` cover ``fraude`` and ``fraudu``, not the model it names).
They are compiled once, when the waiver is made.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from .documents import DEFAULT_LIMITS, Document, Limits, load_paths
from .errors import ErrorGroup, Location, PolicyError, PolicygateError, UsageError
from .policy import document_kind
from .timestamps import format_timestamp, parse_timestamp
from .validation import validate_document


@dataclass(frozen=True)
class Waiver:
    name: str
    rule: str  # "policy/rule", globs allowed
    models: tuple[str, ...]  # "name[@version-glob]", globs allowed
    justification: str
    approved_by: str
    expires_at: _dt.datetime
    source: str = ""
    location: Location | None = None
    granted_at: _dt.datetime | None = None  # not active before it, when given
    _rule: _Glob = field(init=False, repr=False, compare=False)
    _models: tuple[tuple[_Glob, _Glob | None], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for key in ("expires_at", "granted_at"):  # (a naive one cannot be compared to now)
            value = getattr(self, key)
            if (value is not None or key == "expires_at") and not (
                isinstance(value, _dt.datetime) and value.utcoffset() is not None
            ):
                raise UsageError(f"waiver {self.name!r}: {key} must be a datetime with a "
                                 f"time zone, got {value!r}")  # fmt: skip
        models = []
        for pattern in dict.fromkeys(self.models):  # (a repeated pattern is matched once)
            name_glob, sep, version_glob = pattern.partition("@")
            models.append((_Glob(name_glob), _Glob(version_glob) if sep else None))
        object.__setattr__(self, "_rule", _Glob(self.rule))
        object.__setattr__(self, "_models", tuple(models))

    def covers(self, policy: str, rule: str, model_name: str, model_version: str) -> bool:
        """Whether this waiver names this rule and this model (ignoring expiry)."""
        return self.covers_rule(policy, rule) and self.covers_model(model_name, model_version)

    def covers_rule(self, policy: str, rule: str) -> bool:
        """Whether ``spec.rule`` names the rule ``rule`` of ``policy``."""
        return self._rule.matches(f"{policy}/{rule}")

    def covers_model(self, model_name: str, model_version: str) -> bool:
        """Whether one of ``spec.models`` names this model version."""
        return any(
            _covers(name, model_name) and (version is None or _covers(version, model_version))
            for name, version in self._models
        )

    def active(self, now: _dt.datetime) -> bool:
        """From ``granted_at`` (when given) until, not including, ``expires_at``."""
        return (self.granted_at is None or self.granted_at <= now) and now < self.expires_at

    def pending(self, now: _dt.datetime) -> bool:
        """Not active yet: ``now`` is before its ``granted_at``."""
        return self.granted_at is not None and now < self.granted_at


GLOB_TEXT_LIMIT = 256
"""The longest model name or version a pattern holding ``*`` or ``?`` covers (a longer
one only by its whole name): a ``?`` glob's matching costs its length times the
text's, and a record named with a million characters against a waiver file of
``*a?a?...b*`` patterns took hours. A registry's names are shorter (MLflow's database holds 256)."""


def _covers(glob: _Glob, text: str) -> bool:
    if len(text) > GLOB_TEXT_LIMIT and not glob.exact:
        return False  # (a glob's cost grows with the text: a long name is named whole)
    return glob.matches(text)


class _Glob:
    """A waiver pattern: ``*`` any characters, ``?`` one, every other character itself.

    A pattern without ``?`` is matched by its pieces between stars, with ``str``
    methods: a waiver of 100,000 patterns is made and matched in about a second (a
    compiled regex each took 80 us). One with ``?`` is a regex, compiled when it
    is first matched: fnmatch's translation, whose stars do not backtrack into one
    another (``*a*a*b`` on a long name is linear), with ``[`` the class of ``[``."""

    __slots__ = ("pattern", "exact", "_pieces", "_regex", "_shortest")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._pieces = None if "?" in pattern else pattern.split("*")
        self._regex: re.Pattern[str] | None = None
        self._shortest = len(pattern) - pattern.count("*")  # what a text it matches has
        self.exact = self._pieces is not None and len(self._pieces) == 1  # (no glob)

    def matches(self, text: str) -> bool:
        pieces = self._pieces
        if pieces is None:
            if len(text) < self._shortest:
                return False
            if self._regex is None:
                self._regex = re.compile(fnmatch.translate(self.pattern.replace("[", "[[]")))
            return self._regex.match(text) is not None
        if len(pieces) == 1:
            return text == pieces[0]
        first, *middle, last = pieces
        if len(text) < len(first) + len(last) or not text.startswith(first):
            return False
        if not text.endswith(last):
            return False
        at, end = len(first), len(text) - len(last)
        for piece in middle:  # each piece at its leftmost place after the one before
            found = text.find(piece, at, end)
            if found < 0:
                return False
            at = found + len(piece)
        return True


def load_waivers(
    paths: Sequence[str | os.PathLike[str]], *, limits: Limits = DEFAULT_LIMITS
) -> list[Waiver]:
    """Every Waiver document under ``paths``; other kinds are a load error here."""
    waivers: list[Waiver] = []
    errors: list[PolicygateError] = []
    for document in load_paths([os.fspath(p) for p in paths], limits):
        try:
            kind = document_kind(document)
        except PolicygateError as error:
            errors.append(error)
            continue
        if kind != "Waiver":
            errors.append(
                PolicyError(
                    f"expected a Waiver document, found {kind or 'an untyped document'}",
                    document.location(),
                )
            )
            continue
        try:
            waivers.append(waiver_from_document(document))
        except ErrorGroup as group:
            errors.extend(group.errors)
        except PolicygateError as error:
            errors.append(error)
    errors.extend(duplicate_names(waivers))
    if errors:
        raise ErrorGroup.of(errors)
    return waivers


def duplicate_names(waivers: Sequence[Waiver]) -> list[PolicygateError]:
    """A load error for every waiver that repeats an earlier one's name: results and
    the decision log name a waiver by its name, and two of one name would let the
    log record the digest of the other one."""
    seen: dict[str, Waiver] = {}
    errors: list[PolicygateError] = []
    for waiver in waivers:
        first = seen.get(waiver.name)
        if first is None:
            seen[waiver.name] = waiver
        else:
            where = f" (first at {first.location})" if first.location else ""
            errors.append(PolicyError(f"duplicate waiver name {waiver.name!r}{where}",
                                      waiver.location))  # fmt: skip
    return errors


def check_unique_names(waivers: Sequence[Waiver]) -> None:
    """Raise the load errors of :func:`duplicate_names`, if any."""
    errors = duplicate_names(waivers)
    if errors:
        raise ErrorGroup.of(errors)


def waiver_from_document(document: Document) -> Waiver:
    """One Waiver document (its ``kind`` already known), validated against the shipped schema."""
    problems = validate_document(document, "Waiver")
    if problems:
        raise ErrorGroup.of(problems)
    spec = document.data["spec"]
    for path, value, most in (
        (("metadata", "name"), document.data["metadata"]["name"], 253),
        (("spec", "justification"), spec["justification"], 1000),
        (("spec", "approved_by"), spec["approved_by"], 256),
    ):
        if len(value) > most:  # (each covers every result the waiver covers, one by one)
            raise PolicyError(
                f"{path[-1]}: {len(value)} characters, more than {most}: every result the "
                "waiver covers carries it (a longer risk acceptance belongs in the document "
                "spec.reference names)",
                document.location(path),
                code="waiver-invalid",
            )
    expires_at = _timestamp(document, spec, "expires_at")
    granted_at = _timestamp(document, spec, "granted_at") if "granted_at" in spec else None
    if granted_at is not None and expires_at <= granted_at:
        raise PolicyError(
            f"expires_at {format_timestamp(expires_at)} is not after granted_at "
            f"{format_timestamp(granted_at)}: the waiver would never be active",
            document.location(("spec", "expires_at")),
            code="waiver-invalid",
        )
    hidden = [
        PolicyError(f"{what}: {problem}", document.location(path), code="waiver-invalid")
        for what, path, pattern in [
            ("rule", ("spec", "rule"), spec["rule"]),
            *(("models", ("spec", "models", i), m) for i, m in enumerate(spec["models"])),
        ]
        if (problem := _unseen(pattern)) is not None
    ]
    if hidden:
        raise ErrorGroup.of(hidden)
    return Waiver(
        name=document.data["metadata"]["name"],
        rule=spec["rule"],
        models=tuple(spec["models"]),
        justification=spec["justification"],
        approved_by=spec["approved_by"],
        expires_at=expires_at,
        source=document.source,
        location=document.location(),
        granted_at=granted_at,
    )


def _timestamp(document: Document, spec: dict[str, object], key: str) -> _dt.datetime:
    try:
        return parse_timestamp(spec[key])  # type: ignore[arg-type]
    except ValueError as error:
        where = document.location(("spec", key))
        raise PolicyError(f"{key}: {error}", where, code="waiver-invalid") from None


def _unseen(pattern: str) -> str | None:
    """What in a pattern a reader of the waiver does not see, if anything: a character
    that is not printable (a control or format character such as a zero-width space
    or a bidi override, a separator other than the space, an unassigned one) or white
    space at either end. ``credit-limit\u200b*`` reads as the credit-limit family and
    covers only a model whose own name hides the same character."""
    if not pattern.isprintable():
        char = next(c for c in pattern if not c.isprintable())
        return f"invisible character U+{ord(char):04X} ({unicodedata.category(char)})"
    if pattern != pattern.strip():
        return "white space at an end"
    return None
