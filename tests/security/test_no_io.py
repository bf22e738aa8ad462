"""T-POLICY-1: a policy cannot reach files, the network or Python itself."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

import policygate.cel as cel_package
from policygate import cel

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
ESCAPES = ['now.__class__', '"x".__class__', "model.__class__.__mro__", "type(model).__name__",
           'os.system("id")', '__import__("os")', 'exec("1")', 'open("/etc/passwd")',
           "model.s.format()", "model.s.encode()", 'http.get("http://localhost")']  # fmt: skip
# What no module of the CEL package may import: files, processes, the network, code.
FORBIDDEN_IMPORTS = {
    "os", "subprocess", "socket", "urllib", "http", "io", "pathlib", "shutil",
    "importlib", "builtins", "ctypes", "pickle", "marshal", "tempfile",
}  # fmt: skip


@pytest.mark.parametrize("text", ESCAPES)
def test_no_expression_reaches_python_files_or_network(text):
    backend = cel.get_backend()
    act = backend.activation(model={"s": "x"}, params={}, now=NOW, inputs={})
    with pytest.raises((cel.CELEvaluationError, cel.CELSyntaxError)):
        backend.truth(backend.compile(text).evaluate(act))


def test_no_module_of_the_cel_package_imports_io_processes_or_code():
    root = Path(cel_package.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) >= 15
    found = {}
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            bad = [n for n in names if n.split(".")[0] in FORBIDDEN_IMPORTS]
            if bad:
                found[str(path.relative_to(root))] = bad
    assert found == {}
