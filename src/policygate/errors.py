"""The one error hierarchy of policygate.

Errors are data (after jsonschema's ``ValidationError`` and OPA's
``rego_parse_error``): a stable :attr:`~PolicygateError.code` that programs
compare (never the text, which is for people and may be reworded), a message,
a source location when there is one, the JSON path of the offending value for
document errors, and a ``context`` of further facts. The location is filled in
as the error travels up, so leaf code (a CEL compile, a schema check) need not
know which file it is in.

Every code is registered in :data:`CODES` with a one-line description, and
explained with how to fix it in ``docs/errors.md``; a test holds the package,
the registry and the page to one another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

CODES: Mapping[str, str] = MappingProxyType(
    {
        # the hierarchy's defaults, one per class
        "error": "An error of policygate with no more specific code.",
        "load-error": "A file or document could not be read or loaded.",
        "schema-invalid": "A document does not match its JSON Schema.",
        "policy-invalid": "A policy, waiver or related document is malformed.",
        "cel-syntax": "A CEL expression does not parse.",
        "cel-type": "A CEL expression parses but does not check (wrong arity, misused function).",
        "cel-error": "A CEL expression given on its own does not compile or evaluate.",
        "cel-evaluation": "Evaluating a CEL expression ended in an error (CEL's error value).",
        "budget-exceeded": "A CEL evaluation would spend more cost units than its budget.",
        "deadline-exceeded": "A CEL evaluation ran past its wall-clock deadline.",
        "undeclared-variable": "A CEL expression reads a variable it does not have.",
        "usage": "A command-line or API argument is wrong.",
        "decision-log": "The decision log cannot be read or appended to.",
        "nothing-evaluated": "No model, no policy or no applicable rule: nothing was evaluated.",
        "multiple-errors": "Several errors reported together; each keeps its own code.",
        "gate-failed": "The model did not pass the policy gate.",
        "import-failed": "A model source could not be read or holds no model.",
        "evidence-invalid": "An evidence entry or report cannot be read or holds nothing to judge.",
        "config-invalid": "The configuration file has an unknown key or a wrong value.",
        "request-invalid": "A request (to authorize, or to serve) is incomplete or malformed.",
        "unauthorized": "A serve request has no valid bearer token (or more than one).",
        "no-such-endpoint": "A serve request names a path that is no endpoint of the service.",
        "method-not-allowed": "A serve endpoint is asked with another HTTP method than its own.",
        "request-too-large": "A serve request's body is larger than the file size limit.",
        "request-timeout": "A serve request's head or body did not arrive within --read-timeout.",
        "server-busy": "serve is answering --concurrency requests already; try again.",
        "no-access-policies": "/v1/authorize is asked of a serve started without access policies.",
        # more specific cases, passed at their raise sites
        "yaml-syntax": "A file is not valid YAML or JSON.",
        "yaml-tag": "A YAML tag, construct or value policygate refuses (a key not a string...).",
        "duplicate-key": "A mapping defines the same key twice.",
        "file-not-found": "A named file or directory does not exist.",
        "file-unreadable": "A file exists but cannot be read (permissions, a directory, encoding).",
        "file-too-large": "A file is larger than the size limit.",
        "document-too-large": "A document has more nodes, depth or characters than the limits.",
        "empty-file": "A named file holds no document at all.",
        "unknown-kind": "A document's kind or apiVersion is not one policygate knows.",
        "unknown-function": "A CEL expression calls a function CEL and policygate do not define.",
        "expression-too-large": "A CEL expression is longer or nests deeper than the limits.",
        "message-syntax": "A rule's message template or one of its placeholders does not parse.",
        "duplicate-rule-id": "Two rules of one policy have the same id.",
        "duplicate-policy-name": "Two loaded policies have the same name.",
        "reserved-policy-name": "A policy is named policygate, the name of the engine's results.",
        "extends-unreadable": "A policy named in extends cannot be loaded or is not one policy.",
        "extends-cycle": "A policy extends itself through its extends chain.",
        "model-schema-invalid": "A policy's model_schema cannot be loaded or is no JSON Schema.",
        "unknown-action": "An access rule names a registry action that does not exist.",
        "enforce-from-invalid": "A rule's enforce_from is neither a date nor an RFC 3339 time.",
        "param-unknown": "A --param names a parameter no loaded policy declares.",
        "param-type": "A --param value is not of its declared default's type.",
        "param-syntax": "A --param is not NAME=VALUE or its value does not parse.",
        "unknown-format": "An output format name that is not registered.",
        "signature-invalid": "A signature does not verify, or a key or signed file is malformed.",
        "limit-invalid": "A --limit is not NAME=VALUE with a known name and a positive value.",
        "waiver-invalid": "A waiver's expiry is not an RFC 3339 time.",
        "risk-matrix-invalid": "A risk register's matrix is malformed or rates a worse risk lower.",
        "risk-level-unknown": "A risk's likelihood or impact is no level of its register's matrix.",
        "risk-rating-incomplete": "A risk gives a likelihood without an impact, or the reverse.",
        "rating-scale-mismatch": "Risk registers loaded together rate on different scales.",
        "duplicate-risk-id": "Two risks of the loaded registers have the same id.",
        "risks-rule-controls": "A rule that reads the risk ratings names controls.",
    }
)
"""Every error code policygate raises, with what it means (``docs/errors.md``
says how to fix each)."""

EVALUATION_CODES: Mapping[str, str] = MappingProxyType(
    {
        # the CEL engine's evaluation errors (cel.lang.errors.KIND_CODES)
        "no-such-key": "An expression reads a key or field the map or record does not have.",
        "no-matching-overload": "An operator or function is applied to values of the wrong types.",
        "division-by-zero": "An integer is divided by zero.",
        "modulus-by-zero": "The remainder of an integer by zero is taken.",
        "overflow": "Integer or unsigned arithmetic leaves the 64-bit range.",
        "range-error": "A conversion, timestamp or duration is out of its type's range.",
        "index-out-of-bounds": "A list or string index is negative or past the end.",
        "invalid-argument": "A function is given a value it cannot use (a bad format, optional).",
        "conversion-error": "A string cannot be converted (to a number, a bool, a timestamp...).",
        "bad-regex": "A matches() pattern is not a valid RE2 regular expression.",
        "repeated-key": "A map literal gives the same key twice.",
        "unknown-variable": "An expression reads a declared variable that has no value.",
        "unbound-function": "An unchecked expression calls a function that is not defined.",
        "unsupported": "An expression uses a CEL feature policygate does not support.",
        "internal-error": "The evaluation failed in a way policygate does not expect (a bug).",
        # policygate's own, around the engine
        "not-a-bool": "A check, when or applies_to yields a value that is not a bool.",
        "not-a-collection": "A for_each yields a value that is neither a list nor a map.",
        "unknown-risk": "A model record names a risk the risk register does not define.",
        "no-risk-register": "A rule reads risks, and the run has no risk register to rate them.",
    }
)
"""The codes of an ``error`` result's evaluation (``Result.error_code``), beside
:data:`CODES`: a result's code is one of these, or the :data:`CODES` entry of the
error that made it (``budget-exceeded``, a source's load error, ...)."""


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
    """Base of every error policygate raises.

    ``code`` is the class's :attr:`code` unless the raise site names a more
    specific case (``LoadError(..., code="file-too-large")``); ``context`` holds
    further facts as plain JSON values (the limit, the offending name...).
    """

    code: str = "error"

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        json_path: JsonPath | None = None,
        *,
        code: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.json_path = json_path
        if code is not None:
            self.code = code  # the instance's own, over the class default
        self.context: dict[str, Any] = dict(context or {})

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON data: ``code``, ``message``, ``location``
        (``path``/``line``/``column``, or null), ``json_path`` (``$.spec...``, or
        null) and ``context``."""
        location = None
        if self.location is not None:
            location = {
                "path": self.location.path,
                "line": self.location.line,
                "column": self.location.column,
            }
        return {
            "code": self.code,
            "message": self.message,
            "location": location,
            "json_path": format_json_path(self.json_path) if self.json_path else None,
            "context": dict(self.context),
        }

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

    code = "load-error"


class SchemaError(LoadError):
    """A document does not match its JSON Schema."""

    code = "schema-invalid"


class PolicyError(LoadError):
    """A policy, waiver or related document is malformed (extends cycle, duplicate id, ...)."""

    code = "policy-invalid"


class CELCompileError(PolicyError):
    """A CEL expression does not parse."""

    code = "cel-syntax"


class CELError(PolicygateError):
    """A CEL expression given on its own (``policygate.cel_evaluate``, ``policygate
    eval``) does not parse or check, or its evaluation failed
    (:class:`policygate.CELEvaluationError`). ``line``/``column`` are 1-based
    within the expression, where known."""

    code = "cel-error"


class UndeclaredVariableError(CELCompileError):
    """A CEL expression reads a variable it does not have (SPEC §3)."""

    code = "undeclared-variable"


class UsageError(PolicygateError):
    """A command-line or API argument is wrong (bad --param, unknown format...)."""

    code = "usage"


class ConfigError(UsageError):
    """The configuration file (``policygate.yaml``, ``[tool.policygate]``) is wrong (SPEC §11)."""

    code = "config-invalid"


class AccessRequestError(UsageError):
    """A registry request given to ``authorize`` (or the gate) is incomplete or malformed."""

    code = "request-invalid"


class DecisionLogError(PolicygateError):
    """The decision log cannot be read or appended to (locked, truncated, not a log)."""

    code = "decision-log"


class NothingEvaluatedError(PolicygateError):
    """No model, no policy, or no applicable rule: evaluating nothing is not a pass."""

    code = "nothing-evaluated"


class ErrorGroup(LoadError):
    """Several load errors reported together, sorted by location (like a compiler).

    Printed, it shows the first :attr:`SHOWN` and how many more there are (a
    directory of broken files must not bury the terminal); :attr:`errors` keeps
    them all.
    """

    SHOWN = 20
    code = "multiple-errors"

    def __init__(self, errors: Iterable[PolicygateError]) -> None:
        self.errors = sorted(errors, key=_sort_key)
        count = len(self.errors)
        first = self.errors[0] if self.errors else None
        super().__init__(
            f"{count} error{'s' if count != 1 else ''} occurred",
            first.location if first else None,
        )

    @classmethod
    def of(cls, errors: Sequence[PolicygateError]) -> PolicygateError:
        """What to raise for ``errors`` (at least one): the one error itself, or
        all of them as a group."""
        return cls(errors) if len(errors) > 1 else errors[0]

    def to_dict(self) -> dict[str, Any]:
        """Every error of the group, each with its own code, beside the group's."""
        data = super().to_dict()
        data["errors"] = [error.to_dict() for error in self.errors]
        return data

    def lines(self) -> list[str]:
        """What it prints, an error a line: the first :attr:`SHOWN` and the count left."""
        shown = [str(e) for e in self.errors[: self.SHOWN]]
        left = len(self.errors) - len(shown)
        if left > 0:
            shown.append(f"... and {left} more error{'s' if left != 1 else ''}")
        return shown

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _sort_key(error: PolicygateError) -> tuple[str, int, int, str]:
    loc = error.location
    if loc is None:
        return ("", 0, 0, error.message)
    return (loc.path, loc.line or 0, loc.column or 0, error.message)


class GateFailed(PolicygateError):
    """Raised by :func:`policygate.gate` when the model does not pass; carries the report."""

    code = "gate-failed"

    def __init__(self, report: object, message: str = "policy gate failed") -> None:
        super().__init__(message)
        self.report = report
