"""The house has no circles (issue 18): no chain of imports inside policygate leads
back to where it started, counting the imports inside functions too (a lazy
import is still a dependency) and leaving out only ``if TYPE_CHECKING:`` blocks.
Importing a module imports its packages first, so those count as well."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import policygate

ROOT = Path(policygate.__file__).parent


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _target(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def import_graph() -> nx.DiGraph:
    modules = {_module(p): p for p in ROOT.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _target(module, path.name == "__init__.py", node.level, node.module)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for target in targets:
                if target not in modules:
                    continue
                parts = target.split(".")
                for end in range(2, len(parts) + 1):  # the packages first, then the module
                    imported = ".".join(parts[:end])
                    inside = module == imported or module.startswith(imported + ".")
                    if imported in modules and not inside:
                        graph.add_edge(module, imported)
    return graph


def test_the_graph_sees_the_imports() -> None:
    graph = import_graph()
    assert graph.number_of_nodes() > 100
    assert graph.has_edge("policygate.evaluate", "policygate.cel")
    assert graph.has_edge("policygate.models", "policygate.importers")  # a lazy import


def test_no_import_cycles() -> None:
    cycles = sorted((" -> ".join([*cycle, cycle[0]]) for cycle in nx.simple_cycles(
        import_graph())), key=len)  # fmt: skip
    assert cycles == [], f"{len(cycles)} import cycles, the shortest: {cycles[:5]}"
