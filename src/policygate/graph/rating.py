"""Risk ratings (SPEC §12): a risk's inherent rating from its likelihood and
impact through a matrix, and its residual rating for one model from the
states of the controls it calls for.

The default matrix is a 5×5 likelihood × consequence matrix in the style that
ISO 31000 risk processes use and IEC 31010:2019 describes among its techniques
(Annex B, the consequence/likelihood matrix), with the bands of the NPSA's
*A risk matrix for risk managers* (2008): the product of the two levels (1-5
each) is low for 1-3, medium for 4-6, high for 8-12 and critical for 15-25.
It is policygate's default, not a table any standard prescribes: a register
declares its own under ``spec.matrix``.

Residual: when every control a risk calls for is ``satisfied`` for the model,
the rating is lowered by the matrix's ``lower_when_satisfied`` steps along the
rating scale (clamped at the lowest rating); any other state of any of them
(``violated``, ``waived``, ``unverified``), or a risk that calls for no
control, leaves it at the inherent rating. A waiver accepts a failure, it does
not show that the control holds, so it lowers nothing. A risk with neither
likelihood nor impact is unrated (``""``), inherent and residual.

Plain data: nothing here imports networkx.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ErrorGroup, JsonPath, Location, PolicyError

if TYPE_CHECKING:
    from ..documents import Document
    from ..report import Report

LIKELIHOODS = ("rare", "unlikely", "possible", "likely", "almost-certain")
IMPACTS = ("negligible", "minor", "moderate", "major", "severe")
RATINGS = ("low", "medium", "high", "critical")


def _npsa(likelihood: int, impact: int) -> str:
    """The default cell: the NPSA bands of likelihood × impact (1-based levels)."""
    score = likelihood * impact
    if score <= 3:
        return "low"
    if score <= 6:
        return "medium"
    if score <= 12:
        return "high"
    return "critical"


@dataclass(frozen=True)
class RiskMatrix:
    """Likelihood levels and impact levels (lowest first), the rating scale
    (lowest first), one rating per (likelihood, impact) cell, and how many
    steps down the scale a risk whose controls are all satisfied goes."""

    likelihoods: tuple[str, ...] = LIKELIHOODS
    impacts: tuple[str, ...] = IMPACTS
    ratings: tuple[str, ...] = RATINGS
    cells: tuple[tuple[str, ...], ...] = tuple(
        tuple(_npsa(li + 1, i + 1) for i in range(len(IMPACTS))) for li in range(len(LIKELIHOODS))
    )
    lower_when_satisfied: int = 1
    location: Location | None = field(default=None, compare=False)

    def level(self, value: Any, scale: Sequence[str]) -> int | None:
        """The 0-based level of a label or a 1-based integer on ``scale``; ``None``
        if it names none (a bool is no level)."""
        if isinstance(value, bool):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int):
            return value - 1 if 1 <= value <= len(scale) else None
        if isinstance(value, str) and value in scale:
            return scale.index(value)
        return None

    def inherent(self, likelihood: int, impact: int) -> str:
        """The rating of the cell at 0-based levels."""
        return self.cells[likelihood][impact]

    def residual(self, inherent: str, states: Iterable[str]) -> str:
        """The residual rating from the states of the controls a risk calls for
        (see the module docstring): lowered only when there is at least one and
        every one is ``satisfied``."""
        if not inherent:
            return ""
        states = list(states)
        if not states or any(state != "satisfied" for state in states):
            return inherent
        return self.lowered(inherent, self.lower_when_satisfied)

    def lowered(self, rating: str, steps: int) -> str:
        return self.ratings[max(0, self.ratings.index(rating) - steps)]


DEFAULT_MATRIX = RiskMatrix()


def rank(rating: str, scale: Sequence[str]) -> int:
    """The position of ``rating`` on ``scale`` (lowest 0); -1 for unrated."""
    return scale.index(rating) if rating in scale else -1


# --------------------------------------------------------------------------- loading


def load_matrix(document: Document) -> RiskMatrix:
    """The matrix a RiskRegister document declares at ``spec.matrix``, or the
    default. The schema has checked the types; this checks what it cannot say:
    labels unique, a row for every likelihood and no other, a rating for every
    impact, every rating on the scale, and ratings that never fall as
    likelihood or impact rise. Every problem is a :class:`PolicyError` at the
    value, raised together."""
    spec = document.data["spec"]
    if "matrix" not in spec:
        return DEFAULT_MATRIX
    raw = spec["matrix"]
    base: JsonPath = ("spec", "matrix")
    errors: list[PolicyError] = []

    def at(*path: str | int) -> tuple[Location, JsonPath]:
        """Where a value of the matrix is written, and its JSON path."""
        return document.location((*base, *path)), (*base, *path)

    def labels(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        values = tuple(raw.get(name, default))
        for index, value in enumerate(values):
            if values.index(value) != index:
                errors.append(
                    _matrix_error(f"matrix {name}: {value!r} is listed twice", *at(name, index))
                )
        return values

    likelihoods = labels("likelihood", LIKELIHOODS)
    impacts = labels("impact", IMPACTS)
    ratings = labels("ratings", RATINGS)
    if errors:  # the cells are read by these labels: nothing more to say until they are
        raise ErrorGroup.of(errors)
    if "cells" not in raw:
        if (likelihoods, impacts, ratings) != (LIKELIHOODS, IMPACTS, RATINGS):
            errors.append(
                _matrix_error(
                    "matrix: cells are required when the levels or ratings are not the defaults",
                    *at(),
                )
            )
        cells = DEFAULT_MATRIX.cells
    else:
        cells = _cells(raw["cells"], likelihoods, impacts, ratings, at, errors)
    if errors:
        raise ErrorGroup.of(errors)
    matrix = RiskMatrix(
        likelihoods=likelihoods,
        impacts=impacts,
        ratings=ratings,
        cells=cells,
        lower_when_satisfied=int(raw.get("lower_when_satisfied", 1)),
        location=at()[0],
    )
    _check_monotone(matrix, at, errors)
    if errors:
        raise ErrorGroup.of(errors)
    return matrix


def _cells(
    raw: Mapping[str, Any],
    likelihoods: tuple[str, ...],
    impacts: tuple[str, ...],
    ratings: tuple[str, ...],
    at: Any,
    errors: list[PolicyError],
) -> tuple[tuple[str, ...], ...]:
    for key in raw:
        if key not in likelihoods:
            errors.append(
                _matrix_error(
                    f"matrix cells: {key!r} is not a likelihood of the matrix "
                    f"(likelihood: {', '.join(likelihoods)})",
                    *at("cells", key),
                )
            )
    rows = []
    for likelihood in likelihoods:
        if likelihood not in raw:
            errors.append(
                _matrix_error(f"matrix cells: no row for likelihood {likelihood!r}", *at("cells"))
            )
            rows.append(("",) * len(impacts))
            continue
        row = tuple(raw[likelihood])
        if len(row) != len(impacts):
            errors.append(
                _matrix_error(
                    f"matrix cells: the row of {likelihood!r} has {len(row)} ratings, "
                    f"one per impact needs {len(impacts)} ({', '.join(impacts)})",
                    *at("cells", likelihood),
                )
            )
        for index, rating in enumerate(row):
            if rating not in ratings:
                errors.append(
                    _matrix_error(
                        f"matrix cells: {rating!r} is not a rating of the matrix "
                        f"(ratings: {', '.join(ratings)})",
                        *at("cells", likelihood, index),
                    )
                )
        rows.append(row)
    return tuple(rows)


def _check_monotone(matrix: RiskMatrix, at: Any, errors: list[PolicyError]) -> None:
    """A higher likelihood or impact never gives a lower rating."""
    scale = matrix.ratings
    for row, likelihood in enumerate(matrix.likelihoods):
        for i, impact in enumerate(matrix.impacts):
            here = scale.index(matrix.cells[row][i])
            if i and scale.index(matrix.cells[row][i - 1]) > here:
                errors.append(
                    _matrix_error(
                        f"matrix cells: {likelihood!r} × {impact!r} is rated "
                        f"{matrix.cells[row][i]!r}, below {matrix.cells[row][i - 1]!r} "
                        f"for the lower impact {matrix.impacts[i - 1]!r}",
                        *at("cells", likelihood, i),
                    )
                )
            if row and scale.index(matrix.cells[row - 1][i]) > here:
                errors.append(
                    _matrix_error(
                        f"matrix cells: {likelihood!r} × {impact!r} is rated "
                        f"{matrix.cells[row][i]!r}, below {matrix.cells[row - 1][i]!r} "
                        f"for the lower likelihood {matrix.likelihoods[row - 1]!r}",
                        *at("cells", likelihood, i),
                    )
                )


def _matrix_error(message: str, location: Location, json_path: JsonPath) -> PolicyError:
    """A problem of a register's ``spec.matrix``, at the value."""
    return PolicyError(message, location, json_path, code="risk-matrix-invalid")


