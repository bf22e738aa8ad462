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
from dataclasses import dataclass, field
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
    location: Location | None = field(default=None, compare=False)
    # The control this one refines (NIST AI RMF: a subcategory's category): evidence
    # for this control counts for its parent, as through maps_to, but it is no edge.
    parent: str | None = None
    # Where each maps_to entry is written, for errors that point at the reference.
    maps_to_locations: tuple[Location, ...] = field(default=(), compare=False, repr=False)

    @property
    def framework(self) -> str:
        return self.id.partition(":")[0]


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
                raise PolicyError("expected a ControlCatalog document", document.location(),
                                  code="unknown-kind")  # fmt: skip
            problems = validate_document(document, "ControlCatalog")
            if problems:
                errors.extend(problems)
                continue
            catalogs.append(_parse(document))
        except PolicygateError as error:
            errors.append(error)
    if errors:
        raise ErrorGroup.of(errors)
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
                parent=c.get("parent"),
                location=document.location(("spec", "controls", i)),
                maps_to_locations=tuple(
                    document.location(("spec", "controls", i, "maps_to", j))
                    for j in range(len(c.get("maps_to") or ()))
                ),
            )
            for i, c in enumerate(spec["controls"])
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
                errors.append(
                    PolicyError(
                        unknown_control(
                            control, known, f"in rule {rule.id!r}", suggest=len(errors) < SUGGESTED
                        ),
                        rule.location or Location(policy.source),
                    )
                )
    return errors


SUGGESTED = 20
"""How many unknown ids of one check get a did-you-mean: difflib compares each
with every known id, so a file naming thousands would take minutes, and an
ErrorGroup prints the first twenty anyway."""


def unknown_control(control: str, known: Sequence[str], where: str, suggest: bool = True) -> str:
    """The message for a control id no catalog defines, with the closest known id
    when ``suggest``."""
    hint = difflib.get_close_matches(control, known, n=1) if suggest else []
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"unknown control id {control!r} {where}{suggestion}"


def check_catalogs(catalogs: Sequence[ControlCatalog]) -> list[PolicyError]:
    """Errors in the catalogs taken together: a control id defined twice, a
    ``maps_to`` that names no known control, and ``maps_to`` cycles.

    Plain Python on purpose: ``check`` runs it for ``--catalog`` without a risk
    register, and must not pay for networkx then.
    """
    errors: list[PolicyError] = []
    controls: dict[str, Control] = {}
    for catalog in catalogs:
        for control in catalog.controls:
            first = controls.get(control.id)
            if first is not None:
                errors.append(
                    PolicyError(
                        f"duplicate control id {control.id!r} (first defined at {first.location})",
                        control.location or Location(catalog.source),
                    )
                )
                continue
            controls[control.id] = control
    known = sorted(controls)
    for control in controls.values():
        for target, where in _mappings(control):
            if target not in controls:
                message = unknown_control(
                    target, known, f"in maps_to of {control.id!r}", suggest=len(errors) < SUGGESTED
                )
                errors.append(PolicyError(message, where))
        if control.parent is not None and control.parent not in controls:
            others = [k for k in known if k != control.id]
            message = unknown_control(control.parent, others, f"as parent of {control.id!r}")
            errors.append(PolicyError(message, control.location or Location("")))
    errors.extend(_mapping_cycles(controls))
    return errors


def _mappings(control: Control) -> list[tuple[str, Location | None]]:
    locations: Sequence[Location | None] = control.maps_to_locations or [control.location] * len(
        control.maps_to
    )
    return list(zip(control.maps_to, locations, strict=True))


def _mapping_cycles(controls: dict[str, Control]) -> list[PolicyError]:
    """One error per ``maps_to`` entry that closes a cycle (depth-first, iterative)."""
    errors: list[PolicyError] = []
    done: set[str] = set()
    for start in controls:
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        stack = [iter(_mappings(controls[start]))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
                continue
            target, where = step
            if target in on_path:
                cycle = " -> ".join([*path[path.index(target) :], target])
                errors.append(PolicyError(f"maps_to cycle: {cycle}", where))
            elif target in controls and target not in done:
                path.append(target)
                on_path.add(target)
                stack.append(iter(_mappings(controls[target])))
    return errors


def verify_control_ids(policies: Iterable[Policy], extra: Iterable[ControlCatalog] = ()) -> None:
    """Raise the catalog errors and the unknown-control errors of the policies
    (shipped catalogs plus ``extra``) together."""
    catalogs = all_catalogs(extra)
    errors = check_catalogs(catalogs) + check_control_ids(policies, catalogs)
    if errors:
        raise ErrorGroup.of(errors)
