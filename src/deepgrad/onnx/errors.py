"""The error raised when a model, layer or activation has no ONNX form (or a graph has no
deepgrad form)."""


class ExportError(ValueError):
    """A layer, activation or model that cannot be exported to ONNX, named in the message.

    >>> raise ExportError("my_layer (MyLayer): no ONNX form")
    Traceback (most recent call last):
    ...
    deepgrad.onnx.errors.ExportError: my_layer (MyLayer): no ONNX form
    """


class ImportGraphError(ValueError):
    """An ONNX graph that ``deepgrad.onnx.load`` cannot turn into a ``Sequential``; the
    message names the node and its op type."""
