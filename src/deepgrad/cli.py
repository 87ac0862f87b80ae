"""The ``deepgrad`` command line.

``deepgrad demo`` prints the evaluation trace of Baydin et al.'s worked example,
f(x1, x2) = ln x1 + x1·x2 − sin x2 at (2, 5), with its gradient checked against
central differences.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _autodiff_trace_demo(args: argparse.Namespace) -> int:
    import deepgrad as dg
    import deepgrad.numpy as dnp

    def f(x1, x2):
        return dnp.log(x1) + x1 * x2 - dnp.sin(x2)

    x1, x2 = args.x1, args.x2
    if not x1 > 0:
        raise ValueError(f"--x1 must be positive, since f takes ln(x1); got {x1}")
    print(f"f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (x1, x2) = ({x1}, {x2})\n")
    table = dg.trace(f, x1, x2)
    print(table.to_markdown() if args.markdown else table)
    grad = dg.grad(f, argnums=(0, 1))(x1, x2)
    dg.check_grads(f, (x1, x2), order=2)
    print(f"\ny = {float(table.value):.6f}")
    print(f"reverse mode:  dy/dx1 = {float(grad[0]):.6f}, dy/dx2 = {float(grad[1]):.6f}")
    print(f"forward mode:  dy/dx1 = {float(table.tangent):.6f} (one pass per input direction)")
    print("check_grads: forward and reverse mode agree with central differences to order 2")
    return 0


DEMOS = {"autodiff_trace": _autodiff_trace_demo}


def build_parser() -> argparse.ArgumentParser:
    import deepgrad

    parser = argparse.ArgumentParser(prog="deepgrad", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"deepgrad {deepgrad.__version__}")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="run one of the built-in demonstrations")
    demo.add_argument("name", nargs="?", default="autodiff_trace", choices=sorted(DEMOS))
    demo.add_argument("--x1", type=float, default=2.0, help="first input (default 2)")
    demo.add_argument("--x2", type=float, default=5.0, help="second input (default 5)")
    demo.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["demo", *(argv or [])])
    try:
        return DEMOS[args.name](args)
    except (ValueError, ArithmeticError) as error:
        print(f"deepgrad: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
