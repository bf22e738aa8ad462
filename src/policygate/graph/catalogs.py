"""Control catalogs (``kind: ControlCatalog``): the regulatory frameworks whose
controls rules give evidence for. Three ship inside the wheel (EU AI Act,
ISO/IEC 42001 Annex A, NIST AI RMF 1.0); users add their own with ``--catalog``.

A control id is ``framework:id`` (``iso-42001:A.6.2.4``).
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

from ..documents import DEFAULT_LIMITS, Document, Limits, load_paths, load_text
from ..errors import ErrorGroup, Location, PolicyError, PolicygateError
from ..policy import Policy, document_kind
from ..validation import validate_document

SHIPPED = ("eu-ai-act", "iso-42001", "nist-ai-rmf")


@dataclass(frozen=True)
class Control:
    id: str  # framework:id
    title: str
    description: str = ""
    maps_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class ControlCatalog:
    framework: str
    name: str
    title: str
    version: str
    controls: tuple[Control, ...]
    source: str = ""

    def ids(self) -> set[str]:
        return {c.id for c in self.controls}


@functools.cache
def shipped_catalogs() -> tuple[ControlCatalog, ...]:
    """The catalogs inside the wheel."""
    catalogs: list[ControlCatalog] = []
    for framework in SHIPPED:
        path = resources.files("policygate").joinpath("catalogs", f"{framework}.yaml")
        documents = load_text(path.read_bytes(), f"policygate:catalogs/{framework}.yaml")
        catalogs.extend(_parse(d) for d in documents)
    return tuple(catalogs)


def load_catalogs(
    paths: Sequence[str | os.PathLike[str]], *, limits: Limits = DEFAULT_LIMITS
) -> list[ControlCatalog]:
    """User catalogs; every document must be a ControlCatalog."""
    catalogs: list[ControlCatalog] = []
    errors: list[PolicygateError] = []
    for document in load_paths([os.fspath(p) for p in paths], limits):
        try:
            if document_kind(document) != "ControlCatalog":
                raise PolicyError("expected a ControlCatalog document", document.location())
            problems = validate_document(document, "ControlCatalog")
            if problems:
                errors.extend(problems)
                continue
            catalogs.append(_parse(document))
        except PolicygateError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return catalogs


def _parse(document: Document) -> ControlCatalog:
    data = document.data
    spec = data["spec"]
    framework = spec["framework"]
    return ControlCatalog(
        framework=framework,
        name=data["metadata"]["name"],
        title=data["metadata"].get("title", ""),
        version=data["metadata"].get("version", ""),
        controls=tuple(
            Control(
                id=f"{framework}:{c['id']}",
                title=c["title"],
                description=c.get("description", ""),
                maps_to=tuple(c.get("maps_to") or ()),
            )
            for c in spec["controls"]
        ),
        source=document.source,
    )


def all_catalogs(extra: Iterable[ControlCatalog] = ()) -> list[ControlCatalog]:
    return [*shipped_catalogs(), *extra]


def check_control_ids(
    policies: Iterable[Policy], catalogs: Iterable[ControlCatalog]
) -> list[PolicyError]:
    """An error for each control id that no catalog defines, with a suggestion."""
    known = sorted({c for catalog in catalogs for c in catalog.ids()})
    errors: list[PolicyError] = []
    seen: set[tuple[str, str]] = set()
    for policy in policies:
        for rule in policy.rules:
            for control in rule.controls:
                if control in known or (rule.id, control) in seen:
                    continue
                seen.add((rule.id, control))
                hint = difflib.get_close_matches(control, known, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                errors.append(
                    PolicyError(
                        f"unknown control id {control!r} in rule {rule.id!r}{suggestion}",
                        rule.location or Location(policy.source),
                    )
                )
    return errors


def verify_control_ids(policies: Iterable[Policy], extra: Iterable[ControlCatalog] = ()) -> None:
    """Raise the unknown-control errors (shipped catalogs plus ``extra``) together."""
    errors = check_control_ids(policies, all_catalogs(extra))
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
