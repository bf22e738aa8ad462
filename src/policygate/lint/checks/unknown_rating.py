"""``unknown-rating``: a rule that compares a risk's ``inherent`` or ``residual``
rating, its ``likelihood`` or its ``impact`` with a literal that is on no scale
(``risks.exists(r, r.residual == "critcal")``, ``"severe" in risks.map(r,
r.inherent)``). Such a comparison never matches, so a rule meant to fail a model
passes it (or the reverse, with ``!=``).

What counts as a risk: ``risks`` itself (unless a macro variable shadows it), a
macro variable bound over it or over a ``filter`` of it, an element of it
(``risks[0]``) and ``item`` in a rule whose ``for_each`` iterates it; a
``map`` of a rating field is a list of that field's values, and a variable bound
over that list is one. Compared are ``==``, ``!=`` and ``in`` with a list
literal or such a list. ``""`` (unrated) is on every scale.

The scales are the loaded registers' (``lint --risk-register``: an error) or,
without one, the default matrix's (a warning: a register may declare its own).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...cel.analysis import parsed as parse_tree
from ...cel.interface import CELSyntaxError
from ...cel.lang import ast
from ...cel.lang.ast import Node
from ...cel.lang.parser import Parsed
from ...documents import Limits
from ...graph.rating import DEFAULT_MATRIX
from ..context import Expression, LintRun
from ..fields import did_you_mean
from ..problem import Check, Level

CHECKS = (
    Check(
        "unknown-rating",
        Level.ERROR,
        "A rule compares a risk's rating, likelihood or impact with a label on no scale.",
    ),
)


@dataclass(frozen=True)
class RatingScales:
    """The labels a risk's fields can take, and whether they are the registers'
    (``given``) or the default matrix's."""

    ratings: tuple[str, ...]
    likelihoods: tuple[str, ...]
    impacts: tuple[str, ...]
    given: bool = False

    def of(self, field: str) -> tuple[str, ...]:
        if field == "likelihood":
            return self.likelihoods
        if field == "impact":
            return self.impacts
        return self.ratings


DEFAULT_SCALES = RatingScales(
    DEFAULT_MATRIX.ratings, DEFAULT_MATRIX.likelihoods, DEFAULT_MATRIX.impacts
)


def register_scales(paths: Sequence[str | os.PathLike[str]], limits: Limits) -> RatingScales:
    """The labels of the risk registers under ``paths``: their one rating scale,
    and every likelihood and impact of their risks' matrices (a register of no
    risk says none: those are then not checked). Raises the registers' load
    errors."""
    from ...graph.register import load_risk_registers

    register = load_risk_registers(paths, limits=limits)
    likelihoods: dict[str, None] = {}
    impacts: dict[str, None] = {}
    for risk in register.risks:
        likelihoods.update(dict.fromkeys(risk.matrix.likelihoods))
        impacts.update(dict.fromkeys(risk.matrix.impacts))
    return RatingScales(register.rating_scale, tuple(likelihoods), tuple(impacts), given=True)


_FIELDS = ("inherent", "residual", "likelihood", "impact")
_WHAT = {"inherent": "a rating", "residual": "a rating", "likelihood": "a likelihood",
         "impact": "an impact"}  # fmt: skip


# What a node stands for: a list of risks, one risk, a field's value, a list of a
# field's values; None for anything else.
_RISKS = ("risks",)
_RISK = ("risk",)


def _value(field: str) -> tuple[str, str]:
    return ("value", field)


def _values(field: str) -> tuple[str, str]:
    return ("values", field)


Kind = tuple[str, ...] | None


def run(lint: LintRun) -> None:
    scales = lint.rating_scales or DEFAULT_SCALES
    for_each_risks = {
        id(e.rule) for e in lint.expressions if e.place == "for_each" and _iterates_risks(e)
    }
    for expression in lint.expressions:
        if "risks" not in expression.variables:
            continue
        try:
            source = parse_tree(expression.text)
        except CELSyntaxError:
            continue
        item = expression.rule is not None and id(expression.rule) in for_each_risks
        walker = _Walker(source, item and "item" in expression.variables)
        walker.visit(source.tree, {})
        for value, field, at, start, end in walker.found:
            _check(lint, expression, scales, value, field, at, expression.text[start:end])


def _iterates_risks(expression: Expression) -> bool:
    collections = expression.analysis.collections
    return bool(collections) and all(c.variable == "risks" and c.path == () for c in collections)


def _check(
    lint: LintRun,
    expression: Expression,
    scales: RatingScales,
    value: Any,
    field: str,
    at: int,
    written: str,
) -> None:
    """Report ``value``, compared with a risk's ``field``, if it is on no scale."""
    scale = scales.of(field)
    if not scale:  # registers of no risk: their levels are not known
        return
    if isinstance(value, str):
        if value == "" or value in scale:
            return
        shown = repr(value)
        close = did_you_mean(value, scale)
        hint = f"did you mean {close!r}?" if close else _other_scale(value, field, scales)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        shown = str(value)
        hint = None
        if field in ("likelihood", "impact") and float(value).is_integer():
            number = int(value)
            hint = f"did you mean {scale[number - 1]!r}?" if 1 <= number <= len(scale) else None
        hint = hint or f"risks give {field} as a label, not a number"
    else:
        return
    whose = "the register's" if scales.given else "the default matrix's"
    message = (
        f"{written}: {shown} is not {_WHAT[field]} on {whose} scale "
        f"({', '.join(scale)}), so this never matches"
    )
    if hint:
        message += f"; {hint}"
    level = None
    if not scales.given:
        message += " (lint --risk-register checks a register's own scale)"
        level = Level.WARNING
    lint.report(lint.at(expression, at), "unknown-rating", message, level)


