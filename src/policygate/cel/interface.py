"""What the evaluator may know about CEL: a backend compiles text into programs and
evaluates them against an activation. The engine is policygate's own
(:mod:`.lang`, adapted in :mod:`.own`); nothing else evaluates CEL.

Values crossing this interface are plain Python: ``bool``, ``int``, ``float``,
``str``, ``list``, ``dict``, ``None``, :class:`datetime.datetime` (UTC) and
:class:`datetime.timedelta`.
"""

from __future__ import annotations

import abc
import datetime as _dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .budget import Meter


class CELSyntaxError(Exception):
    """An expression does not parse; ``line``/``column`` are 1-based *within the expression*.

    ``code`` is the error code the loader's error carries (``cel-syntax``,
    ``cel-type``, ``unknown-function``, ``expression-too-large``: see
    :data:`policygate.errors.CODES`), so no caller reads the message back.
    """

    def __init__(
        self, message: str, line: int = 1, column: int = 1, code: str = "cel-syntax"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code


class CELEvaluationError(Exception):
    """Evaluating an expression failed; the message names the field or the cause.

    ``code`` says what failed as a stable word (``no-such-key``,
    ``division-by-zero``, ``budget-exceeded``...: see
    :data:`policygate.errors.EVALUATION_CODES`), so an ``error`` result carries it
    and no caller reads the message back.
    """

    code: str = "internal-error"

    def __init__(self, message: object = "", code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class Program(abc.ABC):
    """One compiled expression, reusable across models."""

    text: str

    @abc.abstractmethod
    def evaluate(self, activation: Activation, meter: Meter | None = None) -> Any:
        """Return the value (backend-native); raise :class:`CELEvaluationError`.

        Spends from ``meter`` (the rule's, see :mod:`.budget`), or from a fresh
        meter with the default budget when there is none, so that no evaluation
        is ever unbounded; raise :class:`~.budget.BudgetExceeded` when it runs out.
        """

    def quick(
        self, activation: Activation, limit: int, deadline: Callable[[], bool] | None
    ) -> Any:
        """The value when the evaluation completes within ``limit`` units (and before
        ``deadline`` says the time is up), else :data:`UNDECIDED`: an error, a spent
        budget or anything else is left to :meth:`evaluate`, which gives the same
        value or the error with its message. The evaluator asks this first, since
        most rules pass."""
        return UNDECIDED

    def quick_each(
        self,
        activation: Activation,
        check: Program,
        limit: int,
        deadline: Callable[[], bool] | None,
    ) -> list[tuple[int | str, Any, bool]] | object:
        """For a ``for_each`` program: ``(key, element, check's bool)`` for every
        element (a list's index or a map's key, in :meth:`Backend.elements` order)
        when ``check`` quickly gives a plain bool for each one, ``item``, ``index``
        and ``key`` bound as the evaluator binds them; else :data:`UNDECIDED` (an
        empty collection too)."""
        return UNDECIDED


UNDECIDED = object()
"""What :meth:`Program.quick` gives when it has no value to give."""

SKIPPED = object()
"""What :meth:`Backend.quick_rules` gives for a rule whose ``when`` is plainly false."""


class Activation(abc.ABC):
    """The variables of one evaluation, converted to backend values once per model."""

    @abc.abstractmethod
    def bind(self, **variables: Any) -> Activation:
        """A child activation with more variables (``item``, ``key``, ``index``)."""


class Backend(abc.ABC):
    """A CEL implementation."""

    name: str

    @abc.abstractmethod
    def compile(self, text: str) -> Program:
        """Parse and check ``text``; raise :class:`CELSyntaxError`."""

    @abc.abstractmethod
    def activation(
        self,
        *,
        model: Any,
        params: Mapping[str, Any],
        now: _dt.datetime,
        inputs: Mapping[str, Any],
    ) -> Activation:
        """Build the activation for one model (documents' numbers become doubles)."""

    def quick_rules(
        self,
        activation: Activation,
        rules: Sequence[tuple[Program | None, Program | None]],
        limit: int,
        deadline: Callable[[], bool] | None,
    ) -> list[Any]:
        """:meth:`Program.quick` for a policy's rules on one activation, in one call:
        for each ``(when, check)``, the check's quick value when there is no
        ``when`` or it is plainly true, :data:`SKIPPED` when it is plainly false,
        else (and for a ``check`` of ``None``) :data:`UNDECIDED`."""
        out: list[Any] = []
        for when, check in rules:
            if check is None:
                out.append(UNDECIDED)
                continue
            decided = True if when is None else when.quick(activation, limit, deadline)
            if decided is not True and decided is not False:
                out.append(UNDECIDED)
            elif decided is False:
                out.append(SKIPPED)
            else:
                out.append(check.quick(activation, limit, deadline))
        return out

    @abc.abstractmethod
    def to_python(self, value: Any) -> Any:
        """Convert a value returned by :meth:`Program.evaluate` to plain Python."""

    @abc.abstractmethod
    def truth(self, value: Any) -> bool:
        """The boolean a check yielded; raise :class:`CELEvaluationError` for a non-bool."""

    @abc.abstractmethod
    def elements(self, value: Any) -> list[tuple[int | str, Any]]:
        """``(index, element)`` of a list or ``(key, value)`` of a map, backend-native;
        raise :class:`CELEvaluationError` for anything else."""