def rate_risk(
    matrix: RiskMatrix, raw: Mapping[str, Any], document: Document, base: JsonPath
) -> tuple[str, str, str]:
    """``(likelihood, impact, inherent)`` of one risk, as labels of ``matrix``.
    A risk with neither is unrated (``""`` each); one without the other, or a
    value that names no level, is a :class:`PolicyError` at the value."""
    has_l, has_i = "likelihood" in raw, "impact" in raw
    if not has_l and not has_i:
        return "", "", ""
    errors: list[PolicyError] = []
    levels: list[int] = []
    for name, scale in (("likelihood", matrix.likelihoods), ("impact", matrix.impacts)):
        if name not in raw:
            other = "impact" if name == "likelihood" else "likelihood"
            errors.append(
                PolicyError(
                    f"risk {raw['id']!r} has a {other} but no {name}: give both to rate it, "
                    "or neither to leave it unrated",
                    document.location(base),
                    base,
                    code="risk-rating-incomplete",
                )
            )
            continue
        level = matrix.level(raw[name], scale)
        if level is None:
            errors.append(
                PolicyError(
                    f"unknown {name} {raw[name]!r} of risk {raw['id']!r}: "
                    f"expected one of {', '.join(scale)} or 1-{len(scale)}",
                    document.location((*base, name)),
                    (*base, name),
                    code="risk-level-unknown",
                )
            )
            continue
        levels.append(level)
    if errors:
        raise ErrorGroup.of(errors)
    likelihood, impact = levels
    return (
        matrix.likelihoods[likelihood],
        matrix.impacts[impact],
        matrix.inherent(likelihood, impact),
    )


