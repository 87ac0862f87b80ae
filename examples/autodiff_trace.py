"""The evaluation trace of f(x1, x2) = ln x1 + x1·x2 − sin x2 at (2, 5), as the textbook prints it.

Baydin et al. (JMLR 2018) work this example by hand: the forward primal trace computes
v_1 … v_5 from the inputs v_-1 = x1 and v_0 = x2; the forward tangent trace carries the
derivative along the direction ẋ = (1, 0) with each step (forward mode: one pass per
input direction); the reverse adjoint trace carries v̄_i = ∂y/∂v_i back from ȳ = 1 and
gives the whole gradient in one pass (reverse mode). The numbers are the engine's own.

Look at: the three tables (y = 11.652, ∂y/∂x1 = 5.5, ∂y/∂x2 = 1.716) and the
computational graph (autodiff_trace.dot; autodiff_trace.svg when Graphviz is installed).

    python examples/autodiff_trace.py [--x1 2] [--x2 5] [--markdown] [--output FOLDER]
"""

from pathlib import Path

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import viz
from deepgrad.gallery import example_main


def f(x1, x2):
    return dnp.log(x1) + x1 * x2 - dnp.sin(x2)


def options(parser) -> None:
    parser.add_argument("--x1", type=float, default=2.0, help="first input (default 2)")
    parser.add_argument("--x2", type=float, default=5.0, help="second input (default 5)")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")


def run(
    quick: bool = False,
    output: str = "deepgrad-gallery",
    x1: float = 2.0,
    x2: float = 5.0,
    markdown: bool = False,
) -> dict:
    if not x1 > 0:
        raise ValueError(f"--x1 must be positive, since f takes ln(x1); got {x1}")
    print(f"f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (x1, x2) = ({x1}, {x2})\n")
    table = dg.trace(f, x1, x2)
    print(table.to_markdown() if markdown else table)
    grad = dg.grad(f, argnums=(0, 1))(x1, x2)
    dg.check_grads(f, (x1, x2), order=2)
    print(f"\ny = {float(table.value):.6f}")
    print(f"reverse mode:  dy/dx1 = {float(grad[0]):.6f}, dy/dx2 = {float(grad[1]):.6f}")
    print(f"forward mode:  dy/dx1 = {float(table.tangent):.6f} (one pass per input direction)")
    print("check_grads: forward and reverse mode agree with central differences to order 2")
    dot = viz.graph(f, x1, x2)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "autodiff_trace.dot").write_text(dot + "\n", encoding="utf-8")
    svg = viz.render_svg(dot, folder / "autodiff_trace.svg")
    print(f"computational graph: {svg or folder / 'autodiff_trace.dot'}")
    return {"y": float(table.value), "dy_dx1": float(grad[0]), "dy_dx2": float(grad[1])}


if __name__ == "__main__":
    example_main(run, __doc__, options=options)
