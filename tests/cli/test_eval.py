"""``policygate eval`` and ``policygate.cel_evaluate`` (SPEC §3): one expression on
policygate's own CEL engine, its value as Python or printed, and the exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import policygate
from policygate.cli import main

ROOT = Path(__file__).parents[2]
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["eval", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (["1 + 2"], "3\n"),
        (["x * 2.0", "--var", "x=3"], "6.0\n"),  # a --var number is a double, as documents'
        (["[1u, 'a', b'\\x01\"', null, true]"], '[1u, "a", b"\\x01\\"", null, true]\n'),
        (["{'k': duration('90m')}"], '{"k": duration("5400s")}\n'),
        (["now", "--now", "2026-11-26T10:00:00+01:00"], 'timestamp("2026-11-26T09:00:00Z")\n'),
        (["model.spec.metrics.auc >= 0.8", "-m", str(MODEL)], "true\n"),
        (["size(model.spec.evaluations)", "-m", str(MODEL)], "2\n"),
        (["1.0 / 0.0"], 'double("Infinity")\n'),
        (["'\\u202e' + 'x'"], '"\\u202ex"\n'),  # record text never reaches a terminal raw
    ],
)
def test_eval_prints_the_value_as_cel_writes_it(args: list[str], stdout: str) -> None:
    assert run(*args)[:2] == (0, stdout)


def test_eval_json_gives_the_value_and_its_type() -> None:
    code, out, _ = run("[x, 1, 1u, 'a', duration('1s')]", "--var", "x=7", "-f", "json")
    assert code == 0
    assert json.loads(out) == {"value": [7.0, 1, 1, "a", "1s"], "type": "list"}
    assert json.loads(run("x", "--var", "x=0.5", "-f", "json")[1]) == {
        "value": 0.5, "type": "double"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        (["1 / 0"], 1, "policygate: evaluation error: divide by zero (line 1, column 3)\n"),
        (["true >= 0.8"], 2, "policygate: error: "),  # a literal bool meets a number: checked
        (["x >= 0.8", "--var", "x=true"], 1, "no such overload"),  # a bool is never a number
        (["x >= 0.8", "--var", "x=yes"], 1, "no such overload"),  # YAML 1.2: a string
        (["1 +"], 2, "policygate: error: unexpected end of expression (line 1, column 4)\n"),
        (["modle.x"], 2, "undeclared reference to 'modle' (line 1, column 1)"),
        (["x", "--var", "x"], 2, "--var wants NAME=YAML"),
        (["x", "--var", "x=[1, "], 2, "policygate: error: --var x:"),
    ],
)
def test_eval_exit_codes(args: list[str], code: int, stderr: str) -> None:
    result = run(*args)
    assert result[0] == code, result
    assert stderr in result[2]


def test_cel_evaluate_returns_python_values() -> None:
    value = policygate.cel_evaluate(
        "[x + 1, 1u, now + duration('1h'), duration('1.5s'), {'a': 2.5}, type(1), b'z', null]",
        {"x": 1},
        now="2026-11-26T00:00:00Z",
    )
    assert value == [2, 1, dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC),
                     dt.timedelta(seconds=1.5), {"a": 2.5}, "int", b"z", None]  # fmt: skip
    assert type(value[0]) is int and type(value[1]) is policygate.Uint
    assert policygate.cel_evaluate("t < now", {"t": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)})


def test_cel_evaluate_raises_policygates_errors_with_their_column() -> None:
    with pytest.raises(policygate.CELError) as syntax:
        policygate.cel_evaluate("a.b +", {"a": {"b": 1}})
    assert (syntax.value.line, syntax.value.column) == (1, 6)
    assert not isinstance(syntax.value, policygate.CELEvaluationError)
    with pytest.raises(policygate.CELEvaluationError) as failed:
        policygate.cel_evaluate("a.c", {"a": {"b": 1}})
    assert isinstance(failed.value, policygate.PolicygateError)
    assert "c" in failed.value.message
    with pytest.raises(policygate.CELEvaluationError, match="budget"):
        policygate.cel_evaluate("[1, 2, 3].map(x, [1, 2, 3].map(y, x * y))", budget=10)
