"""Several rules of a policy evaluated in few cel-cpp calls (:meth:`Backend.fuse
<policygate.cel.interface.Backend.fuse>` of :mod:`.celcpp`).

cel-cpp costs ~4 µs per call before it does any work; a policy's rules, their
``when`` and their ``for_each`` items would be ~50 calls per model. Here they
are a few list expressions instead, and the evaluator takes from them only what
is sure to agree with evaluating each rule on its own (see :class:`FusedProgram`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from . import cost
from .budget import Budget
from .celcpp import (
    _ERROR,
    NATIVE_UNITS,
    _CppActivation,
    _CppProgram,
    _plain_value,
    rewritten,
)
from .interface import WHEN_FALSE, Activation, Fused, Outcome, Program


class FusedProgram(Fused):
    """The checks of several rules as few cel-cpp expressions, each a list with
    one element per rule, evaluated in one call instead of one call per
    expression (and per ``for_each`` item): ``check``; ``type(FE) == list &&
    FE.all(item, check) ? size(FE) : -1`` for a ``for_each`` rule; either
    wrapped as ``when ? [X] : []`` for a rule with a ``when``.

    It gives an outcome only where it is sure to agree with evaluating the rule
    on its own: a check's bool, or the number of items of a ``for_each`` rule
    whose every item passed. Anything else is ``None`` (the evaluator evaluates
    the rule on its own: a failing item, an error, a non-bool), and so is a rule
    whose own cost bound does not fit the budget (on its own the portable
    backend would count it). An error anywhere in a group, a group
    whose bound is beyond what cel-cpp may run (:data:`NATIVE_UNITS`), one that
    took longer than the budget's time, or a record with a NUL in a string
    leaves the whole group to rule-by-rule evaluation.

    The rules are grouped by what they cost on the first record: each group
    fits half the budget, so on most records one bound per group answers for
    all its rules.
    """

    __slots__ = ("_env", "_parts", "_groups", "_size", "_details")

    def __init__(self, env: Any, parts: list[_Part], size: int, details: dict[int, str]) -> None:
        self._env = env
        self._parts = parts
        self._groups: list[_Group] | None = None
        self._size = size
        self._details: dict[int, Any] = dict(details)  # text, then (expression, bound)

    def items(self, position: int, activation: Activation, budget: Budget) -> list[bool] | None:
        detail = self._details.get(position)
        if detail is None or not isinstance(activation, _CppActivation) or activation.portable:
            return None
        if isinstance(detail, str):
            expression = _compile_native(self._env, detail)
            bound = cost.compile_bound(cost.parse(expression.serialize())) if expression else None
            detail = self._details[position] = (expression, bound) if bound else None
            if detail is None:
                return None
        expression, bound = detail
        if bound(activation.variables, min(budget.cost, NATIVE_UNITS), activation.shapes) is None:
            return None  # on its own, some item might be left to the portable backend
        start = time.monotonic()
        value = expression.eval(activation.native)
        if time.monotonic() - start > budget.seconds or value.type() == _ERROR:
            return None
        items = _plain_value(value)
        if type(items) is not list:
            return None
        return items if all(v is True or v is False for v in items) else None

    def evaluate(self, activation: Activation, budget: Budget) -> list[Outcome] | None:
        assert isinstance(activation, _CppActivation)
        if activation.portable:
            return None
        variables, shapes = activation.variables, activation.shapes
        limit = min(budget.cost, NATIVE_UNITS)
        groups = self._groups
        if groups is None:
            groups = self._groups = self._plan(variables, shapes, limit)
        outcomes: list[Outcome] = [None] * self._size
        for parts, expression, bound in groups:
            units = bound(variables, NATIVE_UNITS, shapes)
            if units is None:
                continue
            if units <= limit:
                fits = None  # every rule of the group fits on its own too
            else:
                fits = [part[3](variables, limit, shapes) is not None for part in parts]
            start = time.monotonic()
            value = expression.eval(activation.native)
            if time.monotonic() - start > budget.seconds or value.type() == _ERROR:
                continue
            # one conversion of the whole list (not one per element): plain Python
            for number, (part, plain) in enumerate(zip(parts, _plain_value(value), strict=True)):
                if fits is not None and not fits[number]:
                    continue
                position, when, for_each = part[0], part[1], part[2]
                if when:  # [X], or [] for a false when
                    if type(plain) is not list or len(plain) > 1:
                        continue
                    if not plain:
                        outcomes[position] = WHEN_FALSE
                        continue
                    plain = plain[0]
                if for_each:
                    if type(plain) is int and plain >= 0:  # all passed (-1: not all did)
                        outcomes[position] = plain
                elif plain is True or plain is False:
                    outcomes[position] = plain
        return outcomes

    def _plan(self, variables: Any, shapes: Any, limit: int) -> list[_Group]:
        """Groups of parts that fit half of ``limit`` on these variables, compiled."""
        groups: list[_Group] = []
        group: list[_Part] = []
        total = 0
        for part in self._parts:
            units = part[3](variables, NATIVE_UNITS, shapes)
            units = NATIVE_UNITS if units is None else units
            if group and (total + units > limit // 2 or len(group) >= FUSED_RULES):
                groups.extend(self._compile(group))
                group, total = [], 0
            group.append(part)
            total += units
        if group:
            groups.extend(self._compile(group))
        return groups

    def _compile(self, parts: list[_Part]) -> list[_Group]:
        source = "[" + ",\n".join(part[4] for part in parts) + "]"
        expression = _compile_native(self._env, source)
        bound = cost.compile_bound(cost.parse(expression.serialize())) if expression else None
        return [] if bound is None else [(parts, expression, bound)]


# A rule in a fused program: its position, whether it has a when and a for_each,
# the bound of its element of the list, and that element's text.
_Part = tuple[int, bool, bool, Callable[..., int | None], str]
_Group = tuple[list[_Part], Any, Callable[..., int | None]]

FUSED_RULES = 64
"""The most rules in one fused expression."""


def _compile_native(env: Any, text: str) -> Any:
    """``text`` parsed by cel-cpp and rewritten to cel-python's meaning, or ``None``
    if cel-cpp refuses it."""
    try:
        return rewritten(env, env.compile(text, disable_check=True))
    except RuntimeError:
        return None


def _fusable(program: Program | None) -> bool:
    return program is None or (isinstance(program, _CppProgram) and program.fusable)


_IDENTS_OF_ITEMS = ("index", "key")


def fuse(env: Any, rules: list[tuple[Program | None, Program | None, Program]]) -> Fused | None:
    texts: list[tuple[int, bool, bool, str]] = []
    details: dict[int, str] = {}  # for_each rules: each item's outcome (see .items())
    for position, (when, for_each, check) in enumerate(rules):
        if not (_fusable(when) and _fusable(for_each) and _fusable(check)):
            continue
        text = f"(\n{check.text}\n)"
        if for_each is not None:
            root = check._root if isinstance(check, _CppProgram) else None
            if root is None or any(cost.reads(root, n) for n in _IDENTS_OF_ITEMS):
                continue  # index and key have no place in a macro over a list
            items = f"(\n{for_each.text}\n)"
            text = f"(type({items}) == list && {items}.all(item, {text}) ? size({items}) : -1)"
        if when is not None:
            text = f"((\n{when.text}\n) ? [{text}] : [])"
        texts.append((position, when is not None, for_each is not None, text))
        if for_each is not None and when is None:
            items = f"(\n{for_each.text}\n)"
            details[position] = (
                f"(type({items}) == list ? {items}.map(item, (\n{check.text}\n)) : 0)"
            )
    if len(texts) < 2:
        return None
    # One parse of every element gives the bound of each (see FusedProgram).
    whole = _compile_native(env, "[" + ",\n".join(t[3] for t in texts) + "]")
    root = cost.parse(whole.serialize()) if whole is not None else None
    elements = list(root.children()) if root is not None else []
    if len(elements) != len(texts):
        return None
    parts: list[_Part] = []
    for (position, when_, for_each_, text), element in zip(texts, elements, strict=True):
        bound = cost.compile_bound(element)
        if bound is not None:
            parts.append((position, when_, for_each_, bound, text))
    if len(parts) < 2:
        return None
    return FusedProgram(env, parts, len(rules), details)
