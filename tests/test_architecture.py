"""The package's shape: no import cycles between its modules, no module over 400 lines.

Imports are read with ``ast`` (nothing is imported): every import statement, including those
inside functions and ``if TYPE_CHECKING:`` blocks. A late import only hides a cycle from the
interpreter; the two modules still depend on each other, which is what this test forbids.
Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first, so those packages count as
imported too (except the importer's own packages, which are already being imported).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "routerlab"
MAX_LINES = 400


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    modules = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _all_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules ``name`` imports when it is imported."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _all_imports(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = name.split(".") if is_package else name.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        targets.add(base)
        # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one
        targets.update(f"{base}.{alias.name}" for alias in node.names)
    own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    found: set[str] = set()
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):  # the target and the packages it runs first
            candidate = ".".join(parts[:i])
            if candidate in modules and candidate not in own and candidate != name:
                found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path that returns to its start) per strongly connected component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan; the package is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_one_cycle(graph, set(c), c[0]) for c in components]


def _one_cycle(graph: dict[str, set[str]], members: set[str], start: str) -> list[str]:
    """A shortest path from ``start`` back to itself inside one component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start] * 2
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start]


def long_modules(limit: int = MAX_LINES) -> dict[str, int]:
    counts = {
        str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
        for path in module_files().values()
    }
    return {name: n for name, n in sorted(counts.items()) if n > limit}


# -- the checker itself ------------------------------------------------------------------------


def test_cycle_finder_reports_a_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_import_reader_counts_type_checking_and_function_imports(tmp_path):
    source = (
        "from typing import TYPE_CHECKING\n"
        "import routerlab.pool\n"
        "from routerlab.llm import base\n"
        "from . import usage\n"
        "if TYPE_CHECKING:\n"
        "    from routerlab import gateway\n"
        "def f():\n"
        "    import routerlab.harness\n"
    )
    path = tmp_path / "mod.py"
    path.write_text(source)
    modules = module_files()
    found = imports_of("routerlab.mod", path, modules)
    assert {"routerlab.pool", "routerlab.llm", "routerlab.llm.base", "routerlab.usage"} <= found
    assert {"routerlab.gateway", "routerlab.harness"} <= found


# -- the package ---------------------------------------------------------------------------------


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles (any import statement):\n" + "\n".join(
        " -> ".join(cycle) for cycle in found
    )


def test_no_module_over_400_lines():
    found = long_modules()
    assert not found, f"modules over {MAX_LINES} lines:\n" + "\n".join(
        f"{name}: {n}" for name, n in found.items()
    )
