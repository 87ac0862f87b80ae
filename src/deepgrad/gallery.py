"""The example gallery's plumbing: find the examples, run one (``deepgrad demo NAME``),
and give each script the same command line (``--quick``, ``--output``).

The examples live in ``examples/`` in the repository and are shipped inside the wheel as
``deepgrad/_examples``, so ``deepgrad demo NAME`` works after ``pip install`` too.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


def examples_folder() -> Path:
    """Where the example scripts are: inside the installed package, or the repository."""
    package = Path(__file__).parent
    for folder in (package / "_examples", package.parents[1] / "examples"):
        if folder.is_dir():
            return folder
    raise FileNotFoundError("the example scripts are not installed with this copy of deepgrad")


def names() -> list[str]:
    """The examples, by name."""
    return sorted(p.stem for p in examples_folder().glob("*.py") if not p.stem.startswith("_"))


def load(name: str) -> ModuleType:
    """Import example ``name`` as a module (its ``run`` gives the numbers it prints)."""
    path = examples_folder() / f"{name}.py"
    if not path.is_file():
        raise ValueError(f"no example named {name!r}; the examples: {', '.join(names())}")
    spec = importlib.util.spec_from_file_location(f"deepgrad_example_{name}", path)
    if spec is None or spec.loader is None:  # only for a path no loader understands
        raise ImportError(f"cannot load example {name!r} from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summary(name: str) -> str:
    """The first line of an example's docstring (read, not run)."""
    source = (examples_folder() / f"{name}.py").read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source)) or ""
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""  # the whole first paragraph


def example_main(
    run: Callable[..., dict],
    doc: str | None,
    argv: Any = None,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
    prog: str | None = None,
) -> dict:
    """The command line every example shares (``--quick``, ``--output``), plus the
    example's own ``options``; runs ``run`` with them all as keyword arguments."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(doc or "").strip().splitlines()[0] if doc else None,
    )
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run (tests)")
    parser.add_argument(
        "--output", default="deepgrad-gallery", help="folder for the figure (deepgrad-gallery)"
    )
    if options is not None:
        options(parser)
    return run(**vars(parser.parse_args(argv)))


def run_example(name: str, argv: list[str]) -> dict:
    """``deepgrad demo NAME ARGS...``: the example's own command line."""
    module = load(name)
    return example_main(
        module.run,
        module.__doc__,
        argv,
        options=getattr(module, "options", None),
        prog=f"deepgrad demo {name}",
    )
