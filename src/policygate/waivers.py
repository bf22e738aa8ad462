"""Waivers: a time-boxed, justified exception to one rule for some models.

A waiver without an expiry is a load error. An expired waiver waives nothing;
the result it would have covered says that it expired and when.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass

from .documents import DEFAULT_LIMITS, Document, Limits, load_paths
from .errors import ErrorGroup, Location, PolicyError, PolicygateError
from .policy import document_kind
from .timestamps import parse_timestamp
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

    def covers(self, policy: str, rule: str, model_name: str, model_version: str) -> bool:
        """Whether this waiver names this rule and this model (ignoring expiry)."""
        if not fnmatch.fnmatchcase(f"{policy}/{rule}", self.rule):
            return False
        return any(_model_matches(p, model_name, model_version) for p in self.models)

    def active(self, now: _dt.datetime) -> bool:
        return now < self.expires_at


def _model_matches(pattern: str, name: str, version: str) -> bool:
    name_glob, sep, version_glob = pattern.partition("@")
    if not fnmatch.fnmatchcase(name, name_glob):
        return False
    return not sep or fnmatch.fnmatchcase(version, version_glob)


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
    try:
        expires_at = parse_timestamp(spec["expires_at"])
    except ValueError as error:
        where = document.location(("spec", "expires_at"))
        raise PolicyError(f"expires_at: {error}", where, code="waiver-invalid") from None
    return Waiver(
        name=document.data["metadata"]["name"],
        rule=spec["rule"],
        models=tuple(spec["models"]),
        justification=spec["justification"],
        approved_by=spec["approved_by"],
        expires_at=expires_at,
        source=document.source,
        location=document.location(),
    )
