"""``deepgrad export MODEL OUTPUT``: a model file written by ``deepgrad train`` or
``model.save`` as an ONNX file (registered in ``deepgrad.cli``'s parser)."""

from __future__ import annotations

import argparse
from typing import Any

from deepgrad.onnx.export import OPSET, export
from deepgrad.saving import load_model


def add_parser(commands: Any) -> None:
    """Add ``export`` to the subcommands of the ``deepgrad`` parser."""
    parser = commands.add_parser("export", help=f"write a saved model as ONNX (opset {OPSET})")
    parser.add_argument("model", help="a file written by deepgrad train or model.save")
    parser.add_argument("output", help="the ONNX file to write, e.g. model.onnx")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load ``args.model`` and write it to ``args.output`` as ONNX."""
    model = load_model(args.model, compile=False)
    export(model, args.output)
    print(f"wrote {args.output} (ONNX opset {OPSET})")
    return 0
