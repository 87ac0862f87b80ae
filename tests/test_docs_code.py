"""The Python code blocks of README.md and of every page in docs/ run, page by page, in
order, in a fresh namespace (in a scratch folder), so the docs cannot drift from the code.

Each page starts from the project's usual imports (``PRELUDE``), which pages take as read.
A block that cannot run here is marked on the line before its fence with
``<!-- skip-test: the reason -->``; the reason is required and shown in the skip.
"""

import contextlib
import doctest
import importlib.util
import io
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PRELUDE = """
import numpy as np
import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import datasets, layers, losses, metrics, optimizers
"""
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SKIP = re.compile(r"<!--\s*skip-test(?::\s*(?P<reason>.*?))?\s*-->\s*$")


def code_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """(line number, code, skip reason or None) of each ```python block."""
    blocks = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = SKIP.search(before)
        reason = None
        if marker:
            reason = (marker.group("reason") or "").strip()
            if not reason:
                raise ValueError(f"line {line}: <!-- skip-test --> needs a reason after a colon")
        blocks.append((line, match.group(1), reason))
    return blocks


def _pages_with_code() -> list[Path]:
    return [page for page in PAGES if code_blocks(page.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("page", _pages_with_code(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_code_blocks_of_a_page_run(page, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__docs__"}
    exec(PRELUDE, namespace)
    skipped, failures = [], []
    for line, code, reason in code_blocks(page.read_text(encoding="utf-8")):
        if reason is not None:
            skipped.append(f"line {line}: {reason}")
            continue
        if code.lstrip().startswith(">>>"):  # a console session: its outputs are checked too
            failures += _run_doctest(code, namespace, f"{page.name}:{line}")
            continue
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            try:
                exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
            except Exception as error:
                failures.append(f"the block at line {line}: {type(error).__name__}: {error}")
    if skipped:
        print("skipped blocks:", *skipped, sep="\n  ")
    assert not failures, f"{page.relative_to(ROOT)}:\n" + "\n".join(failures)


def _run_doctest(code: str, namespace: dict, name: str) -> list[str]:
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    test = doctest.DocTestParser().get_doctest(code, namespace, name, name, 0)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=flags)
    runner.run(test, out=report.write, clear_globs=False)
    return [f"the console block {name}:\n{report.getvalue()}"] if runner.failures else []


def test_a_skip_marker_needs_a_reason():
    text = "<!-- skip-test -->\n```python\nx = 1\n```\n"
    with pytest.raises(ValueError, match="needs a reason"):
        code_blocks(text)
    marked = "<!-- skip-test: needs mpiexec -->\n```python\nx = 1\n```\n"
    assert code_blocks(marked) == [(2, "x = 1\n", "needs mpiexec")]


# Top-level modules the API reference leaves out, and why.
NOT_IN_REFERENCE = {
    "ops": "internal: the primitives; deepgrad.numpy is their public face",
    "kernels": "internal: numba's switch and compile helper",
    "native": "internal: builds and loads the optimizers' C loops (docs/optimizer-kernels.md)",
    "native_loops": "internal: a compiled plan's fused calls as C loops (docs/fusion.md)",
    "blas": "internal: one gemm call into NumPy's own OpenBLAS (compiled plain SGD)",
    "version": "only __version__, shown on the deepgrad page",
    "axes": "internal: axis arguments checked as NumPy checks them",
}


def test_the_reference_covers_every_public_module():
    source = ROOT / "src" / "deepgrad"
    modules = {
        path.stem if path.is_file() else path.name
        for path in source.iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
        and not path.name.startswith("_")
    }
    reference = "".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    documented = set(re.findall(r"^::: deepgrad\.(\w+)", reference, re.MULTILINE))
    assert modules - documented - set(NOT_IN_REFERENCE) == set()


def test_the_reference_shows_doctests_as_code():
    path = ROOT / "docs" / "reference" / "doctest_fences.py"
    if importlib.util.find_spec("griffe") is None:
        pytest.skip("griffe (the docs extra) is not installed")
    spec = importlib.util.spec_from_file_location("doctest_fences", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["doctest_fences"] = module
    spec.loader.exec_module(module)
    text = "Add:\n\n>>> 1 + 1\n2\n\nDone."
    assert module.fence_doctests(text) == "Add:\n\n```pycon\n>>> 1 + 1\n2\n```\n\nDone."
