"""The table ``model.summary()`` prints: each layer, its output shape, its parameter
count (``0 (unbuilt)`` before its weights exist, as Keras shows it) and, for a functional
model, the layers it is connected to (``name[node][output]``, Keras' notation)."""

from __future__ import annotations

from typing import Any


def _shape_text(layer: Any) -> str:
    if not layer.built or layer.output_shape is None:
        return "?"
    return str(layer.output_shape)


def _params_text(layer: Any) -> str:
    return f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"


def summary_lines(model: Any) -> list[str]:
    """The lines of the summary of ``model``."""
    layers = model._summary_layers()
    connections = getattr(model, "connections", None)
    headers = ["Layer (type)", "Output Shape", "Param #"]
    rows = [
        [f"{layer.name} ({type(layer).__name__})", _shape_text(layer), _params_text(layer)]
        for layer in layers
    ]
    if connections is not None:
        headers.append("Connected to")
        for row, layer in zip(rows, layers, strict=True):
            row.append(", ".join(connections(layer)) or "-")
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) + 2 if rows else len(h) + 10
        for i, h in enumerate(headers)
    ]
    line = "".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    total = sum(w.size for w in model.weights)  # 0 unbuilt, where count_params raises
    trainable = sum(w.size for w in model.trainable_weights)
    lines = [f'Model: "{model.name}"', "=" * len(line), line, "=" * len(line)]
    lines += ["".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines += [
        "=" * len(line),
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
    ]
    if not model.built:
        lines.append(
            "The model is not built yet: its weights are created on the first call. Call it "
            "on a batch, fit it, or build it with model.build((None, n_features))."
        )
    return lines