# --------------------------------------------------------------------------- heat map


@dataclass(frozen=True)
class HeatMap:
    """Counts of (model, risk) pairs per (inherent, residual) cell.

    ``counts[i][r]`` counts the pairs rated ``scale[i]`` inherent and
    ``scale[r]`` residual, both lowest first; ``pairs`` names them
    (``(model ref, risk id)``, in report order); ``unrated`` counts pairs whose
    risk has no rating.
    """

    scale: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    pairs: Mapping[tuple[str, str], tuple[tuple[str, str], ...]]
    unrated: int = 0

    def count(self, inherent: str, residual: str) -> int:
        return self.counts[self.scale.index(inherent)][self.scale.index(residual)]

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts))


def heat_map(report: Report) -> HeatMap:
    """The heat map of a report made with a risk register (empty without one)."""
    scale = tuple(report.rating_scale)
    counts = [[0] * len(scale) for _ in scale]
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    unrated = 0
    for model in report.models:
        for risk in model.risks or ():
            if risk.inherent not in scale or risk.residual not in scale:
                unrated += 1
                continue
            counts[scale.index(risk.inherent)][scale.index(risk.residual)] += 1
            pairs.setdefault((risk.inherent, risk.residual), []).append((model.ref, risk.id))
    return HeatMap(
        scale=scale,
        counts=tuple(tuple(row) for row in counts),
        pairs={cell: tuple(found) for cell, found in pairs.items()},
        unrated=unrated,
    )
