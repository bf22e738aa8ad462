"""One evaluation's state, and the charge of cost units every closure pays from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policygate.cel.lang.ast import Node
from policygate.cel.lang.errors import BudgetExceeded

Value = Any
Observer = Callable[[Node, Value], None]


class Activation:
    """One evaluation's state: the variables, loop locals, the budget left, an observer."""

    __slots__ = ("variables", "locals", "budget", "limit", "observer")

    def __init__(
        self, variables: dict[str, Value], budget: int, observer: Observer | None = None
    ) -> None:
        self.variables = variables
        self.locals: dict[str, Value] = {}
        self.budget = budget
        self.limit = budget
        self.observer = observer


Closure = Callable[[Activation], Value]


def charge(act: Activation, units: int) -> None:
    act.budget -= units
    if act.budget < 0:
        raise BudgetExceeded(act.limit)
