"""One evaluation's state, and the charge of cost units every closure pays from it.

The hot path of a charge is two lines inlined in every closure that pays
(``act.budget -= n; if act.budget < 0: act.overdraw()``). With a ``deadline``
(a callable saying whether the caller's time is up), the budget is handed out
in chunks of :data:`CHUNK` units: :meth:`Activation.overdraw` runs once per
chunk, refills it from the reserve and asks the deadline, so a wall-clock
limit costs one call per few thousand units and nothing per step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policygate.cel.lang.ast import Node
from policygate.cel.lang.errors import BudgetExceeded

Value = Any
Observer = Callable[[Node, Value], None]
Deadline = Callable[[], bool]

#: Units between two looks at the deadline (a few milliseconds of evaluation).
CHUNK = 4096


class DeadlineExceeded(BudgetExceeded):
    """The caller's deadline passed while the evaluation ran (see ``deadline``)."""

    code = "deadline-exceeded"

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.args = ("CEL evaluation ran past its deadline",)
        self.kind = "deadline"


class Activation:
    """One evaluation's state: the variables, loop locals, the budget left, an observer.

    ``budget`` is what the current chunk has left and ``reserve`` what is not
    handed out yet; together they are the units left (see :meth:`left`).
    """

    __slots__ = ("variables", "locals", "budget", "limit", "observer", "reserve", "deadline")

    def __init__(
        self,
        variables: dict[str, Value],
        budget: int,
        observer: Observer | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self.variables = variables
        self.locals: dict[str, Value] = {}
        self.limit = budget
        self.observer = observer
        self.deadline = deadline
        if deadline is None or budget <= CHUNK:
            self.budget, self.reserve = budget, 0
        else:
            self.budget, self.reserve = CHUNK, budget - CHUNK

    def restart(self) -> None:
        """Back to the state :meth:`__init__` left: the whole budget again and no
        loop locals, for one more evaluation on the same variables (the quick
        path evaluates a model's rules on one activation)."""
        budget = self.limit
        if self.deadline is None or budget <= CHUNK:
            self.budget, self.reserve = budget, 0
        else:
            self.budget, self.reserve = CHUNK, budget - CHUNK
        if self.locals:  # (a loop puts its locals back even when it raises)
            self.locals = {}

    def left(self) -> int:
        """The units this evaluation may still spend."""
        return self.budget + self.reserve

    def overdraw(self) -> None:
        """The chunk ran out: refill it from the reserve, or stop the evaluation.

        Raises :class:`BudgetExceeded` when the whole budget is spent and
        :class:`DeadlineExceeded` when the deadline has passed.
        """
        total = self.budget + self.reserve
        if total < 0:
            self.budget, self.reserve = total, 0
            raise BudgetExceeded(self.limit)
        if self.deadline is not None and self.deadline():
            raise DeadlineExceeded(self.limit)
        chunk = min(CHUNK, total)
        self.budget, self.reserve = chunk, total - chunk


Closure = Callable[[Activation], Value]


def charge(act: Activation, units: int) -> None:
    act.budget -= units
    if act.budget < 0:
        act.overdraw()
