"""``deepgrad.onnx``: models to ONNX files and back (``pip install "deepgrad[onnx]"``).

``export(model, path)`` writes a built ``Sequential`` (every built-in layer and activation)
as an ONNX graph, opset ``OPSET``, with a dynamic batch dimension, so ONNX Runtime and
other runtimes can serve it; ``load(path)`` reads a chain of Gemm/MatMul/Add/activation
nodes (what ``torch.onnx.export`` writes for an ``nn.Sequential`` of ``Linear`` layers and
activations) back into a ``Sequential`` with its weights, to be fine-tuned here.
"""

from deepgrad.models.model import EXPORTERS
from deepgrad.onnx.errors import ExportError, ImportGraphError
from deepgrad.onnx.export import OPSET, export, to_proto
from deepgrad.onnx.importer import load

EXPORTERS["onnx"] = export  # model.export(path) calls it

__all__ = ["OPSET", "ExportError", "ImportGraphError", "export", "load", "to_proto"]
