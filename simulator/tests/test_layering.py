"""The simulator's modules import each other without cycles, and the core never imports the layers built on it.

Every import counts, including those under ``TYPE_CHECKING`` and inside functions: a cycle hidden
there still makes a module impossible to read alone. The graph is read from the source with ``ast``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "xapisim"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
# Built on the core: the core (and what it imports) must not import these back.
ABOVE_THE_CORE = ("xapisim.control", "xapisim.world", "xapisim.scenario", "xapisim.server", "xapisim.__main__")
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _imports(path: Path, module: str) -> set[str]:
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in ROOT.rglob("*.py")}
    graph = {}
    for module, path in paths.items():
        graph[module] = {target for target in _imports(path, module) if target in paths and target != module}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen = {start}
    pending = [start]
    while pending:
        for target in graph[pending.pop()]:
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_simulator_has_no_import_cycles() -> None:
    assert find_cycles(import_graph()) == []


def test_the_core_does_not_import_the_layers_built_on_it() -> None:
    graph = import_graph()
    below = reachable(graph, "xapisim.core")
    assert "xapisim.semantics" in below, "the core registers the semantic layer's handlers"
    assert sorted(m for m in below if m.startswith(ABOVE_THE_CORE)) == []


@pytest.mark.parametrize("layer", ["xapisim.semantics", "xapisim.generic", "xapisim.context"])
def test_the_handlers_see_the_pool_through_the_context_only(layer: str) -> None:
    graph = import_graph()
    modules = [module for module in graph if module == layer or module.startswith(layer + ".")]
    assert modules
    importers = sorted(module for module in modules if "xapisim.core" in graph[module])
    assert importers == []


def test_semantics_is_grouped_by_family() -> None:
    flat = sorted(path.name for path in (ROOT / "semantics").glob("*.py") if path.name != "__init__.py")
    assert flat == []
    for package in (ROOT / "semantics").iterdir():
        if package.is_dir() and package.name != "__pycache__":
            assert (package / "__init__.py").read_text(encoding="utf-8").startswith('"""'), package.name


def test_every_simulator_file_stays_short() -> None:
    counts = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
              for path in ROOT.rglob("*.py")}
    long_files = {name: count for name, count in counts.items() if count > MAX_LINES}
    assert long_files == {}
