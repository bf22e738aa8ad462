"""Runs cel-spec's simple conformance tests through ``policygate.cel.lang``.

Shared by ``test_conformance.py`` (one pytest item per test) and
``bench/conformance.py`` (the pass rate per file). A test's expected value is
rebuilt as the engine's own values (``Uint``, ``Timestamp``...) and compared
strictly: same CEL type, same value (an ``int`` 1 is not a ``double`` 1.0).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celspec_textproto import Message, StringValue, parse

import policygate
from policygate.cel.expression import to_python
from policygate.cel.lang import (
    BudgetExceeded,
    CELCheckError,
    CELEvaluationError,
    CELSyntaxError,
    CelType,
    Duration,
    Optional,
    Timestamp,
    Uint,
    compile,
)
from policygate.cel.lang.values import NANOS, TYPE_IDENTS

DATA = Path(__file__).resolve().parents[2] / "data" / "cel-spec"

#: The files run, in the order their pass rates are printed.
FILES = (
    "basic",
    "comparisons",
    "conversions",
    "fields",
    "fp_math",
    "integer_math",
    "lists",
    "logic",
    "macros",
    "macros2",
    "namespace",
    "parse",
    "plumbing",
    "string",
    "string_ext",
    "timestamps",
    "optionals",
)


class OutOfScope(Exception):
    """The test needs what policygate's CEL does not have (protobuf messages...)."""


@dataclass(frozen=True)
class Case:
    """One conformance test: ``id`` is ``file/section/name`` (``#2`` when repeated)."""

    id: str
    file: str
    test: Message


