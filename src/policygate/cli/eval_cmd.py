"""``policygate eval EXPR``: try one CEL expression (SPEC §3).

Exit 0 with the value, 1 when the evaluation fails (the error is printed), 2 for
a syntax or check error or a bad option. ``--var`` values and ``-m`` records are
documents, so their numbers are doubles, as a rule sees them.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from typing import Any

import click

from ..cel import lang
from ..cel.expression import evaluate_cel
from ..cel.lang.values import (
    CelType,
    Duration,
    Optional,
    Timestamp,
    Uint,
    format_duration,
    format_timestamp,
    type_name,
)
from ..cel.own import document
from ..documents import load_text
from ..errors import UsageError
from ..formats.inert import inert
from ..models import load_models
from .common import format_option, handle_errors, run_options


@click.command("eval")
@click.argument("expression")
@click.option("--var", "variables", multiple=True, metavar="NAME=YAML",
              help="A variable and its value, written in YAML (repeatable).")  # fmt: skip
@click.option("-m", "--model", "model", metavar="MODEL",
              help="A model record (file or source) bound to `model`.")  # fmt: skip
@run_options("now")
@format_option(["text", "json"], "Output format.")
@handle_errors
def eval_command(
    expression: str, variables: tuple[str, ...], model: str | None, now: str | None, fmt: str
) -> None:
    """Evaluate EXPRESSION and print its value."""
    bound: dict[str, Any] = {}
    for entry in variables:
        name, sep, text = entry.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--var wants NAME=YAML, got {entry!r}")
        documents = load_text(text, f"--var {name}")
        bound[name] = document(documents[0].data if documents else None)
    if model is not None:
        records = load_models([model])
        if len(records) != 1:
            raise UsageError(f"-m wants one model record, {model} holds {len(records)}")
        bound["model"] = document(records[0].data)
    try:
        value = evaluate_cel(expression, bound, now)
    except lang.CELEvaluationError as error:
        click.echo(f"policygate: evaluation error: {inert(error.message)}", err=True)
        sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps({"value": _json(value), "type": type_name(value)}, sort_keys=True))
    else:
        click.echo(inert(_text(value)))


def _text(value: Any) -> str:
    """The value written as CEL would write it."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is Uint:
        return f"{int(value)}u"
    if kind is float:
        return _double(value)
    if kind is str:
        return json.dumps(value, ensure_ascii=False)
    if kind is bytes:
        return 'b"' + "".join(_byte(b) for b in value) + '"'
    if kind is list:
        return "[" + ", ".join(_text(item) for item in value) + "]"
    if kind is dict:
        return "{" + ", ".join(f"{_text(k)}: {_text(v)}" for k, v in value.items()) + "}"
    if kind is Timestamp:
        return f'timestamp("{format_timestamp(value)}")'
    if kind is Duration:
        return f'duration("{format_duration(value)}")'
    if kind is Optional:
        return f"optional.of({_text(value.value)})" if value.has else "optional.none()"
    if kind is CelType:
        return value.name
    return str(value)


def _byte(byte: int) -> str:
    char = chr(byte)
    if char in '"\\':
        return "\\" + char
    return char if 0x20 <= byte < 0x7F else f"\\x{byte:02x}"


def _double(value: float) -> str:
    if math.isnan(value):
        return 'double("NaN")'
    if math.isinf(value):
        return 'double("Infinity")' if value > 0 else 'double("-Infinity")'
    return repr(value)


def _json(value: Any) -> Any:
    """The value in JSON: timestamps and durations as their CEL text, bytes in
    base64, an infinite or NaN double as its name, an optional as its value."""
    kind = type(value)
    if kind is list:
        return [_json(item) for item in value]
    if kind is dict:
        return {_text(k) if type(k) is not str else k: _json(v) for k, v in value.items()}
    if kind is float and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if kind is Uint:
        return int(value)
    if kind is bytes:
        return base64.b64encode(value).decode("ascii")
    if kind is Timestamp:
        return format_timestamp(value)
    if kind is Duration:
        return format_duration(value)
    if kind is Optional:
        return _json(value.value) if value.has else None
    if kind is CelType:
        return value.name
    return value
