"""The approvers directory (``kind: Approvers``): who may approve, in which role, with which key.

A directory is data, loaded once and passed to the evaluator, which stays
I/O-free. Every validity window is half-open, ``valid_from <= t < valid_until``,
and is checked at the approval's ``granted_at``: an approval given while the
person held the role, with a key then in use, keeps counting after they leave
or the key is rotated (until the approval itself expires). A key that may have
leaked is not rotated but removed from the directory: then nothing it signed
counts any more.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..documents import DEFAULT_LIMITS, Document, Limits, load_paths
from ..errors import ErrorGroup, Location, PolicyError, PolicygateError
from ..policy import document_kind
from ..timestamps import parse_timestamp
from ..validation import validate_document
from .signing import PublicKey, parse_public_key, require_crypto


@dataclass(frozen=True)
class Validity:
    """A half-open window ``[valid_from, valid_until)``; ``None`` is unbounded."""

    valid_from: _dt.datetime | None = None
    valid_until: _dt.datetime | None = None

    def holds_at(self, moment: _dt.datetime) -> bool:
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return self.valid_until is None or moment < self.valid_until


@dataclass(frozen=True)
class RoleGrant:
    role: str
    validity: Validity = Validity()


@dataclass(frozen=True)
class ApproverKey:
    public: PublicKey
    validity: Validity = Validity()

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint


@dataclass(frozen=True)
class Approver:
    id: str
    roles: tuple[RoleGrant, ...]
    keys: tuple[ApproverKey, ...]
    name: str = ""
    type: str = "person"
    validity: Validity = Validity()
    location: Location | None = None

    def key(self, fingerprint: str) -> ApproverKey | None:
        for key in self.keys:
            if key.fingerprint == fingerprint:
                return key
        return None

    def holds(self, role: str, moment: _dt.datetime) -> bool:
        return any(g.role == role and g.validity.holds_at(moment) for g in self.roles)


@dataclass(frozen=True)
class Approvers:
    """Every approver of the directories given, by identity."""

    approvers: tuple[Approver, ...] = ()
    sources: tuple[str, ...] = ()

    def get(self, identity: str) -> Approver | None:
        return self._by_id.get(identity)

    def owner_of(self, fingerprint: str) -> Approver | None:
        """The approver a key belongs to (a key belongs to one identity only)."""
        return self._by_key.get(fingerprint)

    # Indexes made on first use: every approval is looked up by identity and key,
    # and a record can hold thousands naming keys that are nobody's. The first
    # approver of an identity or a key wins, as a walk through the list finds it.
    @functools.cached_property
    def _by_id(self) -> dict[str, Approver]:
        index: dict[str, Approver] = {}
        for approver in self.approvers:
            index.setdefault(approver.id, approver)
        return index

    @functools.cached_property
    def _by_key(self) -> dict[str, Approver]:
        index: dict[str, Approver] = {}
        for approver in self.approvers:
            for key in approver.keys:
                index.setdefault(key.fingerprint, approver)
        return index


def load_approvers(
    paths: Sequence[str | os.PathLike[str]], *, limits: Limits = DEFAULT_LIMITS
) -> Approvers:
    """Every ``kind: Approvers`` document under ``paths``, merged into one directory.

    Any other kind, a schema violation, a bad key or timestamp, an identity
    listed twice or a key given to two identities is a load error with its
    file, line and column. Needs the ``signing`` extra.
    """
    require_crypto()
    approvers: list[Approver] = []
    errors: list[PolicygateError] = []
    sources: list[str] = []
    for document in typed_documents(paths, "Approvers", errors, limits):
        if document.source not in sources:
            sources.append(document.source)
        approvers.extend(_parse(document, errors))
    errors.extend(_duplicates(approvers))
    if errors:
        raise ErrorGroup.of(errors)
    return Approvers(tuple(approvers), tuple(sources))


def typed_documents(
    paths: Sequence[str | os.PathLike[str]],
    kind: str,
    errors: list[PolicygateError],
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Document]:
    """The documents under ``paths`` that are ``kind`` and match its shipped schema.

    Anything else (another kind, an untyped document, a schema violation) is
    added to ``errors`` with its location instead.
    """
    for document in load_paths([os.fspath(p) for p in paths], limits):
        try:
            found = document_kind(document)
        except PolicygateError as error:
            errors.append(error)
            continue
        if found != kind:
            article = "an" if kind[0] in "AEIOU" else "a"
            errors.append(
                PolicyError(
                    f"expected {article} {kind} document, found {found or 'an untyped document'}",
                    document.location(),
                )
            )
            continue
        problems = validate_document(document, kind)
        if problems:
            errors.extend(problems)
            continue
        yield document


def _parse(document: Document, errors: list[PolicygateError]) -> Iterator[Approver]:
    for index, raw in enumerate(document.data["spec"]["approvers"]):
        path: tuple[str | int, ...] = ("spec", "approvers", index)
        before = len(errors)
        validity = _validity(document, path, raw, errors)
        roles = []
        for r, role in enumerate(raw["roles"]):
            if isinstance(role, str):
                roles.append(RoleGrant(role))
            else:
                window = _validity(document, (*path, "roles", r), role, errors)
                roles.append(RoleGrant(role["role"], window))
        keys = []
        first_at: dict[str, Location] = {}
        for k, key in enumerate(raw["keys"]):
            window = _validity(document, (*path, "keys", k), key, errors)
            where = document.location((*path, "keys", k, "public_key"))
            try:
                public = parse_public_key(key["public_key"])
            except ValueError as error:
                errors.append(PolicyError(str(error), where))
                continue
            # One key, one window: a second entry (a valid_until meant to retire
            # the key, say) would never be read, as a signature finds the first.
            first = first_at.setdefault(public.fingerprint, where)
            if first is not where:
                errors.append(
                    PolicyError(
                        f"key {public.fingerprint} is listed twice for {raw['id']!r} "
                        f"(first at {first}): give one key one entry",
                        where,
                    )
                )
            keys.append(ApproverKey(public, window))
        if len(errors) > before:
            continue
        yield Approver(
            id=raw["id"],
            roles=tuple(roles),
            keys=tuple(keys),
            name=raw.get("name", ""),
            type=raw.get("type", "person"),
            validity=validity,
            location=document.location(path),
        )


def _validity(
    document: Document,
    path: tuple[str | int, ...],
    raw: Mapping[str, Any],
    errors: list[PolicygateError],
) -> Validity:
    bounds: dict[str, _dt.datetime | None] = {}
    for name in ("valid_from", "valid_until"):
        bounds[name] = None
        if name in raw:
            try:
                bounds[name] = parse_timestamp(raw[name])
            except ValueError as error:
                errors.append(PolicyError(f"{name}: {error}", document.location((*path, name))))
    start, end = bounds["valid_from"], bounds["valid_until"]
    if start is not None and end is not None and end <= start:
        where = document.location((*path, "valid_until"))
        errors.append(PolicyError("valid_until must be after valid_from", where))
    return Validity(start, end)


def _duplicates(approvers: Sequence[Approver]) -> Iterator[PolicyError]:
    identities: dict[str, Approver] = {}
    owners: dict[str, Approver] = {}
    for approver in approvers:
        first = identities.setdefault(approver.id, approver)
        if first is not approver:
            yield PolicyError(
                f"approver {approver.id!r} is listed twice (first at {first.location})",
                approver.location,
            )
            continue
        for key in approver.keys:
            holder = owners.setdefault(key.fingerprint, approver)
            if holder is not approver:
                yield PolicyError(
                    f"key {key.fingerprint} of {approver.id!r} is also listed for "
                    f"{holder.id!r}: a key belongs to one identity",
                    approver.location,
                )
