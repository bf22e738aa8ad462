"""The errors of policygate's own CEL engine.

Three stages, three kinds of error, all under policygate's one hierarchy:
a text that does not parse (:class:`CELSyntaxError`, with line and column),
an expression that does not check (:class:`CELCheckError`: an undeclared
name, a wrong arity), and an evaluation that ends in an error
(:class:`CELEvaluationError`). Inside the evaluator an error is a raised
:class:`EvalError`; ``&&``, ``||``, ``?:`` and the macros catch it where CEL
says an error is absorbed, so the error-free path pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from policygate.errors import CELCompileError, CELError


def quoted(value: object, limit: int = 40) -> str:
    """``value`` as an error message quotes it, cut short: the string may be a
    record's field of a megabyte, and a ``for_each`` rule words its error once per
    item. A string or bytes is cut to ``limit`` characters (and ``...``) before it
    is quoted, anything else is its ``repr`` cut the same way."""
    if type(value) is str:
        return repr(value if len(value) <= limit else value[:limit] + "...")
    if type(value) is bytes:
        return repr(value if len(value) <= limit else value[:limit] + b"...")
    text = repr(value)
    return text if len(text) <= 2 * limit else text[: 2 * limit] + "..."


class CELSyntaxError(CELCompileError, CELError):
    """The text is not CEL; ``line`` and ``column`` are 1-based, ``offset`` 0-based
    (its code is :class:`CELCompileError`'s, ``cel-syntax``)."""

    def __init__(
        self, message: str, offset: int, line: int, column: int, *, code: str | None = None
    ) -> None:
        super().__init__(f"{message} (line {line}, column {column})", code=code)
        self.reason = message
        self.offset = offset
        self.line = line
        self.column = column


class CELCheckError(CELCompileError, CELError):
    """The expression parses but refers to an undeclared name or misuses a function.

    ``code`` says which: ``undeclared-variable`` (``name`` is the variable),
    ``unknown-function`` (``name`` is the function) or ``cel-type`` (a wrong
    arity or call style).
    """

    code = "cel-type"

    def __init__(
        self,
        message: str,
        offset: int,
        line: int,
        column: int,
        *,
        code: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(f"{message} (line {line}, column {column})", code=code)
        self.name = name
        self.reason = message
        self.offset = offset
        self.line = line
        self.column = column


class EvalError(CELError):
    """An evaluation error: CEL's error value, raised so that success costs nothing.

    ``kind`` is a short stable word (``no_matching_overload``, ``division_by_zero``,
    ``overflow``, ``no_such_key``, ``index_out_of_bounds``, ``invalid_argument``,
    ``budget``...: every one is a key of :data:`KIND_CODES`) that tests and
    callers may compare without parsing the text; :func:`evaluation_code` gives
    the stable code a report carries for it.
    ``overload`` is, for CEL's "no such overload", the function's name and its
    operands' CEL types (``("_>=_", ("bool", "double"))``), so that a message can
    be rephrased without reading it back.
    """

    code = "cel-evaluation"

    def __init__(
        self,
        message: str,
        kind: str = "invalid_argument",
        *,
        overload: tuple[str, tuple[str, ...]] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.overload = overload

    @property
    def evaluation_code(self) -> str:
        """The stable code a report's ``error`` result carries for this error
        (``no-such-key`` for ``no_such_key``...: :data:`KIND_CODES`)."""
        return evaluation_code(self.kind)


KIND_CODES: Mapping[str, str] = MappingProxyType(
    {
        "no_such_key": "no-such-key",
        "no_matching_overload": "no-matching-overload",
        "division_by_zero": "division-by-zero",
        "modulus_by_zero": "modulus-by-zero",
        "overflow": "overflow",
        "range": "range-error",
        "index_out_of_bounds": "index-out-of-bounds",
        "invalid_argument": "invalid-argument",
        "conversion": "conversion-error",
        "bad_regex": "bad-regex",
        "repeated_key": "repeated-key",
        "unknown_variable": "unknown-variable",
        "unbound_function": "unbound-function",
        "unsupported": "unsupported",
        "internal": "internal-error",
        "budget": "budget-exceeded",
        "deadline": "deadline-exceeded",
    }
)
"""The engine's error kinds and the code each gives a result (every code is in
:data:`policygate.errors.EVALUATION_CODES` or, for the budget's two,
:data:`policygate.errors.CODES`; a test holds them together). The codes follow
cel-spec's conformance error texts where there is one ("no such key", "no
matching overload", "divide by zero", "return error for overflow", "range",
"Type conversion error", "Failed with repeated key", "unknown variable",
"unbound function")."""


def evaluation_code(kind: str) -> str:
    """The stable code of an engine error of ``kind`` (an unknown kind: ``internal-error``)."""
    return KIND_CODES.get(kind, "internal-error")


class CELEvaluationError(EvalError):
    """The public face of an evaluation that ended in an error.

    ``line`` and ``column`` (1-based) name the sub-expression where the error
    arose when it is known (``1 / x`` for a division by zero), so a rule's
    error result can point at it.
    """

    def __init__(
        self,
        message: str,
        kind: str = "invalid_argument",
        line: int | None = None,
        column: int | None = None,
        *,
        overload: tuple[str, tuple[str, ...]] | None = None,
    ) -> None:
        super().__init__(
            message if line is None else f"{message} (line {line}, column {column})",
            kind,
            overload=overload,
        )
        self.reason = message
        self.line = line
        self.column = column


class BudgetExceeded(CELError):
    """The evaluation would spend more cost units than its budget allows.

    Not an :class:`EvalError`: no ``&&``, ``||`` or macro may absorb it, so an
    exhausted budget always ends the evaluation.
    """

    code = "budget-exceeded"

    def __init__(self, limit: int) -> None:
        super().__init__(f"CEL evaluation exceeded its cost budget of {limit} units")
        self.kind = "budget"
        self.limit = limit