def cases(file: str) -> Iterator[Case]:
    """Every test of ``file``.textproto, in order."""
    message = parse((DATA / f"{file}.textproto").read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    for section in message.get("section", []):
        for test in section.get("test", []):
            base = f"{file}/{_text(section, 'name')}/{_text(test, 'name')}"
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else f"{base}#{seen[base]}"
            yield Case(name, file, test)


def _text(message: Message, field: str, default: str = "") -> str:
    values = message.get(field)
    if not values:
        return default
    value = values[0]
    return value.text if isinstance(value, StringValue) else str(value)


def _flag(message: Message, field: str) -> bool:
    return bool(message.get(field, [False])[0])


# -- values -------------------------------------------------------------------


def to_value(value: Message) -> Any:
    """A ``cel.expr.Value`` as the engine's value."""
    if "null_value" in value:
        return None
    if "bool_value" in value:
        return bool(value["bool_value"][0])
    if "int64_value" in value:
        return int(value["int64_value"][0])
    if "uint64_value" in value:
        return Uint(value["uint64_value"][0])
    if "double_value" in value:
        return float(value["double_value"][0])
    if "string_value" in value:
        return value["string_value"][0].text
    if "bytes_value" in value:
        return bytes(value["bytes_value"][0])
    if "list_value" in value:
        return [to_value(v) for v in value["list_value"][0].get("values", [])]
    if "map_value" in value:
        out: dict[Any, Any] = {}
        for entry in value["map_value"][0].get("entries", []):
            out[to_value(entry["key"][0])] = to_value(entry["value"][0])
        return out
    if "type_value" in value:
        name = value["type_value"][0].text
        return TYPE_IDENTS.get(name, CelType(name))
    if "object_value" in value:
        return _object(value["object_value"][0])
    if "enum_value" in value:
        raise OutOfScope("enum values need protobuf enum types")
    raise OutOfScope(f"unknown value form {sorted(value)}")


_WRAPPERS = {
    "google.protobuf.Int64Value": int,
    "google.protobuf.Int32Value": int,
    "google.protobuf.UInt64Value": Uint,
    "google.protobuf.UInt32Value": Uint,
    "google.protobuf.DoubleValue": float,
    "google.protobuf.FloatValue": float,
    "google.protobuf.BoolValue": bool,
    "google.protobuf.StringValue": str,
    "google.protobuf.BytesValue": bytes,
}


def _object(any_value: Message) -> Any:
    ((url, payloads),) = any_value.items()
    type_name = url.strip("[]").split("/")[-1]
    payload = payloads[0]
    if type_name == "google.protobuf.Duration":
        return Duration(
            int(payload.get("seconds", [0])[0]) * NANOS + int(payload.get("nanos", [0])[0])
        )
    if type_name == "google.protobuf.Timestamp":
        return Timestamp(
            int(payload.get("seconds", [0])[0]) * NANOS + int(payload.get("nanos", [0])[0])
        )
    if type_name in _WRAPPERS:
        raw = payload.get("value", [_WRAPPERS[type_name]()])[0]
        kind = _WRAPPERS[type_name]
        if kind is str:
            return raw.text if isinstance(raw, StringValue) else str(raw)
        return kind(raw)
    raise OutOfScope(f"needs the protobuf message type {type_name}")


def same(actual: Any, expected: Any) -> bool:
    """Equal values of one CEL type (NaN equals NaN here: the test wants NaN)."""
    ta, te = type(actual), type(expected)
    if ta is tuple:
        ta = list
    if ta is not te:
        return False
    if te is float:
        if math.isnan(expected):
            return math.isnan(actual)
        return bool(actual == expected)
    if te is list:
        return len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if te is dict:
        if len(actual) != len(expected):
            return False
        for key, value in expected.items():
            match = [k for k in actual if same(k, key)]
            if len(match) != 1 or not same(actual[match[0]], value):
                return False
        return True
    if te is Optional:
        return actual.has == expected.has and (not actual.has or same(actual.value, expected.value))
    return bool(actual == expected)


# -- running --------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one run gave: ``passed``, and a line saying what went wrong when not."""

    passed: bool
    detail: str = ""


def _bindings(test: Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in test.get("bindings", []):
        name = entry["key"][0].text
        expr_value = entry["value"][0]
        if "value" not in expr_value:
            raise OutOfScope("a binding that is not a value (an error or unknown)")
        out[name] = to_value(expr_value["value"][0])
    return out


def _declared(test: Message, bindings: dict[str, Any]) -> set[str]:
    names = set(bindings)
    for decl in test.get("type_env", []):
        if "ident" in decl:
            names.add(_text(decl, "name"))
    return names


def run(case: Case, public: bool = True) -> Outcome:
    """Run one test; :class:`OutOfScope` when it needs protobuf messages.

    ``public``: through :func:`policygate.cel_evaluate`, as a user calls it (its
    values in and out are plain Python: the bindings go in as
    :func:`~policygate.cel.expression.to_python` gives them and the value is
    compared as Python); else through the engine's own ``compile`` and values."""
    test = case.test
    if _flag(test, "check_only"):
        raise OutOfScope("a check-only test of the deduced type (no type deduction)")
    if "unknown" in test or "any_unknowns" in test:
        raise OutOfScope("unknown values (partial evaluation)")
    expr = _text(test, "expr")
    bindings = _bindings(test)
    wants_error = "eval_error" in test or "any_eval_errors" in test
    if "value" in test:
        expected = to_value(test["value"][0])
    elif "typed_result" in test:
        expected = to_value(test["typed_result"][0]["result"][0])
    else:
        expected = True
    try:
        if public:
            actual = policygate.cel_evaluate(
                expr,
                {name: to_python(value) for name, value in bindings.items()},
                declarations=_declared(test, bindings),
                container=_text(test, "container"),
                checked=not _flag(test, "disable_check"),
            )
            expected = to_python(expected)
        else:
            program = compile(
                expr,
                _declared(test, bindings),
                container=_text(test, "container"),
                checked=not _flag(test, "disable_check"),
            )
            actual = program.evaluate(bindings)
    except (CELSyntaxError, CELCheckError) as error:
        if wants_error and not isinstance(error, CELSyntaxError):
            return Outcome(True)
        return Outcome(False, f"{type(error).__name__}: {error}")
    except (CELEvaluationError, BudgetExceeded) as error:
        if wants_error:
            return Outcome(True)
        return Outcome(False, f"evaluation error: {error}")
    if wants_error:
        return Outcome(False, f"expected an error, got {actual!r}")
    if same(actual, expected):
        return Outcome(True)
    return Outcome(False, f"expected {expected!r}, got {actual!r}")
