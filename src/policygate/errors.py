"""The one error hierarchy of policygate.

Errors are data (after jsonschema's ``ValidationError``): a message, a source
location when there is one, and the JSON path of the offending value for
document errors. The location is filled in as the error travels up, so leaf
code (a CEL compile, a schema check) need not know which file it is in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; ``line`` and ``column`` are 1-based."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


JsonPath = tuple[str | int, ...]


def format_json_path(path: Sequence[str | int]) -> str:
    """``("spec", "rules", 0, "id")`` -> ``$.spec.rules[0].id``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


class PolicygateError(Exception):
    """Base of every error policygate raises."""

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        json_path: JsonPath | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.json_path = json_path

    def with_location(self, location: Location) -> PolicygateError:
        """Fill in the location if the error does not have one yet."""
        if self.location is None:
            self.location = location
        return self

    def __str__(self) -> str:
        text = self.message
        if self.json_path:
            where = format_json_path(self.json_path)
            if len(where) > 200:  # a key of a record can be 1 MB long
                where = f"{where[:200]}... ({len(where)} characters)"
            text = f"{text} (at {where})"
        if self.location is not None:
            return f"{self.location}: {text}"
        return text


class LoadError(PolicygateError):
    """A file could not be read or parsed, or breaks a limit."""


class SchemaError(LoadError):
    """A document does not match its JSON Schema."""


class PolicyError(LoadError):
    """A policy, waiver or related document is malformed (extends cycle, duplicate id, ...)."""


class CELCompileError(PolicyError):
    """A CEL expression does not parse."""


class CELError(PolicygateError):
    """A CEL expression given on its own (``policygate.cel_evaluate``, ``policygate
    eval``) does not parse or check, or its evaluation failed
    (:class:`policygate.CELEvaluationError`). ``line``/``column`` are 1-based
    within the expression, where known."""


class UndeclaredVariableError(CELCompileError):
    """A CEL expression reads a variable it does not have (SPEC §3)."""


class UsageError(PolicygateError):
    """A command-line or API argument is wrong (bad --param, unknown format...)."""


class DecisionLogError(PolicygateError):
    """The decision log cannot be read or appended to (locked, truncated, not a log)."""


class NothingEvaluatedError(PolicygateError):
    """No model, no policy, or no applicable rule: evaluating nothing is not a pass."""


class ErrorGroup(LoadError):
    """Several load errors reported together, sorted by location (like a compiler).

    Printed, it shows the first :attr:`SHOWN` and how many more there are (a
    directory of broken files must not bury the terminal); :attr:`errors` keeps
    them all.
    """

    SHOWN = 20

    def __init__(self, errors: Iterable[PolicygateError]) -> None:
        self.errors = sorted(errors, key=_sort_key)
        count = len(self.errors)
        first = self.errors[0] if self.errors else None
        super().__init__(
            f"{count} error{'s' if count != 1 else ''} occurred",
            first.location if first else None,
        )

    def __str__(self) -> str:
        shown = [str(e) for e in self.errors[: self.SHOWN]]
        left = len(self.errors) - len(shown)
        if left > 0:
            shown.append(f"... and {left} more error{'s' if left != 1 else ''}")
        return "\n".join(shown)


def _sort_key(error: PolicygateError) -> tuple[str, int, int, str]:
    loc = error.location
    if loc is None:
        return ("", 0, 0, error.message)
    return (loc.path, loc.line or 0, loc.column or 0, error.message)


class GateFailed(PolicygateError):
    """Raised by :func:`policygate.gate` when the model does not pass; carries the report."""

    def __init__(self, report: object, message: str = "policy gate failed") -> None:
        super().__init__(message)
        self.report = report
