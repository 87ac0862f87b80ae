"""The ``deepgrad`` command line.

``deepgrad train`` trains a fully connected net (on the embedded digits data unless told
otherwise), ``deepgrad evaluate`` and ``deepgrad predict`` use a saved model, and
``deepgrad demo`` prints the evaluation trace of Baydin et al.'s worked example.
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
    from deepgrad import commands as run

    parser = argparse.ArgumentParser(prog="deepgrad", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"deepgrad {deepgrad.__version__}")
    commands = parser.add_subparsers(dest="command")

    train = commands.add_parser("train", help="train a fully connected net and save it")
    _data_options(train)
    train.add_argument("--hidden", default="64", help="hidden layer sizes, e.g. 64,64 (default 64)")
    train.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    train.add_argument(
        "--optimizer", default="adam", help="an optimizer's name: sgd, adam, rmsprop, ... (adam)"
    )
    train.add_argument("--learning-rate", type=float, default=None, help="default: the optimizer's")
    train.add_argument("--epochs", type=_positive_int, default=30)
    train.add_argument("--batch-size", type=_positive_int, default=32)
    train.add_argument("--output", default="deepgrad-run", help="folder for model, history, plot")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2)
    train.set_defaults(handler=run.train)

    evaluate = commands.add_parser("evaluate", help="metrics of a saved model on a data set")
    evaluate.add_argument("model", help="a file written by deepgrad train or model.save")
    _data_options(evaluate)
    evaluate.set_defaults(handler=run.evaluate)

    predict = commands.add_parser("predict", help="predictions of a saved model, as CSV")
    predict.add_argument("model", help="a file written by deepgrad train or model.save")
    predict.add_argument("input", help="a CSV file of features (a header row is skipped)")
    predict.set_defaults(handler=run.predict)
    demo = commands.add_parser("demo", help="run one of the built-in demonstrations")
    demo.add_argument("name", nargs="?", default="autodiff_trace", choices=sorted(DEMOS))
    demo.add_argument("--x1", type=float, default=2.0, help="first input (default 2)")
    demo.add_argument("--x2", type=float, default=5.0, help="second input (default 5)")
    demo.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    demo.set_defaults(handler=lambda args: DEMOS[args.name](args))
    return parser


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        default="digits",
        help="digits, iris, breast_cancer, diabetes, wine, or a .csv/.npz path (default digits)",
    )
    parser.add_argument("--target", default="-1", help="CSV target column: index or name")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    from deepgrad.commands import CommandError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["train"])
    try:
        return args.handler(args)
    except (CommandError, ValueError, ArithmeticError, OSError, ImportError) as error:
        print(f"deepgrad: error: {error}", file=sys.stderr)
        from deepgrad import distributed

        if distributed.launched():  # the other processes would wait for this one forever
            distributed.abort("stopping the other processes")
        return 1


if __name__ == "__main__":
    sys.exit(main())
