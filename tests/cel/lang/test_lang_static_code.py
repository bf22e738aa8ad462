"""The engine runs no generated code: no eval/exec/compile builtins, no imports at run time.

A CEL text is data from a pull request; the engine must never turn it into
Python source. This reads the package's own source and proves it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import policygate.cel.lang as lang

PACKAGE = Path(lang.__file__).parent
FORBIDDEN = {"eval", "exec", "__import__", "breakpoint"}


def _calls(tree: ast.AST) -> list[tuple[str, int]]:
    own = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in FORBIDDEN:
                found.append((node.func.id, node.lineno))
            if node.func.id == "compile" and "compile" not in own:  # the builtin
                found.append(("compile", node.lineno))
        if isinstance(node, ast.Attribute) and node.attr in ("import_module", "exec_module"):
            found.append((node.attr, node.lineno))
    return found


def test_no_module_of_the_engine_runs_generated_code() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 10
    offenders = {
        path.name: calls
        for path in modules
        if (calls := _calls(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_engine_does_not_import_its_oracles() -> None:
    for path in PACKAGE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "cel_expr_python" not in text, path.name
        assert "celpy" not in text, path.name
