"""The computational graph of a function, as the evaluation trace sees it, in Graphviz's
DOT language: inputs as boxes, each intermediate v_i as an ellipse labelled with its
operation and value, the output doubly circled."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deepgrad.autodiff.trace import _fmt, trace

_REFERENCE = re.compile(r"v_-?\d+")


def graph(f: Callable, *args: Any) -> str:
    """DOT text for the graph of ``f`` at ``args`` (render it with Graphviz's ``dot``)."""
    table = trace(f, *args)
    lines = [
        "digraph computation {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=11];',
    ]
    for row in table.primal:
        value = _fmt(row.value)
        references = _REFERENCE.findall(row.expression)
        if row.label == "y":
            lines.append(f'  y [shape=doublecircle, label="y\\n{value}"];')
        elif not references:  # an input: v_{1−n} … v_0
            lines.append(
                f'  "{row.label}" [shape=box, label="{row.label} = {row.expression}\\n{value}"];'
            )
        else:
            lines.append(f'  "{row.label}" [label="{row.label} = {row.expression}\\n{value}"];')
        for source in dict.fromkeys(references):
            lines.append(f'  "{source}" -> "{row.label}";')
    lines.append("}")
    return "\n".join(lines)


def render_svg(dot: str, path: str | Path) -> Path | None:
    """Render DOT text to an SVG file with Graphviz's ``dot``; None if it is not installed."""
    executable = shutil.which("dot")
    if executable is None:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([executable, "-Tsvg", "-o", str(path)], input=dot, text=True, check=True)
    return path
