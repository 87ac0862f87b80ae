"""The structure docs/architecture.md promises: no import cycle anywhere in the package, and
function-local imports only for optional dependencies (the layering itself is checked by
the import-linter contract in pyproject.toml, run by ``lint-imports`` in CI)."""

import ast
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp")  # installed with import-linter (the dev extra)

SOURCE = Path(__file__).resolve().parents[1] / "src" / "deepgrad"
# What may be imported inside a function, and why: optional dependencies and slow imports.
LOCAL_IMPORTS_ALLOWED = {
    "numba": "optional (the fast extra), and 0.25 s to import",
    "scipy": "optional (a faster erf)",
    "matplotlib": "optional (the plot extra)",
    "tqdm": "optional (the progress extra)",
    "mpi4py": "optional (the distributed extra)",
    "sklearn": "optional (the datasets extra)",
    "sympy": "optional (the symbolic extra)",
    "cupy": "optional (GPUs), imported only when a GPU is asked for",
    "onnx": "optional (the onnx extra)",
    "onnxruntime": "optional (test-only, ONNX Runtime runs deepgrad.onnx's exported graphs)",
    "tensorboard": "optional (the TensorBoard callback's event files)",
    "warnings": "standard library, only on a rare path",
    "re": "standard library, only on a rare path",
}


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the groups of modules that import one another."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_import_cycle_in_the_package():
    imports = grimp.build_graph("deepgrad")
    graph = {
        module: set(imports.find_modules_directly_imported_by(module)) - {"deepgrad"}
        for module in imports.modules
        if module != "deepgrad"  # the root re-exports everything and nothing imports it back
    }
    assert _strongly_connected(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _strongly_connected(graph) == [["a", "b", "c"]]


def test_function_local_imports_are_only_for_optional_dependencies():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] not in LOCAL_IMPORTS_ALLOWED:
                        offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno} {name}")
    assert offenders == []
