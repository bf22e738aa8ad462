"""policygate's own CEL engine, in pure Python (issue 15).

Three stages over one frozen syntax tree, as cel-go has them: :func:`parse`
(a hand-written recursive-descent parser; macros expanded), :func:`check`
(names resolved against the declared variables, arity, literal types) and
:func:`compile` (a tree of closures with a cost budget and an optional
observer). :func:`evaluate` does all three for one expression; a caller that
evaluates a rule many times compiles it once into a :class:`Program`.

Values are plain Python (documents from YAML/JSON are evaluated as loaded)
plus :class:`Uint`, :class:`Timestamp`, :class:`Duration`, :class:`Optional`
and :class:`CelType`. The conformance suite of cel-spec is the yardstick
(``tests/cel/lang/test_conformance.py``; ``bench/conformance.py`` prints the
pass rate of each file).

Where it differs from cel-go, on purpose or by necessity:

- no protobuf messages: ``Type{...}`` parses but is a check error (or, unchecked,
  an evaluation error); no type deduction beyond literal operands, no unknowns;
- a map cannot hold both ``true`` and ``1`` (or ``false`` and ``0``) as keys: a
  Python dict cannot tell them apart, so such a map literal is an error;
- durations are signed 64-bit nanoseconds (about ±292 years), as in cel-go
  (the conformance tests require it), not the ±10,000 years of protobuf's type.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from policygate.cel.lang.activation import Deadline, DeadlineExceeded
from policygate.cel.lang.ast import Node
from policygate.cel.lang.checker import check
from policygate.cel.lang.compiler import Activation, Closure, Observer, compile_root
from policygate.cel.lang.errors import (
    BudgetExceeded,
    CELCheckError,
    CELEvaluationError,
    CELSyntaxError,
    EvalError,
)
from policygate.cel.lang.parser import parse, tree_depth
from policygate.cel.lang.stack import stack_room
from policygate.cel.lang.values import CelType, Duration, Optional, Timestamp, Uint

#: Units an evaluation may spend unless told otherwise: far above a real rule's
#: few hundred, far below what takes a noticeable time.
DEFAULT_BUDGET = 1_000_000

#: Past this depth an evaluation makes sure the stack has room for the tree.
_SHALLOW = 60


class LocatedError(CELEvaluationError):
    """An evaluation error with the sub-expression where it arose (``node``, when
    known: its line and column are the error's), so a caller can name it."""

    def __init__(
        self,
        message: str,
        kind: str,
        node: Node | None,
        overload: tuple[str, tuple[str, ...]] | None = None,
    ) -> None:
        if node is None:
            super().__init__(message, kind, overload=overload)
        else:
            super().__init__(message, kind, node.span.line, node.span.column, overload=overload)
        self.node = node


class Program:
    """A checked, compiled expression: evaluate it any number of times."""

    __slots__ = ("source", "tree", "_closure", "_cost", "_traced", "_deep")

    def __init__(self, source: str, tree: Node) -> None:
        self.source = source
        self.tree = tree
        self._closure: Closure
        self._closure, self._cost = compile_root(tree)
        self._traced: Closure | None = None
        self._deep = tree_depth(tree) > _SHALLOW

    def evaluate(
        self,
        variables: Mapping[str, Any] | None = None,
        budget: int = DEFAULT_BUDGET,
        observer: Observer | None = None,
        deadline: Deadline | None = None,
    ) -> Any:
        """The value, or :class:`CELEvaluationError` / :class:`BudgetExceeded`.

        With an ``observer``, it is called with ``(node, value)`` for every
        sub-expression evaluated (``value`` is the :class:`EvalError` when it failed).
        With a ``deadline``, it is asked every :data:`~.activation.CHUNK` units
        whether the caller's time is up, and a true answer stops the evaluation
        with :class:`DeadlineExceeded` (a :class:`BudgetExceeded`).
        """
        act = Activation(
            variables if type(variables) is dict else dict(variables or {}),
            budget,
            observer,
            deadline,
        )
        return self._run(act)

    def bare(self) -> tuple[Closure, int] | None:
        """The compiled root and the units :meth:`_run` charges before calling it,
        for a caller that runs it on an :class:`Activation` of its own and takes
        any error as "no answer" (the quick path of :mod:`policygate.cel.own`):
        what the root raises is then all it needs, not the node it arose at.
        ``None`` for a deep tree, which needs :func:`stack_room` around it (and
        for it, ``_run``)."""
        return None if self._deep else (self._closure, self._cost)

    def measure(
        self,
        variables: Mapping[str, Any] | None = None,
        budget: int = DEFAULT_BUDGET,
        observer: Observer | None = None,
        deadline: Deadline | None = None,
    ) -> tuple[Any, int]:
        """The value and the cost units the evaluation spent (the same on every machine)."""
        act = Activation(
            variables if type(variables) is dict else dict(variables or {}),
            budget,
            observer,
            deadline,
        )
        value = self._run(act)
        return value, budget - act.left()

    def _run(self, act: Activation) -> Any:
        closure = self._closure
        if act.observer is not None:
            if self._traced is None:  # (compiled as compile() compiles: with room for a deep tree)
                with stack_room(8 * tree_depth(self.tree) + 200):
                    self._traced = compile_root(self.tree, traced=True)[0]
            closure = self._traced
        act.budget -= self._cost
        if act.budget < 0:
            act.overdraw()
        try:
            if self._deep:
                with stack_room(4 * tree_depth(self.tree) + 100):
                    return closure(act)
            return closure(act)
        except CELEvaluationError:
            raise
        except EvalError as error:
            node = self._origin(act, error.message) if act.observer is None else None
            raise LocatedError(error.message, error.kind, node, error.overload) from None
        except RecursionError:
            raise CELEvaluationError("a value nests too deeply to evaluate", "internal") from None
        except UnicodeError:  # a variable's string with an unpaired surrogate, met as UTF-8
            raise CELEvaluationError(
                "a string is not Unicode text (it holds an unpaired surrogate)", "invalid_argument"
            ) from None
        except (TypeError, ValueError, ArithmeticError) as error:
            raise CELEvaluationError(f"evaluation failed: {error}", "internal") from None

    def _origin(self, failed: Activation, message: str) -> Node | None:
        """Where an evaluation's error arose: the first node seen failing with it.

        Only an evaluation that failed pays for this (a second, traced run over
        the same variables, which are never changed by an evaluation). An error
        that ``||`` or ``&&`` absorbed on the way has another message, or comes
        first and is the same error: either way the node is where it arose.
        """
        origin: list[Node] = []

        def watch(node: Node, value: Any) -> None:
            if not origin and isinstance(value, EvalError) and value.message == message:
                origin.append(node)

        retry = Activation(failed.variables, failed.limit, watch, failed.deadline)
        with contextlib.suppress(CELEvaluationError, BudgetExceeded):
            self._run(retry)
        return origin[0] if origin else None


def compile(  # noqa: A001 - the stage's name in CEL's own vocabulary
    source: str,
    declared: Iterable[str] = (),
    container: str = "",
    checked: bool = True,
) -> Program:
    """Parse, check against ``declared`` names and compile ``source``.

    ``checked=False`` leaves undeclared names and functions to fail when
    evaluated (cel-spec's ``disable_check``) instead of refusing the text.
    """
    tree = parse(source)
    resolved = check(tree, declared, container, strict=checked)
    with stack_room(8 * tree_depth(resolved) + 200):
        return Program(source, resolved)


def evaluate(
    source: str,
    variables: Mapping[str, Any] | None = None,
    container: str = "",
    checked: bool = True,
    budget: int = DEFAULT_BUDGET,
) -> Any:
    """Evaluate one expression over ``variables`` (their names are the declarations)."""
    names = tuple(variables or ())
    return compile(source, names, container, checked).evaluate(variables, budget)


__all__ = [
    "DEFAULT_BUDGET",
    "BudgetExceeded",
    "CELCheckError",
    "CELEvaluationError",
    "CELSyntaxError",
    "CelType",
    "Deadline",
    "DeadlineExceeded",
    "Duration",
    "EvalError",
    "LocatedError",
    "Optional",
    "Program",
    "Timestamp",
    "Uint",
    "check",
    "compile",
    "evaluate",
    "parse",
]
