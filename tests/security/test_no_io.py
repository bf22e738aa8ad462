"""T-POLICY-1: a policy cannot reach files, the network or Python itself."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from policygate import cel
from policygate.cel import celpython

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
ESCAPES = ['now.__class__', '"x".__class__', "model.__class__.__mro__", "type(model).__name__",
           'os.system("id")', '__import__("os")', 'exec("1")', 'open("/etc/passwd")',
           "model.s.format()", "model.s.encode()", 'http.get("http://localhost")']  # fmt: skip


@pytest.mark.parametrize("text", ESCAPES)
def test_no_expression_reaches_python_files_or_network(text):
    backend = cel.get_backend(cel.PORTABLE)
    act = backend.activation(model={"s": "x"}, params={}, now=NOW, inputs={})
    with pytest.raises(cel.CELEvaluationError):
        backend.truth(backend.compile(text).evaluate(act))


def test_the_function_table_is_cel_plus_days_and_imports_no_io_library():
    from celpy.evaluation import base_functions

    assert set(celpython.FUNCTIONS) - set(base_functions) == {"days"}
    backend = cel.get_backend(cel.PORTABLE)
    act = backend.activation(model={}, params={}, now=NOW, inputs={})
    backend.compile("true").evaluate(act)
    assert "celpy.c7nlib" not in sys.modules


def test_the_interpreter_is_used_never_the_transpiler():
    import celpy

    backend = cel.get_backend(cel.PORTABLE)
    program = backend.compile("1 + 1 == 2")
    assert not isinstance(program._runner, celpy.CompiledRunner)  # type: ignore[attr-defined]