def _other_scale(value: str, field: str, scales: RatingScales) -> str | None:
    """``'severe' is an impact, not a rating`` when the label is another field's."""
    for other in ("likelihood", "impact", "residual"):
        if scales.of(other) is scales.of(field) or value not in scales.of(other):
            continue
        return f"{value!r} is {_WHAT[other]}, not {_WHAT[field]}"
    return None


class _Walker:
    """Walks a tree with what each macro variable stands for, collecting each
    literal compared with a risk's field: ``(value, field, offset of the literal,
    start, end of the comparison)``."""

    def __init__(self, source: Parsed, item_is_risk: bool) -> None:
        self.source = source
        self.item_is_risk = item_is_risk
        self.found: list[tuple[Any, str, int, int, int]] = []

    def extent(self, node: Node) -> tuple[int, int]:
        return self.source.extents.get(node, (node.span.offset, node.span.offset))

    def visit(self, node: Node, scope: dict[str, Kind]) -> Kind:
        macro = self.source.macros.get(node)
        if macro is not None:
            return self._macro(macro, scope)
        if isinstance(node, ast.Ident):
            name = node.name.lstrip(".")
            if name in scope:
                return scope[name]
            if name == "risks":
                return _RISKS
            if name == "item" and self.item_is_risk:
                return _RISK
            return None
        if isinstance(node, ast.Select):
            operand = self.visit(node.operand, scope)
            if operand == _RISK and not node.test_only and node.field in _FIELDS:
                return _value(node.field)
            return None
        if isinstance(node, ast.Call):
            return self._call(node, scope)
        for child in ast.children(node):
            self.visit(child, scope)
        return None

    def _call(self, node: ast.Call, scope: dict[str, Kind]) -> Kind:
        function = node.function
        kinds = [self.visit(arg, scope) for arg in node.args]
        if node.target is not None:
            self.visit(node.target, scope)
        if function in ("_==_", "_!=_") and len(node.args) == 2:
            for kind, other in ((kinds[0], node.args[1]), (kinds[1], node.args[0])):
                if kind is not None and kind[0] == "value" and isinstance(other, ast.Literal):
                    self._found(other, kind[1], node)
            return None
        if function == "@in" and len(node.args) == 2:
            element, container = node.args
            if kinds[1] is not None and kinds[1][0] == "values":
                if isinstance(element, ast.Literal):
                    self._found(element, kinds[1][1], node)
            elif (
                kinds[0] is not None
                and kinds[0][0] == "value"
                and isinstance(container, ast.ListExpr)
            ):
                for entry in container.elements:
                    if isinstance(entry, ast.Literal):
                        self._found(entry, kinds[0][1], node)
            return None
        if function == "_[_]" and len(node.args) == 2:
            base, index = kinds[0], node.args[1]
            if base == _RISKS and not (
                isinstance(index, ast.Literal) and isinstance(index.value, str)
            ):
                return _RISK
            if base == _RISK and isinstance(index, ast.Literal) and index.value in _FIELDS:
                return _value(str(index.value))
            if base is not None and base[0] == "values":
                return _value(base[1])
            return None
        if function == "_?_:_" and len(kinds) == 3 and kinds[1] == kinds[2]:
            return kinds[1]
        return None

    def _found(self, literal: ast.Literal, field: str, comparison: Node) -> None:
        start, end = self.extent(comparison)
        self.found.append((literal.value, field, self.extent(literal)[0], start, end))

    def _macro(
        self, macro: tuple[str, Node | None, tuple[Node, ...]], scope: dict[str, Kind]
    ) -> Kind:
        name, target, arguments = macro
        if target is None:  # has(): a field test, never a comparison
            for argument in arguments:
                self.visit(argument, scope)
            return None
        over = self.visit(target, scope)
        element: Kind = None
        if over == _RISKS:
            element = _RISK
        elif over is not None and over[0] == "values":
            element = _value(over[1])
        names = [a.name for a in arguments if isinstance(a, ast.Ident)]
        two = name in ("transformList", "transformMap") or (
            name in ("all", "exists", "existsOne", "exists_one") and len(arguments) == 3
        )
        bound = names[:2] if two else names[:1]
        inner = dict(scope)
        if len(bound) == 2:
            inner[bound[0]] = None
            inner[bound[1]] = element
        elif bound:
            inner[bound[0]] = element
        kinds = [self.visit(argument, inner) for argument in arguments[len(bound) :]]
        if name == "filter":
            return over if over == _RISKS or (over is not None and over[0] == "values") else None
        if name == "map" and kinds:
            result = kinds[-1]
            if result is not None and result[0] == "value":
                return _values(result[1])
            if result == _RISK:
                return _RISKS
        return None
