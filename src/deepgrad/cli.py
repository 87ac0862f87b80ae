"""The ``deepgrad`` command line.

``deepgrad train`` trains a fully connected net (on the embedded digits data unless told
otherwise), ``deepgrad evaluate`` and ``deepgrad predict`` use a saved model, and
``deepgrad demo`` lists the example gallery (``deepgrad demo NAME`` runs one, e.g.
``autodiff_trace``, the evaluation trace of Baydin et al.'s worked example), and
``deepgrad export MODEL OUTPUT`` writes a saved model as ONNX (``deepgrad.onnx``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import deepgrad
from deepgrad import commands as run
from deepgrad import distributed, gallery
from deepgrad.commands import CommandError
from deepgrad.onnx import command as export_command
from deepgrad.viz.style import SAVED as SAVED_FIGURES

# Plain text, not the module's reST docstring (which python -OO removes anyway).
DESCRIPTION = (
    "deepgrad's command line: train, evaluate and predict with small neural networks, "
    "export them, and run the example gallery."
)


def _demo(args: argparse.Namespace) -> int:
    """``deepgrad demo``: list the gallery; ``deepgrad demo NAME ...``: run one example."""
    if args.name is None:
        print("the gallery (deepgrad demo NAME [--quick] [--output FOLDER]):\n")
        for name in gallery.names():
            print(f"  {name:<24} {gallery.summary(name)}")
        return 0
    first = len(SAVED_FIGURES)
    gallery.run_example(args.name, args.arguments)
    for path in SAVED_FIGURES[first:]:
        print(f"figure saved to {path.resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``deepgrad train | evaluate | predict | demo | export``."""
    parser = argparse.ArgumentParser(prog="deepgrad", description=DESCRIPTION)
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
    train.add_argument(
        "--epochs", type=_positive_int, default=30, help="passes over the data (default 30)"
    )
    train.add_argument(
        "--batch-size", type=_positive_int, default=32, help="samples per step (default 32)"
    )
    train.add_argument(
        "--output",
        default="deepgrad-run",
        help="folder for model.dg, history.csv, learning_curve.png (default deepgrad-run)",
    )
    train.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=2,
        help="0 silent, 1 a progress bar, 2 one line per epoch (default 2)",
    )
    train.set_defaults(handler=run.train)

    evaluate = commands.add_parser("evaluate", help="metrics of a saved model on a data set")
    evaluate.add_argument("model", help="a file written by deepgrad train or model.save")
    _data_options(evaluate)
    evaluate.set_defaults(handler=run.evaluate)

    predict = commands.add_parser("predict", help="predictions of a saved model, as CSV")
    predict.add_argument("model", help="a file written by deepgrad train or model.save")
    predict.add_argument("input", help="a CSV file of features (a header row is skipped)")
    predict.set_defaults(handler=run.predict)
    demo = commands.add_parser("demo", help="the example gallery: list it, or run one example")
    demo.add_argument("name", nargs="?", help="an example's name; none lists them")
    demo.add_argument("arguments", nargs=argparse.REMAINDER, help="the example's own options")
    demo.set_defaults(handler=_demo)
    export_command.add_parser(commands)
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
    """Run the command in ``argv`` (``sys.argv`` by default); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["train"])
    try:
        return args.handler(args)
    except (CommandError, ValueError, ArithmeticError, OSError, ImportError) as error:
        print(f"deepgrad: error: {error}", file=sys.stderr)
        if distributed.launched():  # the other processes would wait for this one forever
            distributed.abort("stopping the other processes")
        return 1


if __name__ == "__main__":
    sys.exit(main())
