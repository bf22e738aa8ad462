"""Bounded evaluation: what a rule may spend, and the meter that holds it to that.

A rule is text from a pull request and a model record is data from any
pipeline; neither may hang the gate or exhaust its memory. So every evaluation
runs against a :class:`Meter`, which the evaluator makes from a :class:`Budget`
when it starts a rule (``applies_to`` gets one of its own). When the meter runs
out, evaluation stops with :class:`BudgetExceeded`, a
:class:`~policygate.cel.interface.CELEvaluationError`, so the result is an
``error`` (failing closed) with a message that says which limit was hit, and
the run goes on with the next rule.

Two limits, because each covers what the other cannot:

- **cost**, per evaluation of one expression (the ``when``, the ``for_each``,
  one item's ``check``, one message placeholder). It is deterministic: the same
  expression on the same data spends the same units on every machine, so
  whether a rule errors does not depend on how busy CI was. One unit is one
  step of the engine (one syntax-tree node evaluated, macro bodies once per
  element), plus, for operations whose work grows with their operands, one
  unit per list or map element and per character they touch or build (``+``
  on strings and lists, ``==`` on lists and maps, ``in``, ``contains``,
  ``startsWith``, ``endsWith``, ``indexOf``, ``matches``, the strings
  extension's builders). Units are charged *before* the work they pay for, so
  a string too long to afford is never built. This is what stops a cost bomb
  (nested comprehensions, a string doubled in a loop) in a fraction of a second.
- **seconds**, per rule: all its evaluations together, every item of a
  ``for_each`` included. This is what stops a model record that makes an
  honest rule iterate a million-element list, and it is the backstop for what
  no counter sees (one slow native operation, a slow machine). The deadline is
  checked every time a unit is charged: no signal and no thread, so it works
  in any thread and leaves nothing half-done, but it cannot interrupt a single
  native operation, which the cost limit keeps small. Once a rule is past its
  deadline it stays past it, and the evaluator stops iterating its items.

The defaults (:data:`DEFAULT_BUDGET`) leave real governance rules far below
both limits (the shipped policies spend at most a few hundred units per
evaluation) and stop the cost bombs of ``tests/security`` in well under two
seconds on a 2-core CI machine.

The engine (:mod:`.lang`) counts its own units as it evaluates and asks the
meter's deadline every few thousand of them (:mod:`.own`), so the contract of
:meth:`~policygate.cel.interface.Program.evaluate` holds: an evaluation that
would spend more than the budget raises :class:`BudgetExceeded` instead of
returning a value.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import UsageError
from .interface import CELEvaluationError, CELSyntaxError

MAX_EXPRESSION_LENGTH = 20_000
"""Characters in one expression. Parsing is not metered (it happens once per load,
not per model), so a longer expression is refused before it is parsed; real
rules are a few hundred characters."""


def check_expression(text: str) -> None:
    """Refuse an expression too long to parse cheaply; the engine's ``compile`` calls this."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise CELSyntaxError(
            f"expression is longer than {MAX_EXPRESSION_LENGTH} characters ({len(text)})",
            code="expression-too-large",
        )


@dataclass(frozen=True)
class Budget:
    """``cost`` units per evaluation of one expression, ``seconds`` per rule."""

    cost: int = 30_000
    seconds: float = 5.0

    def __post_init__(self) -> None:
        if isinstance(self.cost, bool) or not isinstance(self.cost, int) or self.cost < 1:
            raise UsageError(f"budget cost must be a positive integer, got {self.cost!r}")
        seconds = self.seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise UsageError(f"budget seconds must be a positive number, got {seconds!r}")
        if not (seconds > 0 and math.isfinite(seconds)):
            raise UsageError(f"budget seconds must be a positive number, got {seconds!r}")

    def meter(self, clock: Callable[[], float] = time.monotonic) -> Meter:
        """A meter for one rule: its deadline is ``seconds`` from now."""
        return Meter(self, clock)


DEFAULT_BUDGET = Budget()


class BudgetExceeded(CELEvaluationError):
    """An evaluation ran out of its budget; the rule's result is an ``error``
    (code ``budget-exceeded`` for the cost, ``deadline-exceeded`` for the time)."""

    code = "budget-exceeded"


class Meter:
    """What the evaluation in progress has spent, and when the rule's time is up.

    A backend calls :meth:`begin` when an evaluation starts, :meth:`charge` for
    the work it does, and :meth:`check` when it has a value: an evaluation that
    ran out stays out, so an error value swallowed along the way (``error ||
    true`` is ``true`` in CEL) cannot turn a stopped evaluation into an answer.
    """

    __slots__ = ("budget", "spent", "deadline", "exceeded", "timed_out", "_clock")

    def __init__(self, budget: Budget, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._clock = clock
        self.deadline = clock() + budget.seconds
        self.spent = 0
        self.exceeded: str | None = None
        self.timed_out = False

    @property
    def remaining(self) -> int:
        """Units the current evaluation may still spend."""
        return max(self.budget.cost - self.spent, 0)

    def begin(self) -> None:
        """Start an evaluation: its cost counts from zero; the rule's deadline stays."""
        self.spent = 0
        self.exceeded = None
        self._check_time()
        self.check()

    def charge(self, units: int = 1) -> None:
        """Spend ``units``; raise :class:`BudgetExceeded` when over cost or past the deadline."""
        # Called for every step of an evaluation, so written out flat: the cost, then
        # _check_time(), then check(), as begin() does.
        self.spent += units
        if self.exceeded is None:
            if self.spent > self.budget.cost:
                self.exceeded = (
                    f"evaluation budget exceeded: more than {self.budget.cost} cost units"
                    " in one evaluation"
                )
            elif self.timed_out or self._clock() > self.deadline:
                self._time_up()
            else:
                return
        raise BudgetExceeded(self.exceeded, self._code())

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` if the current evaluation ran out."""
        if self.exceeded is not None:
            raise BudgetExceeded(self.exceeded, self._code())

    def _code(self) -> str:
        return "deadline-exceeded" if self.timed_out else "budget-exceeded"

    def _check_time(self) -> None:
        if self.timed_out or self._clock() > self.deadline:
            self._time_up()

    def _time_up(self) -> None:
        self.timed_out = True
        self.exceeded = (
            f"evaluation budget exceeded: the rule ran longer than {_seconds(self.budget.seconds)}"
        )


def _seconds(seconds: float) -> str:
    return f"{seconds:g} s"


def meter_for(meter: Meter | None) -> Meter:
    """``meter``, or a fresh one with the default budget, so no evaluation is unbounded."""
    return meter if meter is not None else DEFAULT_BUDGET.meter()


__all__ = [
    "Budget",
    "BudgetExceeded",
    "DEFAULT_BUDGET",
    "MAX_EXPRESSION_LENGTH",
    "Meter",
    "check_expression",
    "meter_for",
]
