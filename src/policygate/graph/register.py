"""The risk register (``kind: RiskRegister``): the risks models carry and the
controls that mitigate them.

A risk applies to a model when the model record names it in ``spec.risks``, or
when the risk's ``applies_to`` CEL selector is true for the model, or both.
Selectors are compiled once, when the register is loaded, like a policy's
``applies_to``. Plain data and CEL only: nothing here imports networkx, so a
register can be loaded and checked without building the graph.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .. import cel
from ..documents import DEFAULT_LIMITS, Document, Limits, load_paths
from ..errors import ErrorGroup, JsonPath, LoadError, Location, PolicyError, PolicygateError
from ..models import ModelRecord
from ..policy import Expression, Loader, canonical_json, document_kind
from ..report import RiskRegisterRef
from ..validation import validate_document
from .catalogs import SUGGESTED, ControlCatalog, unknown_control
from .rating import DEFAULT_MATRIX, RiskMatrix, load_matrix, rate_risk

SELECTOR_VARIABLES = ("model", "params", "now", "inputs")
"""What a risk's ``applies_to`` reads: a policy's variables but ``risks``, which
the selectors decide."""


@dataclass(frozen=True)
class Risk:
    id: str
    title: str
    description: str = ""
    category: str = ""
    likelihood: str = ""  # a level of ``matrix`` (a 1-5 in the file becomes its label)
    impact: str = ""
    owner: str = ""
    controls: tuple[str, ...] = ()
    applies_to: Expression | None = None
    source: str = ""
    location: Location | None = None
    inherent: str = ""  # the matrix's rating of likelihood × impact; "" = unrated
    # The matrix of the risk's document: its residual rating per model (evidence.py).
    matrix: RiskMatrix = field(default=DEFAULT_MATRIX, compare=False, repr=False)
    # Where each entry of ``controls`` is written, for errors that point at it.
    control_locations: tuple[Location, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class RiskRegister:
    """The risks of every loaded RiskRegister document; risk ids are unique across them."""

    risks: tuple[Risk, ...]
    documents: tuple[RiskRegisterRef, ...] = ()
    # The rating labels, lowest first, that every document's matrix shares; ()
    # for a register built from no document.
    rating_scale: tuple[str, ...] = ()

    def risk(self, risk_id: str) -> Risk | None:
        return self._by_id.get(risk_id)

    @cached_property
    def _by_id(self) -> dict[str, Risk]:
        """The risks by id, the first of an id kept: a lookup per risk a model
        names, so a record naming thousands costs no more than their number."""
        found: dict[str, Risk] = {}
        for risk in self.risks:
            found.setdefault(risk.id, risk)
        return found

    def ids(self) -> list[str]:
        return [risk.id for risk in self.risks]


def load_risk_registers(
    paths: Sequence[str | os.PathLike[str]],
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> RiskRegister:
    """Every RiskRegister document under ``paths``, merged into one register.

    Any other kind is a load error here; so is a risk id defined twice, a
    selector that does not compile, a bad rating matrix (``spec.matrix``), a
    risk's likelihood or impact that is no level of its document's matrix, two
    documents whose matrices rate on different scales (a report has one), and a
    register without any document. All errors are raised together, sorted by
    location.
    """
    loader = Loader(cel.get_backend(), limits)
    risks: list[Risk] = []
    documents: list[RiskRegisterRef] = []
    errors: list[PolicygateError] = []
    first: dict[str, Location | None] = {}
    scale: tuple[tuple[str, ...], Location] | None = None
    for document in load_paths([os.fspath(p) for p in paths], limits):
        try:
            kind = document_kind(document)
        except PolicygateError as error:
            errors.append(error)
            continue
        if kind != "RiskRegister":
            found = kind or "an untyped document"
            errors.append(
                PolicyError(
                    f"expected a RiskRegister document, found {found}",
                    document.location(),
                    code="unknown-kind",
                )
            )
            continue
        problems = validate_document(document, "RiskRegister")
        if problems:
            errors.extend(problems)
            continue
        documents.append(_reference(document))
        try:
            matrix = load_matrix(document)
        except ErrorGroup as group:
            errors.extend(group.errors)
            continue
        except PolicygateError as error:
            errors.append(error)
            continue
        where_matrix = matrix.location or document.location()
        if scale is None:
            scale = (matrix.ratings, where_matrix)
        elif matrix.ratings != scale[0]:
            errors.append(
                PolicyError(
                    f"the matrix rates on {', '.join(matrix.ratings)}, but the register's "
                    f"matrix at {scale[1]} rates on {', '.join(scale[0])}: the registers "
                    "loaded together share one rating scale",
                    where_matrix,
                    code="rating-scale-mismatch",
                )
            )
        for index, raw in enumerate(document.data["spec"]["risks"]):
            where = document.location(("spec", "risks", index, "id"))
            if raw["id"] in first:
                errors.append(
                    PolicyError(
                        f"duplicate risk id {raw['id']!r} (first defined at {first[raw['id']]})",
                        where,
                        code="duplicate-risk-id",
                    )
                )
                continue
            first[raw["id"]] = where
            try:
                risks.append(_risk(document, index, loader, matrix))
            except ErrorGroup as group:
                errors.extend(group.errors)
            except PolicygateError as error:
                errors.append(error)
    if errors:
        raise ErrorGroup.of(errors)
    if not documents:
        searched = ", ".join(os.fspath(p) for p in paths)
        raise LoadError(f"no RiskRegister document found in {searched}")
    assert scale is not None
    return RiskRegister(tuple(risks), tuple(documents), scale[0])


def _reference(document: Document) -> RiskRegisterRef:
    metadata = document.data["metadata"]
    return RiskRegisterRef(
        name=metadata["name"],
        version=metadata.get("version", ""),
        source=document.source,
        digest="sha256:" + hashlib.sha256(canonical_json(document.data)).hexdigest(),
    )


def _risk(document: Document, index: int, loader: Loader, matrix: RiskMatrix) -> Risk:
    base: JsonPath = ("spec", "risks", index)
    raw = document.data["spec"]["risks"][index]
    likelihood, impact, inherent = rate_risk(matrix, raw, document, base)
    applies_to = None
    if "applies_to" in raw:
        applies_to = loader._expression(document, (*base, "applies_to"), SELECTOR_VARIABLES)
    controls = tuple(raw.get("controls") or ())
    return Risk(
        id=raw["id"],
        title=raw["title"],
        description=raw.get("description", ""),
        category=raw.get("category", ""),
        likelihood=likelihood,
        impact=impact,
        inherent=inherent,
        matrix=matrix,
        owner=raw.get("owner", ""),
        controls=controls,
        applies_to=applies_to,
        source=document.source,
        location=document.location(base),
        control_locations=tuple(
            document.location((*base, "controls", i)) for i in range(len(controls))
        ),
    )


# --------------------------------------------------------------------------- references


def check_register_controls(
    register: RiskRegister, catalogs: Iterable[ControlCatalog]
) -> list[PolicyError]:
    """An error for each control a risk names that no catalog defines."""
    known = sorted({c for catalog in catalogs for c in catalog.ids()})
    known_set = set(known)
    errors: list[PolicyError] = []
    for risk in register.risks:
        locations = risk.control_locations or (risk.location,) * len(risk.controls)
        for control, where in zip(risk.controls, locations, strict=True):
            if control not in known_set:
                message = unknown_control(
                    control, known, f"in risk {risk.id!r}", suggest=len(errors) < SUGGESTED
                )
                errors.append(PolicyError(message, where or Location(risk.source)))
    return errors


def declared_risks(record: ModelRecord) -> tuple[tuple[str, Location], ...]:
    """The risk ids a model record names, each with where it is written.

    The canonical place is ``spec.risks``; an untyped record may keep them at
    the top level (``risks``), as it may keep its name and version. Anything
    but a list of strings is a :class:`LoadError`.
    """
    data = record.data
    if not isinstance(data, Mapping):
        return ()
    spec = data.get("spec")
    path: JsonPath
    if isinstance(spec, Mapping) and "risks" in spec:
        path, value = ("spec", "risks"), spec["risks"]
    elif "risks" in data:
        path, value = ("risks",), data["risks"]
    else:
        return ()

    def where(at: JsonPath) -> Location:
        return record.document.location(at) if record.document else Location(record.source)

    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        dotted = ".".join(str(p) for p in path)
        raise LoadError(f"{dotted} must be a list of risk ids", where(path))
    return tuple((risk_id, where((*path, i))) for i, risk_id in enumerate(value))


def check_model_risks(
    records: Iterable[ModelRecord], register: RiskRegister
) -> list[PolicygateError]:
    """An error for each risk id a model names that the register does not define."""
    known = register.ids()
    known_set = set(known)
    errors: list[PolicygateError] = []
    for record in records:
        try:
            declared = declared_risks(record)
        except LoadError as error:
            errors.append(error)
            continue
        for risk_id, where in declared:
            if risk_id in known_set:
                continue
            hint = difflib.get_close_matches(risk_id, known, n=1) if len(errors) < SUGGESTED else []
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            errors.append(
                LoadError(
                    f"unknown risk id {risk_id!r} in model {record.ref}: "
                    f"no risk register defines it{suggestion}",
                    where,
                )
            )
    return errors
